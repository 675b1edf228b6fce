#include "tldse/rs_mapspace.hpp"

#include <algorithm>

namespace tldse {

namespace rs_detail {

Sizes block_sizes(std::int64_t d) {
    Sizes out;
    for (std::int64_t b = 1; b <= std::min<std::int64_t>(d, 32); ++b) out.push_back(b);
    for (std::int64_t k = 32; k >= 1; --k) {
        const std::int64_t b = cdiv(d, k);
        if (b > 32 && (out.empty() || b > out.back())) out.push_back(b);
    }
    return out;
}

Sizes replica_splits(std::int64_t replicas) {
    Sizes out;
    for (std::int64_t t = 1; t <= std::min<std::int64_t>(replicas, 32); ++t) out.push_back(t);
    for (std::int64_t k = 32; k >= 1; --k) {
        const std::int64_t t = replicas / k;
        if (t > 32 && (out.empty() || t > out.back())) out.push_back(t);
    }
    return out;
}

}  // namespace rs_detail

using rs_detail::cdiv;

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

double rs_input_rows_total(const Layer& L, const RsShape& sh) {
    // Every (strip, piece) pair is counted exactly (Layer::input_rows_read is closed form)
    // up to 2^16 pairs; beyond, each pair is counted like the first one.
    if (sh.r_fold * std::min<std::int64_t>(sh.e_fold, 65537) > 65536) {
        return static_cast<double>(sh.e_fold) * static_cast<double>(sh.r_fold) *
               static_cast<double>(
                   L.input_rows_read(0, std::min(sh.e_pass, L.p), 0, std::min(sh.r_eff, L.r)));
    }
    double total = 0;
    for (std::int64_t rf = 0; rf < sh.r_fold; ++rf) {
        const std::int64_t r0 = rf * sh.r_eff;
        const std::int64_t r_rows = std::min(sh.r_eff, L.r - r0);
        if (r_rows <= 0) break;
        for (std::int64_t e = 0; e < sh.e_fold; ++e) {
            const std::int64_t first = e * sh.e_pass;
            if (first >= L.p) break;
            total += static_cast<double>(
                L.input_rows_read(first, std::min(sh.e_pass, L.p - first), r0, r_rows));
        }
    }
    return total;
}

RsBlockSizes rs_block_sizes(const Layer& L) {
    return {rs_detail::block_sizes(L.k_per_group()), rs_detail::block_sizes(L.c_per_group())};
}

std::vector<RsMapping> rs_candidates(const Arch& a, const Layer& L, bool exhaustive) {
    std::vector<RsMapping> out;
    for_each_rs_candidate(a, L, rs_shape(a, L), rs_block_sizes(L), exhaustive,
                          [&](const RsMapping& m) { out.push_back(m); });
    return out;
}

}  // namespace tldse
