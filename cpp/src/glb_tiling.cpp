#include "tldse/glb_tiling.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <shared_mutex>
#include <stdexcept>

namespace tldse {

namespace {

constexpr int kRows = 0, kFilters = 1, kChannels = 2;
constexpr unsigned kDepWeight = (1u << kFilters) | (1u << kChannels);
constexpr unsigned kDepInput = (1u << kRows) | (1u << kChannels);
constexpr unsigned kDepOutput = (1u << kRows) | (1u << kFilters);

std::int64_t cdiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Powers of two below d, then d itself.
std::vector<std::int64_t> tile_sizes(std::int64_t d) {
    std::vector<std::int64_t> out;
    for (std::int64_t t = 1; t < d; t *= 2) out.push_back(t);
    out.push_back(d);
    return out;
}

// How many times a tensor's whole volume moves between DRAM and the GLB for one loop order:
// the product of the trip counts of the loops it does not depend on that enclose the
// innermost loop it does depend on.
double refetch(const std::array<std::uint8_t, 3>& order, const std::array<std::int64_t, 3>& trips,
               unsigned dep) {
    int inner = -1;
    for (int i = 0; i < 3; ++i) {
        if ((dep >> order[i] & 1u) && trips[order[i]] > 1) inner = i;
    }
    double m = 1;
    for (int i = 0; i < inner; ++i) {
        if (!(dep >> order[i] & 1u)) m *= static_cast<double>(trips[order[i]]);
    }
    return m;
}

bool dominates(const GlbTile& a, const GlbTile& b) {
    return a.footprint[0] <= b.footprint[0] && a.footprint[1] <= b.footprint[1] &&
           a.footprint[2] <= b.footprint[2] && a.weight_reads <= b.weight_reads &&
           a.input_reads <= b.input_reads && a.psum_reads <= b.psum_reads;
}

using Key = std::array<std::int64_t, kLayerWidth>;
using Entry = std::shared_ptr<const GlbTilings>;

// Bytes an entry is accounted for: its candidates, the map node and the control block.
std::size_t entry_bytes(const GlbTilings& t) {
    return t.capacity() * sizeof(GlbTile) + sizeof(Key) + sizeof(GlbTilings) + 128;
}

// Two generations bounded in bytes: lookups try the young one, then the old one (an entry
// found there moves to the young one); when the young one reaches half the budget, the
// old one is dropped and the young one becomes old.
struct Cache {
    std::shared_mutex mutex;
    std::map<Key, Entry> young, old;
    std::size_t young_bytes = 0, old_bytes = 0, peak = 0;
    std::size_t limit = std::size_t{256} << 20;

