// Row stationary (Eyeriss): the shape of a layer on the array and the mappings the mapper
// chooses from.
//
// A logical PE set is R filter rows x E output rows (E = p of the layer). Filter rows
// larger than the array are split into `r_fold` pieces of `r_eff` rows; the array holds
// `sets_v = floor(rows / r_eff)` sets stacked vertically, giving `slots = sets_v x cols`
// PE columns of height r_eff. When E fits the slots, `replicas = floor(slots / E)` sets run
// side by side (on different filters or channels); otherwise E is cut into `e_fold`
// strips of `e_pass` output rows.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "tldse/arch.hpp"
#include "tldse/layer.hpp"

namespace tldse {

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
// Inline: the mapper's searches call it many times per evaluation.
inline bool rs_fits(const Arch& a, const Layer& L, const RsMapping& m) {
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

// Input rows moved for one channel of one image over all e-strips and filter-row pieces
// (does not depend on the mapping).
double rs_input_rows_total(const Layer& layer, const RsShape& shape);

namespace rs_detail {

inline std::int64_t cdiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// A short ascending list of sizes on the stack (the mapper builds several per evaluation).
class Sizes {
   public:
    void push_back(std::int64_t x) {
        if (n_ == kCapacity) throw std::length_error("rs mapper: too many block sizes");
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
    std::int64_t back() const { return v_[n_ - 1]; }
    bool empty() const { return n_ == 0; }
    std::size_t size() const { return n_; }
    std::int64_t* begin() { return v_.data(); }
    std::int64_t* end() { return v_.data() + n_; }
    const std::int64_t* begin() const { return v_.data(); }
    const std::int64_t* end() const { return v_.data() + n_; }
    static constexpr std::size_t kCapacity = 72;  // block sizes and splits hold at most 65

   private:
    std::array<std::int64_t, kCapacity> v_{};
    std::size_t n_ = 0;
};

// Block sizes for a dimension d: every size up to 32 and every balanced size ceil(d / k)
// for k up to 32 (at most 64 values, ascending).
Sizes block_sizes(std::int64_t d);
// Replica splits: tc in {1..32} and floor(replicas / k) for k up to 32 (at most 64).
Sizes replica_splits(std::int64_t replicas);
// The largest value of an ascending list that is <= target (the first if none is).
inline std::int64_t snap_down(const Sizes& s, std::int64_t target) {
    const auto* it = std::upper_bound(s.begin(), s.end(), target);
    return it == s.begin() ? *it : *(it - 1);
}

// The index of the last element of [0, n) for which fits(i) holds, for a predicate that
// holds on a prefix; -1 when it holds nowhere.
template <typename Fits>
int last_fitting(int n, Fits&& fits) {
    int lo = 0, hi = n;  // fits on [0, lo), fails on [hi, n)
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (fits(mid))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

}  // namespace rs_detail

// The block sizes of a layer's filters (p) and channels (q): per layer, not per design.
struct RsBlockSizes {
    rs_detail::Sizes ps, qs;
};
RsBlockSizes rs_block_sizes(const Layer& layer);

// Calls visit(m) for every candidate mapping, without allocating (docs/model.md, "The
// mapper"). Exhaustive: every fitting p and q among the block sizes, every replica split
// tc (values up to 32, floor(replicas / k) for k <= 32, and min(replicas, ceil(C / q))),
// tf = min(replicas / tc, ceil(F / p)). Heuristic: q from the largest fitting value down by
// halves plus ceil(C / replicas), for each the largest fitting p, its balanced size and
// ceil(F / replicas), tc in {1, min(replicas, ceil(C / q))}: a subset of the exhaustive set.
template <typename Visit>
void for_each_rs_candidate(const Arch& a, const Layer& L, const RsShape& sh,
                           const RsBlockSizes& sizes, bool exhaustive, Visit&& visit) {
    using rs_detail::cdiv;
    using rs_detail::Sizes;
    const std::int64_t F = L.k_per_group(), C = L.c_per_group();
    const Sizes& ps = sizes.ps;
    const Sizes& qs = sizes.qs;
    // tf = max(1, min(replicas / tc, ceil(F / p))) for every split tc <= replicas; the
    // divisions are done once per list of splits and once per p.
    struct Splits {
        Sizes tc, per_tc;  // the splits and replicas / tc
    };
    auto usable = [&](const Sizes& tcs) {
        Splits out;
        for (std::int64_t tc : tcs) {
            if (tc > sh.replicas) continue;
            out.tc.push_back(tc);
            out.per_tc.push_back(sh.replicas / tc);
        }
        return out;
    };
    auto splits = [&](std::int64_t p, std::int64_t q, const Splits& sp) {
        const std::int64_t f_blocks = cdiv(F, p);
        for (std::size_t k = 0; k < sp.tc.size(); ++k) {
            const std::int64_t tf =
                std::max<std::int64_t>(1, std::min(sp.per_tc.begin()[k], f_blocks));
            visit(RsMapping{p, q, tf, sp.tc.begin()[k]});
        }
    };
    if (exhaustive) {
        const Sizes fixed = rs_detail::replica_splits(sh.replicas);
        for (std::int64_t q : qs) {
            if (!rs_fits(a, L, RsMapping{1, q, 1, 1})) break;
            Sizes tcs = fixed;  // plus one replica per channel block
            tcs.insert_sorted(std::min(sh.replicas, cdiv(C, q)));
            const Splits sp = usable(tcs);
            for (std::int64_t p : ps) {
                if (!rs_fits(a, L, RsMapping{p, q, 1, 1})) break;
                splits(p, q, sp);
            }
        }
        return;
    }
    // Heuristic: q from the largest that fits down by halves (snapped to the candidate
    // block sizes), with the largest p that fits beside it and its balanced version;
    // replica splits all-filters and channels-first. A subset of the exhaustive set.
    // Block sizes ascend and fitting is monotone in p and q: binary searches.
    const int q_last = rs_detail::last_fitting(static_cast<int>(qs.size()), [&](int i) {
        return rs_fits(a, L, RsMapping{1, qs.begin()[i], 1, 1});
    });
    if (q_last < 0) return;
    const std::int64_t q_max = qs.begin()[q_last];
    Sizes q_choices;
    const std::int64_t q_spread = cdiv(C, sh.replicas);  // channels over all replicas
    if (q_spread < q_max) q_choices.push_back(rs_detail::snap_down(qs, q_spread));
    for (std::int64_t target = q_max; target >= 1; target /= 2) {
        const std::int64_t q = rs_detail::snap_down(qs, target);
        if (!q_choices.contains(q)) q_choices.push_back(q);
        if (target == 1) break;
    }
    for (std::int64_t q : q_choices) {
        const int p_last = rs_detail::last_fitting(static_cast<int>(ps.size()), [&](int i) {
            return rs_fits(a, L, RsMapping{ps.begin()[i], q, 1, 1});
        });
        const std::int64_t p_max = p_last < 0 ? 0 : ps.begin()[p_last];
        // Largest p, its balanced version, and p spreading the filters over all replicas.
        Sizes p_choices;
        p_choices.push_back(p_max);
        for (std::int64_t target : {cdiv(F, cdiv(F, p_max)), cdiv(F, sh.replicas)}) {
            if (target >= p_max) continue;
            const std::int64_t pv = rs_detail::snap_down(ps, target);
            if (!p_choices.contains(pv)) p_choices.push_back(pv);
        }
        // Both are in the exhaustive splits for q, so the heuristic stays a subset.
        Sizes tcs;
        tcs.push_back(1);
        if (const std::int64_t per_block = std::min(sh.replicas, cdiv(C, q)); per_block != 1) {
            tcs.push_back(per_block);
        }
        const Splits sp = usable(tcs);
        for (std::int64_t p : p_choices) splits(p, q, sp);
    }
}

// The candidates as a list (tests and tools; the mapper uses for_each_rs_candidate).
std::vector<RsMapping> rs_candidates(const Arch& arch, const Layer& layer, bool exhaustive);

}  // namespace tldse
