#include "tldse/mapping.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
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

struct Cache {
    std::shared_mutex mutex;
    std::map<Key, std::shared_ptr<const std::vector<GlbTile>>> entries;
};

Cache& cache() {
    static Cache c;
    return c;
}

constexpr std::size_t kMaxCacheEntries = 1 << 16;
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
    double sum = 0;
    for (int i = 0; i < 3; ++i) {
        const double bytes = 2.0 * t.footprint[i] * bytes_per_elem[i];  // double buffered
        if (per_tensor[i] > 0 && bytes > per_tensor[i]) return false;
        sum += bytes;
    }
    return sum <= total;
}

double GlbCapacity::dram_bytes(const GlbTile& t) const {
    return t.weight_reads * bytes_per_elem[kWeight] + t.input_reads * bytes_per_elem[kInput] +
           (t.psum_reads + t.psum_writes) * bytes_per_elem[kOutput] +
           t.output_writes * bytes_per_elem[kInput];
}

std::vector<GlbTile> enumerate_glb_tilings(const Layer& L) {
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

    std::vector<GlbTile> out;
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
                    t.footprint = {static_cast<double>(fk) * cc * L.r * L.s,
                                   in_tile_rows * W * cc,
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

std::vector<GlbTile> pareto_tilings(const Layer& layer) {
    auto all = enumerate_glb_tilings(layer);
    // Cheapest traffic first, so that dominating candidates tend to be kept early.
    std::stable_sort(all.begin(), all.end(), [](const GlbTile& a, const GlbTile& b) {
        const double ta = a.weight_reads + a.input_reads + 2 * a.psum_reads;
        const double tb = b.weight_reads + b.input_reads + 2 * b.psum_reads;
        if (ta != tb) return ta < tb;
        return a.footprint[0] + a.footprint[1] + a.footprint[2] <
               b.footprint[0] + b.footprint[1] + b.footprint[2];
    });
    std::vector<GlbTile> kept;
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
    // `kept` is in ascending order of moved elements, which best_glb_tiling relies on.
    return kept;
}

}  // namespace

std::shared_ptr<const std::vector<GlbTile>> glb_tilings(const Layer& layer) {
    Key key;
    Layer shape = layer;
    shape.count = 1;
    shape.to_row(key.data());
    auto& c = cache();
    {
        std::shared_lock lock(c.mutex);
        auto it = c.entries.find(key);
        if (it != c.entries.end()) return it->second;
    }
    auto value = std::make_shared<const std::vector<GlbTile>>(pareto_tilings(shape));
    std::unique_lock lock(c.mutex);
    if (c.entries.size() >= kMaxCacheEntries) c.entries.clear();
    return c.entries.emplace(key, std::move(value)).first->second;
}

const GlbTile* best_glb_tiling(const std::vector<GlbTile>& tilings, const GlbCapacity& cap) {
    // Candidates come in ascending order of moved elements (weight + input + 2 x psum
    // reads), so min(bytes per element) x that count is a lower bound on the bytes of
    // every later candidate: once it reaches the best found, the scan can stop.
    const double min_bpe = std::min({cap.bytes_per_elem[0], cap.bytes_per_elem[1],
                                     cap.bytes_per_elem[2]});
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

}  // namespace tldse

// ---- Row stationary -----------------------------------------------------------------

namespace tldse {

namespace {

// A short list of sizes kept on the stack: the rs mapper builds several per (design,
// layer) evaluation, and heap vectors cost more than the arithmetic around them.
class Sizes {
   public:
    void push_back(std::int64_t x) {
        if (n_ == v_.size()) throw std::length_error("rs mapper: too many block sizes");
        v_[n_++] = x;
    }
    // Inserts x at its place in an ascending list unless it is there already.
    void insert_sorted(std::int64_t x) {
        auto* pos = std::lower_bound(begin(), end(), x);
        if (pos != end() && *pos == x) return;
        push_back(x);
        std::rotate(pos, end() - 1, end());
    }
    bool contains(std::int64_t x) const { return std::find(begin(), end(), x) != end(); }
    void pop_back() { --n_; }
    std::int64_t back() const { return v_[n_ - 1]; }
    std::int64_t operator[](std::size_t i) const { return v_[i]; }
    bool empty() const { return n_ == 0; }
    std::size_t size() const { return n_; }
    std::int64_t* begin() { return v_.data(); }
    std::int64_t* end() { return v_.data() + n_; }
    const std::int64_t* begin() const { return v_.data(); }
    const std::int64_t* end() const { return v_.data() + n_; }

   private:
    std::array<std::int64_t, 72> v_{};  // block sizes and splits hold at most 65
    std::size_t n_ = 0;
};

// Block sizes the rs mapper considers for a dimension d: every size up to 32 and every
// balanced size ceil(d / k) for k up to 32 (at most 64 values, ascending).
Sizes block_sizes(std::int64_t d) {
    Sizes out;
    for (std::int64_t b = 1; b <= std::min<std::int64_t>(d, 32); ++b) out.push_back(b);
    for (std::int64_t k = 32; k >= 1; --k) {
        const std::int64_t b = cdiv(d, k);
        if (b > 32 && (out.empty() || b > out.back())) out.push_back(b);
    }
    return out;
}

// Replica splits: tc in {1..32} and floor(replicas / k) for k up to 32 (at most 64).
Sizes replica_splits(std::int64_t replicas) {
    Sizes out;
    for (std::int64_t t = 1; t <= std::min<std::int64_t>(replicas, 32); ++t) out.push_back(t);
    for (std::int64_t k = 32; k >= 1; --k) {
        const std::int64_t t = replicas / k;
        if (t > 32 && (out.empty() || t > out.back())) out.push_back(t);
    }
    return out;
}

std::int64_t balanced(std::int64_t d, std::int64_t block) { return cdiv(d, cdiv(d, block)); }

}  // namespace

RsShape rs_shape(const Arch& a, const Layer& L) {
    RsShape s;
    s.r_fold = cdiv(L.r, a.pe_rows);
    s.r_eff = cdiv(L.r, s.r_fold);
    const std::int64_t slots = (a.pe_rows / s.r_eff) * a.pe_cols;
    if (L.p <= slots) {
        s.e_fold = 1;
        s.e_pass = L.p;
        s.replicas = slots / L.p;
    } else {
        s.e_fold = cdiv(L.p, slots);
        s.e_pass = cdiv(L.p, s.e_fold);
        s.replicas = 1;
    }
    return s;
}

bool rs_fits(const Arch& a, const Layer& L, const RsMapping& m) {
    const double w = static_cast<double>(m.p) * static_cast<double>(m.q) *
                     static_cast<double>(L.s) * a.weight_bits / 8.0;
    const double i = static_cast<double>(m.q) * static_cast<double>(L.s) * a.act_bits / 8.0;
    const double o = static_cast<double>(m.p) * a.psum_bits / 8.0;
    if (a.partitioned_rf() &&
        (w > a.rf_weight_bytes || i > a.rf_input_bytes || o > a.rf_output_bytes)) {
        return false;
    }
    return w + i + o <= a.rf_bytes;
}

std::vector<RsMapping> rs_candidates(const Arch& a, const Layer& L, bool exhaustive) {
    const std::int64_t F = L.k_per_group(), C = L.c_per_group();
    const RsShape sh = rs_shape(a, L);
    const auto ps = block_sizes(F), qs = block_sizes(C);
    std::vector<RsMapping> out;
    out.reserve(exhaustive ? 256 : 32);
    auto add_splits = [&](std::int64_t p, std::int64_t q, const Sizes& tcs) {
        for (std::int64_t tc : tcs) {
            if (tc > sh.replicas) continue;
            RsMapping m;
            m.p = p;
            m.q = q;
            m.tc = tc;
            m.tf = std::max<std::int64_t>(1, std::min(sh.replicas / tc, cdiv(F, p)));
            out.push_back(m);
        }
    };
    if (exhaustive) {
        // Replica splits for a given q: the fixed set plus one replica per channel block.
        const Sizes splits = replica_splits(sh.replicas);
        auto splits_for = [&](std::int64_t q) {
            Sizes tcs = splits;
            tcs.insert_sorted(std::min(sh.replicas, cdiv(C, q)));
            return tcs;
        };
        for (std::int64_t q : qs) {
            if (!rs_fits(a, L, RsMapping{1, q, 1, 1})) break;
            const auto tcs = splits_for(q);
            for (std::int64_t p : ps) {
                if (!rs_fits(a, L, RsMapping{p, q, 1, 1})) break;
                add_splits(p, q, tcs);
            }
        }
        return out;
    }
    // Heuristic: q from the largest that fits down by halves (snapped to the candidate
    // block sizes), with the largest p that fits beside it and its balanced version;
    // replica splits all-filters and channels-first. A subset of the exhaustive set.
    std::int64_t q_max = 0;
    for (std::int64_t q : qs) {  // ascending, and fitting is monotone in q
        if (!rs_fits(a, L, RsMapping{1, q, 1, 1})) break;
        q_max = q;
    }
    if (q_max == 0) return out;
    Sizes q_choices;
    const std::int64_t q_spread = cdiv(C, sh.replicas);  // channels over all replicas
    if (q_spread < q_max) {
        q_choices.push_back(*(std::upper_bound(qs.begin(), qs.end(), q_spread) - 1));
    }
    for (std::int64_t target = q_max; target >= 1; target /= 2) {
        // largest candidate block size <= target
        auto it = std::upper_bound(qs.begin(), qs.end(), target);
        const std::int64_t q = *(it - 1);
        if (!q_choices.contains(q)) q_choices.push_back(q);
        if (target == 1) break;
    }
    for (std::int64_t q : q_choices) {
        std::int64_t p_max = 0;
        for (std::int64_t p : ps) {
            if (!rs_fits(a, L, RsMapping{p, q, 1, 1})) break;
            p_max = p;
        }
        // Largest p, its balanced version, and p spreading the filters over all replicas.
        Sizes p_choices;
        p_choices.push_back(p_max);
        for (std::int64_t target : {balanced(F, p_max), cdiv(F, sh.replicas)}) {
            if (target >= p_max) continue;
            const std::int64_t pv = *(std::upper_bound(ps.begin(), ps.end(), target) - 1);
            if (!p_choices.contains(pv)) p_choices.push_back(pv);
        }
        // Both are in splits_for(q), so the heuristic stays a subset of exhaustive.
        Sizes tcs;
        tcs.push_back(1);
        if (const std::int64_t per_block = std::min(sh.replicas, cdiv(C, q)); per_block != 1) {
            tcs.push_back(per_block);
        }
        for (std::int64_t p : p_choices) add_splits(p, q, tcs);
    }
    return out;
}

}  // namespace tldse
