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

}  // namespace tldse
