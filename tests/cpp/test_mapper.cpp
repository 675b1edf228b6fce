// The rs mapspace, the mapper and the pieces of the cost model it relies on: hand-computed
// shapes and block sizes, brute-force cross-checks of the closed forms, and the fast
// paths (RsScorer, GlbStaircase) against the reference ones.
#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "check.hpp"
#include "fixtures.hpp"
#include "tldse/cost_model.hpp"
#include "tldse/energy_table.hpp"
#include "tldse/glb_tiling.hpp"
#include "tldse/mapper.hpp"
#include "tldse/rs_mapspace.hpp"

using namespace tldse;
using fixtures::conv;

namespace {

Arch rs_arch(std::int64_t rows, std::int64_t cols, double rf_bytes = 512) {
    Arch a;
    a.dataflow = Dataflow::rs;
    a.pe_rows = rows;
    a.pe_cols = cols;
    a.rf_bytes = rf_bytes;
    a.glb_bytes = 1 << 20;
    return a;
}

std::vector<std::int64_t> sizes(const rs_detail::Sizes& s) { return {s.begin(), s.end()}; }

// Distinct real input rows read, by marking them (the definition of input_rows_read).
std::int64_t rows_brute(const Layer& L, std::int64_t first, std::int64_t rows, std::int64_t r0,
                        std::int64_t r_rows) {
    std::set<std::int64_t> read;
    for (std::int64_t e = first; e < first + rows; ++e) {
        for (std::int64_t r = r0; r < r0 + r_rows; ++r) {
            const std::int64_t row = e * L.stride_h - L.pad_h + r * L.dil_h;
            if (row >= 0 && row < L.input_h()) read.insert(row);
        }
    }
    return static_cast<std::int64_t>(read.size());
}

}  // namespace

TEST_CASE(rs_shape_and_sizes) {
    {
        SECTION("shape, rows fit");  // 12x14 array, 3-row filter, 13 output rows
        const RsShape s = rs_shape(rs_arch(12, 14), conv(1, 8, 8, 13, 13, 3, 3));
        CHECK_EQ(s.r_fold, 1);
        CHECK_EQ(s.r_eff, 3);
        CHECK_EQ(s.e_fold, 1);
        CHECK_EQ(s.e_pass, 13);
        CHECK_EQ(s.replicas, 4);  // slots = (12 / 3) x 14 = 56, floor(56 / 13)
    }
    {
        SECTION("shape, folded");  // 11-row filter on 8 rows, 55 output rows on 14 slots
        const RsShape s = rs_shape(rs_arch(8, 14), conv(1, 8, 3, 55, 55, 11, 11, 4));
        CHECK_EQ(s.r_fold, 2);   // ceil(11 / 8)
        CHECK_EQ(s.r_eff, 6);    // ceil(11 / 2)
        CHECK_EQ(s.e_fold, 4);   // slots = 1 x 14: ceil(55 / 14)
        CHECK_EQ(s.e_pass, 14);  // ceil(55 / 4)
        CHECK_EQ(s.replicas, 1);
    }
    {
        SECTION("block sizes and replica splits");
        std::vector<std::int64_t> want;
        for (int i = 1; i <= 5; ++i) want.push_back(i);
        CHECK(sizes(rs_detail::block_sizes(5)) == want);
        want.clear();
        for (int i = 1; i <= 32; ++i) want.push_back(i);
        want.insert(want.end(), {34, 50, 100});  // ceil(100 / k) > 32 for k = 3, 2, 1
        CHECK(sizes(rs_detail::block_sizes(100)) == want);
        want.resize(32);
        want.insert(want.end(), {33, 50, 100});  // floor(100 / k) > 32 for k = 3, 2, 1
        CHECK(sizes(rs_detail::replica_splits(100)) == want);
        CHECK_EQ(rs_detail::block_sizes(1 << 30).size(), std::size_t{64});
    }
    {
        SECTION("last_fitting is the linear scan");
        std::mt19937 rng(7);
        for (int t = 0; t < 200; ++t) {
            const int n = static_cast<int>(rng() % 70);
            const int cut = static_cast<int>(rng() % (n + 1));
            int linear = -1;
            for (int i = 0; i < n && i < cut; ++i) linear = i;
            CHECK_EQ(rs_detail::last_fitting(n, [&](int i) { return i < cut; }), linear);
        }
    }
}

