// Temporal tiling of a layer at the global-buffer level (DRAM <-> GLB).
//
// The per-group loop nest is tiled along three dimensions: output rows (over batch x P),
// filters (K per group) and input channels (C per group); R, S and Q are kept whole in a
// tile. One of the six orders of the three tile loops is chosen. A tile of tensor X is
// refetched once per iteration of every loop X does not depend on that encloses the
// innermost loop X does depend on (loops with one trip are ignored). Outputs that are
// refetched are partial sums: spilled to DRAM and read back.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "tldse/arch.hpp"
#include "tldse/layer.hpp"

namespace tldse {

enum Tensor : int { kWeight = 0, kInput = 1, kOutput = 2 };

struct GlbTile {
    std::int64_t rows = 1;      // output rows per tile (over batch x P)
    std::int64_t filters = 1;   // output channels per tile (per group)
    std::int64_t channels = 1;  // input channels per tile (per group)
    std::array<std::uint8_t, 3> order{0, 1, 2};  // outer->inner; 0 rows, 1 filters, 2 channels
    // Elements held in the GLB for one tile (single buffer), per tensor.
    std::array<double, 3> footprint{};
    // DRAM traffic in elements for the whole layer (all groups).
    double weight_reads = 0;
    double input_reads = 0;
    double psum_reads = 0;       // partial sums read back
    double psum_writes = 0;      // partial sums spilled
    double output_writes = 0;    // final outputs
};

// GLB capacity for a design: total bytes and per-tensor partitions (0 = shared).
struct GlbCapacity {
    double total = 0;
    std::array<double, 3> per_tensor{0, 0, 0};
    std::array<double, 3> bytes_per_elem{1, 1, 4};  // weight, input, output/psum
    static GlbCapacity of(const Arch& a);
    bool fits(const GlbTile& t) const;  // double-buffered footprint fits
    // DRAM bytes moved by a tiling (final outputs at activation width).
    double dram_bytes(const GlbTile& t) const;
};

// The candidate tilings of a layer that no other candidate beats on every footprint and
// every traffic count (independent of the architecture); computed once per distinct layer
// shape and cached; thread-safe.
std::shared_ptr<const std::vector<GlbTile>> glb_tilings(const Layer& layer);

// The tiling that moves the fewest DRAM bytes among those that fit; nullptr if none fits.
// Because the candidate set does not depend on the design and feasibility is monotone in
// the buffer size, a larger GLB never increases DRAM traffic.
const GlbTile* best_glb_tiling(const std::vector<GlbTile>& tilings, const GlbCapacity& cap);

// Enumerates every candidate tiling without pruning (used by tests and the exhaustive path).
std::vector<GlbTile> enumerate_glb_tilings(const Layer& layer);

// ---- Row stationary (Eyeriss) -----------------------------------------------------------
//
// A logical PE set is R filter rows x E output rows (E = p of the layer). Filter rows
// larger than the array are split into `r_fold` pieces of `r_eff` rows; the array holds
// `sets_v = floor(rows / r_eff)` sets stacked vertically, giving `slots = sets_v x cols`
// PE columns of height r_eff. When E fits the slots, `replicas = floor(slots / E)` sets run
// side by side (on different filters or channels); otherwise E is cut into `e_fold`
// strips of `e_pass` output rows.
struct RsShape {
    std::int64_t r_eff = 1, r_fold = 1;
    std::int64_t e_pass = 1, e_fold = 1;
    std::int64_t replicas = 1;
};
RsShape rs_shape(const Arch& arch, const Layer& layer);

// The temporal part chosen by the mapper: each PE holds p filters x q channels of one
// filter row in its scratchpads; `tf` replicas work on different filters and `tc` on
// different channels (tf x tc <= replicas).
struct RsMapping {
    std::int64_t p = 1, q = 1, tf = 1, tc = 1;
};

// Scratchpad check: weights p*q*s, inputs q*s (a sliding window per channel), partial
// sums p; against the per-tensor partitions when the register file is partitioned, and
// always against rf_bytes in total.
bool rs_fits(const Arch& arch, const Layer& layer, const RsMapping& m);

// Candidate mappings (docs/model.md, "The mapper"). Exhaustive: every fitting p and q among
// the block sizes (every value up to 32 and ceil(d / k) for k <= 32), every replica split
// tc (values up to 32, floor(replicas / k) for k <= 32, and min(replicas, ceil(C / q))),
// tf = min(replicas / tc, ceil(F / p)). Heuristic: q from the largest fitting value down by
// halves plus ceil(C / replicas), for each the largest fitting p, its balanced size and
// ceil(F / replicas), tc in {1, min(replicas, ceil(C / q))}: a subset of the exhaustive set.
std::vector<RsMapping> rs_candidates(const Arch& arch, const Layer& layer, bool exhaustive);

}  // namespace tldse