    void insert(const Key& key, Entry value) {  // under the unique lock
        const std::size_t b = entry_bytes(*value);
        if (young_bytes + b > limit / 2 && !young.empty()) {
            old = std::move(young);
            old_bytes = young_bytes;
            young.clear();
            young_bytes = 0;
        }
        if (old_bytes + young_bytes + b > limit) {
            old.clear();
            old_bytes = 0;
        }
        young.emplace(key, std::move(value));
        young_bytes += b;
        peak = std::max(peak, young_bytes + old_bytes);
    }
};

Cache& cache() {
    static Cache c;
    return c;
}

// Row tiles per image counted one by one (exact padding); beyond this, in closed form.
constexpr std::int64_t kMaxExactRowTiles = 4096;

}  // namespace

GlbCapacity GlbCapacity::of(const Arch& a) {
    GlbCapacity c;
    c.total = a.glb_bytes;
    if (a.partitioned_glb()) {
        c.per_tensor = {a.glb_weight_bytes, a.glb_input_bytes, a.glb_output_bytes};
    }
    c.bytes_per_elem = {a.weight_bits / 8.0, a.act_bits / 8.0, a.psum_bits / 8.0};
    return c;
}

bool GlbCapacity::fits(const GlbTile& t) const {
    double sum = 0;  // the same sum as required()
    for (int i = 0; i < 3; ++i) {
        const double bytes = 2.0 * t.footprint[i] * bytes_per_elem[i];  // double buffered
        if (per_tensor[i] > 0 && bytes > per_tensor[i]) return false;
        sum += bytes;
    }
    return sum <= total;
}

GlbTilings enumerate_glb_tilings(const Layer& L) {
    const std::int64_t N = L.n, P = L.p, Q = L.q, F = L.k_per_group(), Cg = L.c_per_group();
    const std::int64_t H = L.input_h(), W = L.input_w();
    const double groups = static_cast<double>(L.groups);
    // Real input rows (padding excluded) that output rows [first, first + rows) read.
    auto rows_in = [&](std::int64_t first, std::int64_t rows) {
        return L.input_rows_read(first, rows, 0, L.r);
    };

    // Row tiles: parts of one image's P rows, or whole images (b x P rows).
    std::vector<std::int64_t> row_tiles = tile_sizes(P);
    for (std::int64_t b : tile_sizes(N)) {
        if (b > 1) row_tiles.push_back(b * P);
    }
    const auto filter_tiles = tile_sizes(F);
    const auto channel_tiles = tile_sizes(Cg);

    const double w_pass = static_cast<double>(F) * Cg * L.r * L.s;
    const double o_pass = static_cast<double>(N) * P * Q * F;

    std::vector<std::array<std::uint8_t, 3>> orders;
    std::array<std::uint8_t, 3> o{0, 1, 2};
    do orders.push_back(o);
    while (std::next_permutation(o.begin(), o.end()));

    GlbTilings out;
    out.reserve(row_tiles.size() * filter_tiles.size() * channel_tiles.size() * orders.size());
    for (std::int64_t pr : row_tiles) {
        std::int64_t row_trips;
        double in_rows_per_channel;  // input rows (x W) moved per channel for one pass
        double in_tile_rows;
        if (pr <= P) {
            row_trips = N * cdiv(P, pr);
            // Every row tile of an image re-reads its halo; the largest tile sets the
            // footprint.
            double sum = 0, largest = 0;
            if (cdiv(P, pr) <= kMaxExactRowTiles) {
                for (std::int64_t first = 0; first < P; first += pr) {
                    const double n_rows =
                        static_cast<double>(rows_in(first, std::min(pr, P - first)));
                    sum += n_rows;
                    largest = std::max(largest, n_rows);
                }
            } else {
                // Very tall outputs: every full tile counted like the first one (border
                // padding ignored), the last partial tile like the image's last rows.
                const double full = static_cast<double>(rows_in(0, pr));
                sum = static_cast<double>(P / pr) * full +
                      (P % pr ? static_cast<double>(rows_in(P - P % pr, P % pr)) : 0.0);
                largest = full;
            }
            in_rows_per_channel = static_cast<double>(N) * sum;
            in_tile_rows = largest;
        } else {
            const std::int64_t b = pr / P;
            row_trips = cdiv(N, b);
            in_rows_per_channel = static_cast<double>(N) * H;
            in_tile_rows = static_cast<double>(b) * H;
        }
        const double i_pass = in_rows_per_channel * W * Cg;
        for (std::int64_t fk : filter_tiles) {
            for (std::int64_t cc : channel_tiles) {
                const std::array<std::int64_t, 3> trips{row_trips, cdiv(F, fk), cdiv(Cg, cc)};
                for (const auto& ord : orders) {
                    GlbTile t;
                    t.rows = pr;
                    t.filters = fk;
                    t.channels = cc;
                    t.order = ord;
                    t.footprint = {static_cast<double>(fk) * cc * L.r * L.s, in_tile_rows * W * cc,
                                   static_cast<double>(std::min(pr, N * P)) * Q * fk};
                    const double mo = refetch(ord, trips, kDepOutput);
                    t.weight_reads = groups * w_pass * refetch(ord, trips, kDepWeight);
                    t.input_reads = groups * i_pass * refetch(ord, trips, kDepInput);
                    t.psum_reads = groups * o_pass * (mo - 1);
                    t.psum_writes = t.psum_reads;
                    t.output_writes = groups * o_pass;
                    out.push_back(t);
                }
            }
        }
    }
    return out;
}

namespace {

GlbTilings pareto_tilings(const Layer& layer) {
    auto all = enumerate_glb_tilings(layer);
    // Cheapest traffic first, so that dominating candidates tend to be kept early.
    std::stable_sort(all.begin(), all.end(), [](const GlbTile& a, const GlbTile& b) {
        const double ta = a.weight_reads + a.input_reads + 2 * a.psum_reads;
        const double tb = b.weight_reads + b.input_reads + 2 * b.psum_reads;
        if (ta != tb) return ta < tb;
        return a.footprint[0] + a.footprint[1] + a.footprint[2] <
               b.footprint[0] + b.footprint[1] + b.footprint[2];
    });
    GlbTilings kept;
    for (const auto& t : all) {
        bool dominated = false;
        for (const auto& k : kept) {
            if (dominates(k, t)) {
                dominated = true;
                break;
            }
        }
        if (!dominated) kept.push_back(t);
    }
    kept.shrink_to_fit();  // the cache accounts for capacity
    // `kept` is in ascending order of moved elements, which best_glb_tiling relies on.
    return kept;
}

}  // namespace

std::shared_ptr<const GlbTilings> glb_tilings(const Layer& layer) {
    Key key;
    Layer shape = layer;
    shape.count = 1;
    shape.to_row(key.data());
    auto& c = cache();
    {
        std::shared_lock lock(c.mutex);
        if (auto it = c.young.find(key); it != c.young.end()) return it->second;
    }
    {
        std::unique_lock lock(c.mutex);
        if (auto it = c.young.find(key); it != c.young.end()) return it->second;
        if (auto it = c.old.find(key); it != c.old.end()) {
            Entry e = std::move(it->second);
            c.old_bytes -= entry_bytes(*e);
            c.old.erase(it);
            c.insert(key, e);
            return e;
        }
    }
    // Computed outside the lock; two threads may both compute the same shape once.
    Entry value = std::make_shared<const GlbTilings>(pareto_tilings(shape));
    std::unique_lock lock(c.mutex);
    if (auto it = c.young.find(key); it != c.young.end()) return it->second;
    c.insert(key, value);
    return value;
}

void set_tiling_cache_limit(std::size_t bytes) {
    auto& c = cache();
    std::unique_lock lock(c.mutex);
    c.limit = bytes;
    if (c.old_bytes + c.young_bytes > bytes) {
        c.old.clear();
        c.old_bytes = 0;
    }
    if (c.young_bytes > bytes) {
        c.young.clear();
        c.young_bytes = 0;
    }
}

std::size_t tiling_cache_limit() noexcept {
    auto& c = cache();
    std::shared_lock lock(c.mutex);
    return c.limit;
}

TilingCacheStats tiling_cache_stats() {
    auto& c = cache();
    std::shared_lock lock(c.mutex);
    return {c.young.size() + c.old.size(), c.young_bytes + c.old_bytes, c.peak};
}

void clear_tiling_cache() {
    auto& c = cache();
    std::unique_lock lock(c.mutex);
    c.young.clear();
    c.old.clear();
    c.young_bytes = c.old_bytes = c.peak = 0;
}

const GlbTile* best_glb_tiling(const GlbTilings& tilings, const GlbCapacity& cap) {
    // Candidates come in ascending order of moved elements (weight + input + 2 x psum
    // reads), so min(bytes per element) x that count is a lower bound on the bytes of
    // every later candidate: once it reaches the best found, the scan can stop.
    const double min_bpe =
        std::min({cap.bytes_per_elem[0], cap.bytes_per_elem[1], cap.bytes_per_elem[2]});
    const GlbTile* best = nullptr;
    double best_bytes = 0;
    for (const auto& t : tilings) {
        const double moved = t.weight_reads + t.input_reads + 2 * t.psum_reads;
        if (best != nullptr &&
            min_bpe * moved + t.output_writes * cap.bytes_per_elem[kInput] >= best_bytes) {
            break;
        }
        if (!cap.fits(t)) continue;
        const double bytes = cap.dram_bytes(t);
        if (best == nullptr || bytes < best_bytes) {
            best = &t;
            best_bytes = bytes;
        }
    }
    return best;
}

GlbStaircase::GlbStaircase(const GlbTilings& tilings, const std::array<double, 3>& bpe)
    : tilings_(&tilings), bpe_(bpe) {
    GlbCapacity cap;
    cap.bytes_per_elem = bpe;
    const std::size_t n = tilings.size();
    std::vector<std::uint32_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0u);
    std::vector<double> req(n), bytes(n);
    for (std::size_t i = 0; i < n; ++i) {
        req[i] = cap.required(tilings[i]);
        bytes[i] = cap.dram_bytes(tilings[i]);
    }
    std::stable_sort(idx.begin(), idx.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return req[a] < req[b]; });
    required_.resize(n);
    best_.resize(n);
    std::uint32_t best = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const std::uint32_t i = idx[k];
        // The fewest bytes, then the earliest candidate: best_glb_tiling's choice.
        if (k == 0 || bytes[i] < bytes[best] || (bytes[i] == bytes[best] && i < best)) best = i;
        required_[k] = req[i];
        best_[k] = best;
    }
}

const GlbTile* GlbStaircase::best(double total_bytes) const {
    // Candidates that fit: required <= total, a prefix of the sorted list.
    const auto k =
        std::upper_bound(required_.begin(), required_.end(), total_bytes) - required_.begin();
    if (k == 0) return nullptr;
    return &(*tilings_)[best_[static_cast<std::size_t>(k - 1)]];
}

}  // namespace tldse