TEST_CASE(rs_fits_hand) {
    Arch a = rs_arch(12, 14);
    a.weight_bits = a.act_bits = a.psum_bits = 16;
    const Layer L = conv(1, 64, 64, 13, 13, 3, 3);
    a.rf_bytes = 14;  // p = q = 1: weights 1 x 1 x 3 x 2 B, inputs 3 x 2 B, psums 2 B = 14 B
    CHECK(rs_fits(a, L, {1, 1, 1, 1}));
    a.rf_bytes = 13.99;
    CHECK(!rs_fits(a, L, {1, 1, 1, 1}));
    // Eyeriss's scratchpads: weights 448 B (p q <= 74), inputs 24 B (q <= 4), psums 48 B
    // (p <= 24), 520 B in all.
    a.rf_weight_bytes = 448;
    a.rf_input_bytes = 24;
    a.rf_output_bytes = 48;
    a.rf_bytes = 520;
    CHECK(rs_fits(a, L, {18, 4, 1, 1}));   // 432 + 24 + 36
    CHECK(!rs_fits(a, L, {19, 4, 1, 1}));  // weights 456 > 448
    CHECK(!rs_fits(a, L, {1, 5, 1, 1}));   // inputs 30 > 24
    CHECK(!rs_fits(a, L, {25, 1, 1, 1}));  // psums 50 > 48
}

TEST_CASE(rs_candidates_properties) {
    std::mt19937 rng(11);
    for (int t = 0; t < 60; ++t) {
        const Arch a = rs_arch(1 + rng() % 24, 1 + rng() % 24, 16 + rng() % 600);
        const Layer L = conv(1, 1 + rng() % 300, 1 + rng() % 300, 1 + rng() % 60, 1 + rng() % 60,
                             1 + rng() % 7, 1 + rng() % 7);
        const RsShape sh = rs_shape(a, L);
        const auto ex = rs_candidates(a, L, true);
        const auto he = rs_candidates(a, L, false);
        SECTION("every candidate fits and respects the replicas");
        for (const auto& m : ex) {
            CHECK(rs_fits(a, L, m));
            CHECK(m.tf * m.tc <= sh.replicas);
        }
        SECTION("heuristic subset of exhaustive");
        for (const auto& m : he) {
            CHECK(std::any_of(ex.begin(), ex.end(), [&](const RsMapping& e) {
                return e.p == m.p && e.q == m.q && e.tf == m.tf && e.tc == m.tc;
            }));
        }
        SECTION("exhaustive covers every fitting block-size pair");
        const auto bs = rs_block_sizes(L);
        for (std::int64_t q : bs.qs) {
            for (std::int64_t p : bs.ps) {
                if (!rs_fits(a, L, {p, q, 1, 1})) continue;
                CHECK(std::any_of(ex.begin(), ex.end(), [&](const RsMapping& e) {
                    return e.p == p && e.q == q && e.tc == 1;
                }));
            }
        }
        CHECK(he.empty() == ex.empty());
    }
}

