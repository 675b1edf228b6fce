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
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "tldse/arch.hpp"
#include "tldse/layer.hpp"

namespace tldse {

enum Tensor : int { kWeight = 0, kInput = 1, kOutput = 2 };

struct GlbTile {
    std::int64_t rows = 1;                       // output rows per tile (over batch x P)
    std::int64_t filters = 1;                    // output channels per tile (per group)
    std::int64_t channels = 1;                   // input channels per tile (per group)
    std::array<std::uint8_t, 3> order{0, 1, 2};  // outer->inner; 0 rows, 1 filters, 2 channels
    // Elements held in the GLB for one tile (single buffer), per tensor.
    std::array<double, 3> footprint{};
    // DRAM traffic in elements for the whole layer (all groups).
    double weight_reads = 0;
    double input_reads = 0;
    double psum_reads = 0;     // partial sums read back
    double psum_writes = 0;    // partial sums spilled
    double output_writes = 0;  // final outputs
};

// GLB capacity for a design: total bytes and per-tensor partitions (0 = shared).
struct GlbCapacity {
    double total = 0;
    std::array<double, 3> per_tensor{0, 0, 0};
    std::array<double, 3> bytes_per_elem{1, 1, 4};  // weight, input, output/psum
    static GlbCapacity of(const Arch& a);
    bool partitioned() const { return per_tensor[0] > 0 || per_tensor[1] > 0 || per_tensor[2] > 0; }
    // Bytes a tile needs in the GLB, double buffered (the sum fits() compares with total).
    double required(const GlbTile& t) const {
        double sum = 0;
        for (int i = 0; i < 3; ++i) sum += 2.0 * t.footprint[i] * bytes_per_elem[i];
        return sum;
    }
    bool fits(const GlbTile& t) const;  // double-buffered footprint fits
    // DRAM bytes moved by a tiling (final outputs at activation width).
    double dram_bytes(const GlbTile& t) const {
        return t.weight_reads * bytes_per_elem[kWeight] + t.input_reads * bytes_per_elem[kInput] +
               (t.psum_reads + t.psum_writes) * bytes_per_elem[kOutput] +
               t.output_writes * bytes_per_elem[kInput];
    }
};

// The candidate tilings of a layer that no other candidate beats on every footprint and
// every traffic count (independent of the architecture), in ascending order of moved
// elements (weight + input + 2 x psum reads).
using GlbTilings = std::vector<GlbTile>;

// The candidates of one layer shape, computed once and cached; thread-safe. The cache is
// bounded in bytes (see set_tiling_cache_limit); an evicted entry stays alive for as long
// as a caller holds the returned pointer.
std::shared_ptr<const GlbTilings> glb_tilings(const Layer& layer);

// The cache's budget in bytes (default 256 MiB) and what it holds now. Two generations:
// when the newer one reaches half the budget, the older is dropped and the newer ages;
// an entry found in the older generation moves back to the newer.
void set_tiling_cache_limit(std::size_t bytes);
std::size_t tiling_cache_limit() noexcept;
struct TilingCacheStats {
    std::size_t entries = 0;
    std::size_t bytes = 0;       // bytes accounted to the entries held
    std::size_t peak_bytes = 0;  // the most ever held at once since the last clear
};
TilingCacheStats tiling_cache_stats();
void clear_tiling_cache();

// The tiling that moves the fewest DRAM bytes among those that fit (the first of equals in
// candidate order); nullptr if none fits. Because the candidate set does not depend on the
// design and feasibility is monotone in the buffer size, a larger GLB never increases DRAM
// traffic.
const GlbTile* best_glb_tiling(const GlbTilings& tilings, const GlbCapacity& cap);

// The same choice for a shared (unpartitioned) GLB by binary search: the candidates of one
// layer sorted by the bytes they need at one set of word widths, with the best tiling of
// every prefix. Built once per (layer, widths); best() equals best_glb_tiling for every
// shared-GLB capacity with these widths.
class GlbStaircase {
   public:
    GlbStaircase(const GlbTilings& tilings, const std::array<double, 3>& bytes_per_elem);
    const GlbTile* best(double total_bytes) const;
    const std::array<double, 3>& bytes_per_elem() const { return bpe_; }

   private:
    const GlbTilings* tilings_;
    std::array<double, 3> bpe_;
    std::vector<double> required_;     // ascending
    std::vector<std::uint32_t> best_;  // best candidate among the first k + 1 by required
};

// Enumerates every candidate tiling without pruning (used by tests and the exhaustive path).
GlbTilings enumerate_glb_tilings(const Layer& layer);

}  // namespace tldse