TEST_CASE(input_rows_closed_form) {
    std::mt19937 rng(3);
    for (int t = 0; t < 3000; ++t) {
        Layer L;
        L.r = 1 + rng() % 9;
        L.stride_h = 1 + rng() % 5;
        L.dil_h = 1 + rng() % 4;
        L.p = 1 + rng() % 40;
        L.pad_h = rng() % 4;
        if (2 * L.pad_h >= L.input_rows_for(L.p)) L.pad_h = 0;
        const std::int64_t first = rng() % L.p, rows = 1 + rng() % (L.p - first);
        const std::int64_t r0 = rng() % L.r, r_rows = 1 + rng() % (L.r - r0);
        CHECK_EQ(L.input_rows_read(first, rows, r0, r_rows),
                 rows_brute(L, first, rows, r0, r_rows));
    }
    SECTION("issue reproducer: 4096-row filter over 2^20 output rows on 256 x 256");
    const Layer big = conv(1, 1, 1, 1048576, 1, 4096, 1);
    const RsShape sh = rs_shape(rs_arch(256, 256), big);
    CHECK_EQ(sh.r_fold, 16);
    CHECK_EQ(sh.e_fold, 4096);
    // Stride 1, dilation 1: every piece of every strip reads a contiguous run of rows.
    double want = 0;
    for (std::int64_t rf = 0; rf < sh.r_fold; ++rf) {
        for (std::int64_t e = 0; e < sh.e_fold; ++e) {
            const std::int64_t lo = e * sh.e_pass + rf * sh.r_eff;
            const std::int64_t hi = std::min(big.input_h() - 1, lo + sh.e_pass + sh.r_eff - 2);
            want += static_cast<double>(hi - lo + 1);
        }
    }
    CHECK_EQ(rs_input_rows_total(big, sh), want);
    const LayerResult r = evaluate_layer(rs_arch(256, 256, 64), big, EnergyTable{});
    CHECK(r.status == Status::ok);
}

TEST_CASE(scorer_equals_evaluation) {
    std::mt19937 rng(5);
    const EnergyTable tables[] = {EnergyTable::horowitz45(), EnergyTable::eyeriss_normalized()};
    int compared = 0;
    for (int t = 0; t < 80; ++t) {
        Arch a = rs_arch(1 + rng() % 16, 1 + rng() % 16, 32 + rng() % 400);
        a.multicast = rng() % 2;
        a.weight_bits = (rng() % 2) ? 8 : 16;
        a.glb_bw = 1 + rng() % 64;
        a.dram_bw = 1 + rng() % 32;
        EnergyTable tab = tables[t % 2];
        tab.leakage_mw_per_mm2 = (t % 3) ? 0.0 : 50.0;
        const Layer L = conv(1 + rng() % 2, 1 + rng() % 128, 1 + rng() % 128, 1 + rng() % 30,
                             1 + rng() % 30, 1 + rng() % 5, 1 + rng() % 5, 1 + rng() % 2);
        const DesignContext ctx(a, tab);
        const auto tilings = glb_tilings(L);
        const GlbTile* tile = best_glb_tiling(*tilings, ctx.cap);
        if (tile == nullptr) continue;
        const RsShape sh = rs_shape(a, L);
        const double rows = rs_input_rows_total(L, sh);
        const RsScorer scorer(ctx, L, *tile, sh, rows);
        for (const auto& m : rs_candidates(a, L, true)) {
            const Score s = scorer.score(m);
            const LayerResult r = evaluate_rs(ctx, L, *tile, sh, m, rows);
            CHECK_EQ(s.latency_cycles, r.latency_cycles);  // bit for bit
            CHECK_EQ(s.energy_pj, r.energy_pj);
            ++compared;
        }
    }
    CHECK(compared > 1000);
}

TEST_CASE(mapper_choice) {
    std::mt19937 rng(9);
    for (int t = 0; t < 40; ++t) {
        const Arch a = rs_arch(2 + rng() % 14, 2 + rng() % 14, 64 + rng() % 400);
        const Layer L = conv(1, 1 + rng() % 96, 1 + rng() % 96, 1 + rng() % 28, 1 + rng() % 28,
                             1 + rng() % 5, 1 + rng() % 5);
        const EnergyTable tab;
        for (Objective o : {Objective::latency, Objective::energy, Objective::edp}) {
            SECTION(objective_name(o));
            const LayerResult h = evaluate_layer(a, L, tab, {o, MapperMode::heuristic});
            const LayerResult e = evaluate_layer(a, L, tab, {o, MapperMode::exhaustive});
            CHECK(h.status == e.status);
            if (h.status != Status::ok) continue;
            // The exhaustive mapper searches a superset: never worse.
            CHECK(objective_value(e, o) <= objective_value(h, o));
            // The winner is the best candidate (ties: latency, energy, then the first).
            const DesignContext ctx(a, tab);
            const RsShape sh = rs_shape(a, L);
            const double rows = rs_input_rows_total(L, sh);
            double best = 0;
            bool first = true;
            for (const auto& m : rs_candidates(a, L, true)) {
                const LayerResult r = evaluate_rs(ctx, L, e.tiling, sh, m, rows);
                const double v = objective_value(r, o);
                if (first || v < best) best = v;
                first = false;
            }
            CHECK_EQ(objective_value(e, o), best);
        }
    }
}

TEST_CASE(glb_staircase_equals_scan) {
    std::mt19937 rng(13);
    for (int t = 0; t < 40; ++t) {
        const Layer L = conv(1 + rng() % 3, 1 + rng() % 200, 1 + rng() % 200, 1 + rng() % 40,
                             1 + rng() % 40, 1 + rng() % 5, 1 + rng() % 5, 1 + rng() % 2);
        const auto tilings = glb_tilings(L);
        for (std::array<double, 3> bpe :
             {std::array<double, 3>{1, 1, 4}, std::array<double, 3>{2, 1, 4},
              std::array<double, 3>{2, 2, 2}}) {
            const GlbStaircase stair(*tilings, bpe);
            for (int k = 0; k < 60; ++k) {
                GlbCapacity cap;
                cap.bytes_per_elem = bpe;
                cap.total =
                    std::ldexp(1.0 + (rng() % 1000) / 1000.0, 4 + static_cast<int>(rng() % 20));
                CHECK(stair.best(cap.total) == best_glb_tiling(*tilings, cap));
            }
        }
    }
}

TEST_CASE(mapper_winner_is_the_scan_winner) {
    // The winner (with its tie rules: objective, then latency, then energy, then the
    // first) of a plain scan of rs_candidates scored one by one.
    std::mt19937 rng(21);
    int checked = 0;
    for (int t = 0; t < 60; ++t) {
        Arch a = rs_arch(2 + rng() % 14, 2 + rng() % 14, 64 + rng() % 400);
        a.multicast = rng() % 2;
        EnergyTable tab;
        tab.leakage_mw_per_mm2 = (t % 2) ? 20.0 : 0.0;
        const Layer L = conv(1, 1 + rng() % 96, 1 + rng() % 96, 1 + rng() % 28, 1 + rng() % 28,
                             1 + rng() % 5, 1 + rng() % 5);
        const DesignContext ctx(a, tab);
        const GlbTile* tile = best_glb_tiling(*glb_tilings(L), ctx.cap);
        if (tile == nullptr) continue;
        const RsShape sh = rs_shape(a, L);
        const double rows = rs_input_rows_total(L, sh);
        for (Objective o : {Objective::latency, Objective::energy, Objective::edp}) {
            for (bool exhaustive : {false, true}) {
                const RsScorer scorer(ctx, L, *tile, sh, rows);
                RsMapping best_m;
                Score best;
                bool found = false;
                for (const auto& m : rs_candidates(a, L, exhaustive)) {
                    const Score s = scorer.score(m);
                    const double v = objective_value(s.latency_cycles, s.energy_pj, o);
                    const double bv = objective_value(best.latency_cycles, best.energy_pj, o);
                    if (!found || v < bv ||
                        (v == bv && (s.latency_cycles < best.latency_cycles ||
                                     (s.latency_cycles == best.latency_cycles &&
                                      s.energy_pj < best.energy_pj)))) {
                        best = s;
                        best_m = m;
                        found = true;
                    }
                }
                const LayerResult r = evaluate_layer(
                    a, L, tab, {o, exhaustive ? MapperMode::exhaustive : MapperMode::heuristic});
                if (!found) {
                    CHECK(r.status == Status::does_not_fit);
                    continue;
                }
                CHECK(r.rs.p == best_m.p && r.rs.q == best_m.q && r.rs.tf == best_m.tf &&
                      r.rs.tc == best_m.tc);
                CHECK_EQ(r.latency_cycles, best.latency_cycles);
                CHECK_EQ(r.energy_pj, best.energy_pj);
                ++checked;
            }
        }
    }
    CHECK(checked > 100);
}
