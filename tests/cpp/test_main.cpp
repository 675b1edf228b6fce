// Unit tests of the layer, architecture, cost model, GLB tiling and file readers, with
// expected values derived by hand from docs/model.md (harness: check.hpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "tldse/arch.hpp"
#include "tldse/cost_model.hpp"
#include "tldse/energy_table.hpp"
#include "tldse/glb_tiling.hpp"
#include "tldse/io.hpp"
#include "tldse/layer.hpp"
#include "tldse/mapper.hpp"
#include "tldse/rs_mapspace.hpp"
#include "tldse/status.hpp"

#include "check.hpp"
#include "fixtures.hpp"

using namespace tldse;
using check::report;
using check::tmp_file;
using fixtures::conv;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------------------
TEST_CASE(layer_validation) {
    const Layer ok = conv(1, 4, 4, 3, 3, 3, 3);
    ok.validate();  // must not throw
    CHECK_EQ(ok.macs(), 1.0 * 3 * 3 * 4 * 4 * 3 * 3);

    // Each size must be in [1, 2^31) (padding [0, 2^31)); the message names the field.
    struct Case {
        const char* field;
        std::function<void(Layer&)> set;
    };
    const std::vector<Case> cases = {
        {"n must", [](Layer& l) { l.n = 0; }},
        {"n must", [](Layer& l) { l.n = std::int64_t{1} << 31; }},
        {"k must", [](Layer& l) { l.k = -1; }},
        {"c must", [](Layer& l) { l.c = 0; }},
        {"p must", [](Layer& l) { l.p = 0; }},
        {"q must", [](Layer& l) { l.q = -3; }},
        {"r must", [](Layer& l) { l.r = 0; }},
        {"s must", [](Layer& l) { l.s = -2; }},
        {"stride_h must", [](Layer& l) { l.stride_h = 0; }},
        {"stride_w must", [](Layer& l) { l.stride_w = -1; }},
        {"pad_h must", [](Layer& l) { l.pad_h = -1; }},
        {"pad_w must", [](Layer& l) { l.pad_w = -1; }},
        {"dil_h must", [](Layer& l) { l.dil_h = 0; }},
        {"dil_w must", [](Layer& l) { l.dil_w = 0; }},
        {"groups must", [](Layer& l) { l.groups = 0; }},
        {"count must", [](Layer& l) { l.count = 0; }},
    };
    for (const auto& cs : cases) {
        Layer l = ok;
        cs.set(l);
        try {
            l.validate();
            report(false, __FILE__, __LINE__, std::string("no throw for ") + cs.field);
        } catch (const std::invalid_argument& e) {
            // The message starts with the field's name.
            report(std::string(e.what()).rfind(cs.field, 0) == 0, __FILE__, __LINE__,
                   std::string("message '") + e.what() + "' should start with '" + cs.field + "'");
        }
    }
    // groups must divide c and k.
    {
        Layer l = conv(1, 4, 3, 2, 2, 1, 1);
        l.groups = 2;  // 3 % 2 != 0
        CHECK_THROWS(l.validate(), "groups", "c");
        Layer m = conv(1, 3, 4, 2, 2, 1, 1);
        m.groups = 2;  // k = 3
        CHECK_THROWS(m.validate(), "groups", "k");
        Layer d = conv(1, 4, 4, 2, 2, 3, 3);
        d.kind = LayerKind::dwconv;
        d.groups = 2;  // dwconv needs groups == c
        CHECK_THROWS(d.validate(), "groups");
    }
    // gemm layers: q = r = s = 1.
    {
        Layer g = Layer::gemm(3, 2, 5);
        g.validate();
        CHECK_EQ(g.p, 3);
        CHECK_EQ(g.k, 2);
        CHECK_EQ(g.c, 5);
        CHECK_EQ(g.macs(), 30.0);
        CHECK_EQ(g.input_elems(), 15.0);   // M*K
        CHECK_EQ(g.weight_elems(), 10.0);  // K*N
        CHECK_EQ(g.output_elems(), 6.0);   // M*N
        g.q = 2;
        CHECK_THROWS(g.validate(), "gemm");
    }
    // from_row: unknown kind.
    {
        std::int64_t row[kLayerWidth];
        ok.to_row(row);
        row[0] = 3;
        CHECK_THROWS(Layer::from_row(row), "kind");
        row[0] = 0;
        row[3] = 0;  // c
        CHECK_THROWS(Layer::from_row(row), "c must");
    }
    // Input size: H = (p-1)*stride + dil*(r-1) + 1 - 2*pad.
    {
        const Layer dw = conv(1, 3, 3, 4, 4, 3, 3, 1, 1, 3);  // 4x4 in, pad 1
        CHECK_EQ(dw.input_h(), 4);                            // 3 + 2 + 1 - 2
        CHECK_EQ(dw.input_elems(), 48.0);
        CHECK_EQ(dw.weight_elems(), 27.0);
        CHECK_EQ(dw.macs(), 432.0);
        const Layer s2 = conv(2, 8, 4, 3, 5, 3, 1, 2);
        CHECK_EQ(s2.input_h(), 7);  // 2*2 + 2 + 1
        CHECK_EQ(s2.input_w(), 9);  // 4*2 + 0 + 1
        CHECK_EQ(s2.input_elems(), 2.0 * 4 * 7 * 9);
    }
}

// ---------------------------------------------------------------------------------------
int config_col(const char* name) {
    for (int i = 0; i < kConfigWidth; ++i) {
        if (std::string(kConfigColumns[static_cast<std::size_t>(i)]) == name) return i;
    }
    std::fprintf(stderr, "no config column %s\n", name);
    std::abort();
}

TEST_CASE(arch_from_row) {
    Arch base;
    double row[kConfigWidth];
    base.to_row(row);
    const Arch rt = Arch::from_row(row);
    CHECK_EQ(rt.pe_rows, base.pe_rows);
    CHECK_EQ(rt.glb_bytes, base.glb_bytes);
    CHECK(rt.infeasibility() == nullptr);

    struct Case {
        int col;
        double value;
        const char* field;
    };
    const std::vector<Case> cases = {
        {0, 4, "dataflow"},
        {0, kNaN, "dataflow"},
        {1, 2.5, "pe_rows"},
        {1, -1, "pe_rows"},
        {2, kNaN, "pe_cols"},
        {3, kNaN, "rf_bytes"},
        {3, -1, "rf_bytes"},
        {0, -1, "rf_input_bytes"},
        {0, kNaN, "rf_weight_bytes"},
        {0, -2, "rf_output_bytes"},
        {4, -1, "glb_bytes"},
        {4, std::numeric_limits<double>::infinity(), "glb_bytes"},
        {5, -1, "glb_input_bytes"},
        {6, kNaN, "glb_weight_bytes"},
        {7, -4, "glb_output_bytes"},
        {8, kNaN, "dram_bw_bytes_per_cycle"},
        {8, -1, "dram_bw_bytes_per_cycle"},
        {9, -5, "glb_bw_bytes_per_cycle"},
        {10, 2, "multicast"},
        {10, kNaN, "multicast"},
        {11, 0, "weight_bits"},
        {12, kNaN, "act_bits"},
        {13, 65, "psum_bits"},
        {14, kNaN, "clock_mhz"},
        {14, -100, "clock_mhz"},
    };
    for (const auto& cs : cases) {
        double r[kConfigWidth];
        base.to_row(r);
        r[config_col(cs.field)] = cs.value;
        CHECK_THROWS(Arch::from_row(r), cs.field);
    }

    // Infeasible (but well-formed) designs: from_row accepts them, infeasibility() says why.
    auto infeasible = [&](const char* col, double v) {
        double r[kConfigWidth];
        base.to_row(r);
        r[config_col(col)] = v;
        return Arch::from_row(r).infeasibility() != nullptr;
    };
    CHECK(infeasible("pe_rows", 0));  // empty array
    CHECK(infeasible("pe_cols", 0));
    CHECK(infeasible("glb_bytes", 0));                // empty GLB
    CHECK(infeasible("dram_bw_bytes_per_cycle", 0));  // DRAM bandwidth zero
    CHECK(infeasible("glb_bw_bytes_per_cycle", 0));
    CHECK(infeasible("clock_mhz", 0));
    // default bits 8 + 8 + 32 = 48 -> rf_bytes 6 is the smallest feasible
    CHECK(infeasible("rf_bytes", 5));
    double fractional[kConfigWidth];
    base.to_row(fractional);
    fractional[config_col("rf_bytes")] = 5.99;  // byte counts are whole numbers
    CHECK_THROWS(Arch::from_row(fractional), "rf_bytes");
    CHECK(!infeasible("rf_bytes", 6));
    Arch part = base;
    part.glb_bytes = 300;
    part.glb_input_bytes = 100;
    part.glb_weight_bytes = 100;
    CHECK(part.infeasibility() != nullptr);  // output partition missing
    part.glb_output_bytes = 100;
    CHECK(part.infeasibility() == nullptr);  // exactly glb_bytes
    part.glb_bytes = 299;
    CHECK(part.infeasibility() != nullptr);  // partitions exceed glb_bytes
}

// ---------------------------------------------------------------------------------------
TEST_CASE(systolic_cycles) {
    // folds = ceil(sr/rows)*ceil(sc/cols); os per fold rows+cols+t-2,
    // ws/is 2*rows+cols+t-2; total folds*per_fold - 1.
    // os, sr=5 sc=3 t=4, 2x2: folds 3*2 = 6; per fold 2+2+4-2 = 6; 35
    CHECK_EQ(systolic_cycles(Dataflow::os, {5, 3, 4}, 2, 2), 35.0);
    // ws/is same dims: per fold 4+2+4-2 = 8; 6*8-1 = 47
    CHECK_EQ(systolic_cycles(Dataflow::ws, {5, 3, 4}, 2, 2), 47.0);
    CHECK_EQ(systolic_cycles(Dataflow::is, {5, 3, 4}, 2, 2), 47.0);
    // os 1x1 array, 1x1x1: one fold of 1+1+1-2 = 1 cycle -> index 0
    CHECK_EQ(systolic_cycles(Dataflow::os, {1, 1, 1}, 1, 1), 0.0);
    // ws 4x3 array, sr=10 sc=7 t=6: folds ceil(10/4)*ceil(7/3) = 3*3 = 9;
    // per fold 8+3+6-2 = 15; 9*15-1 = 134
    CHECK_EQ(systolic_cycles(Dataflow::ws, {10, 7, 6}, 4, 3), 134.0);
    // is 8x8, sr=8 sc=8 t=1: one fold, 16+8+1-2 = 23; 22
    CHECK_EQ(systolic_cycles(Dataflow::is, {8, 8, 1}, 8, 8), 22.0);
    // os 3x5, sr=7 sc=11 t=2: folds 3*3 = 9; per fold 3+5+2-2 = 8; 71
    CHECK_EQ(systolic_cycles(Dataflow::os, {7, 11, 2}, 3, 5), 71.0);
    // is 16x1, sr=100 sc=3 t=9: folds ceil(100/16)*3 = 7*3 = 21;
    // per fold 32+1+9-2 = 40; 839
    CHECK_EQ(systolic_cycles(Dataflow::is, {100, 3, 9}, 16, 1), 839.0);

    // systolic_dims: px = n*p*q, win = r*s*c/g, nf = k/g
    const Layer l = conv(2, 6, 4, 3, 5, 3, 2, 1, 0, 2);  // per group c 2, k 3
    const auto os = systolic_dims(Dataflow::os, l);
    CHECK_EQ(os.sr, 30);  // px = 2*3*5
    CHECK_EQ(os.sc, 3);   // nf
    CHECK_EQ(os.t, 12);   // win = 3*2*2
    const auto ws = systolic_dims(Dataflow::ws, l);
    CHECK_EQ(ws.sr, 12);
    CHECK_EQ(ws.sc, 3);
    CHECK_EQ(ws.t, 30);
    const auto is = systolic_dims(Dataflow::is, l);
    CHECK_EQ(is.sr, 12);
    CHECK_EQ(is.sc, 30);
    CHECK_EQ(is.t, 3);
}

// ---------------------------------------------------------------------------------------
Arch arch16(Dataflow df) {
    Arch a;
    a.dataflow = df;
    a.pe_rows = a.pe_cols = 2;
    a.rf_bytes = 6;
    a.glb_bytes = 1 << 20;
    a.dram_bw = a.glb_bw = 1 << 20;
    a.weight_bits = a.act_bits = a.psum_bits = 16;
    return a;
}

void check_level(const LayerResult& r, int level, std::array<double, 6> v, int line) {
    // v = weight r, weight w, input r, input w, output r, output w
    for (int t = 0; t < 3; ++t) {
        const std::string tag = std::string(kLevelNames[level]) + "_" + kTensorNames[t];
        report(r.accesses.reads[level][t] == v[2 * t], __FILE__, line,
               tag + "_reads = " + std::to_string(r.accesses.reads[level][t]) + ", expected " +
                   std::to_string(v[2 * t]));
        report(r.accesses.writes[level][t] == v[2 * t + 1], __FILE__, line,
               tag + "_writes = " + std::to_string(r.accesses.writes[level][t]) + ", expected " +
                   std::to_string(v[2 * t + 1]));
    }
}

TEST_CASE(evaluate_layer) {
    // 3x3 conv, c=2, k=2, 4x4 input -> p=q=2; 144 MACs; px 4, win 18, nf 2.
    // DRAM (fits): weights 36, inputs 2*4*4 = 32, outputs 8.
    const Layer l = conv(1, 2, 2, 2, 2, 3, 3);
    const EnergyTable eye = EnergyTable::eyeriss_normalized();
    {
        // os: sr=4 sc=2 t=18, fr=2 fc=1, folds 2, per fold 20 -> 39 cycles.
        // NoC w = t*sc*fr = 72, i = sr*t*fc = 72, o w = sr*sc = 8.
        const LayerResult r = evaluate_layer(arch16(Dataflow::os), l, eye);
        CHECK(r.status == Status::ok);
        CHECK_EQ(r.macs, 144.0);
        CHECK_EQ(r.compute_cycles, 39.0);
        CHECK_EQ(r.latency_cycles, 39.0);
        CHECK_EQ(r.stall_cycles, 0.0);
        CHECK_NEAR(r.utilization, 144.0 / (40.0 * 4.0));  // busy cycles = 39 + 1
        check_level(r, kDram, {36, 0, 32, 0, 0, 8}, __LINE__);
        check_level(r, kGlb, {72, 36, 72, 32, 8, 8}, __LINE__);
        check_level(r, kNoc, {72, 0, 72, 0, 0, 8}, __LINE__);
        check_level(r, kRf, {144, 144, 144, 144, 144, 144}, __LINE__);
        // eyeriss: MAC 144 + RF 864 + NoC 152*2 + GLB 228*6 + DRAM 76*200 = 17880
        CHECK_NEAR(r.energy_pj, 17880.0);
        CHECK_NEAR(r.mac_energy_pj, 144.0);
        CHECK_NEAR(r.energy_level_tensor_pj[kDram][kWeight], 7200.0);
        CHECK_NEAR(r.energy_level_tensor_pj[kGlb][kWeight], 648.0);
        CHECK_EQ(r.accesses.level_reads(kGlb), 152.0);
        CHECK_EQ(r.accesses.level_writes(kGlb), 76.0);
    }
    {
        // ws: sr=18 sc=2 t=4, fr=9 fc=1, folds 9, per fold 8 -> 71.
        // NoC w 36, i 72, o w 4*2*9 = 72, psum r 4*2*8 = 64.
        const LayerResult r = evaluate_layer(arch16(Dataflow::ws), l, eye);
        CHECK_EQ(r.compute_cycles, 71.0);
        check_level(r, kDram, {36, 0, 32, 0, 0, 8}, __LINE__);
        check_level(r, kGlb, {36, 36, 72, 32, 72, 72}, __LINE__);
        check_level(r, kNoc, {36, 0, 72, 0, 64, 72}, __LINE__);
        check_level(r, kRf, {144, 36, 144, 144, 144, 144}, __LINE__);
        CHECK_NEAR(r.energy_pj, 18508.0);
    }
    {
        // is: sr=18 sc=4 t=2, fr=9 fc=2, folds 18, per fold 6 -> 107.
        const LayerResult r = evaluate_layer(arch16(Dataflow::is), l, eye);
        CHECK_EQ(r.compute_cycles, 107.0);
        check_level(r, kNoc, {72, 0, 72, 0, 64, 72}, __LINE__);
        check_level(r, kRf, {144, 144, 144, 72, 144, 144}, __LINE__);
        CHECK_NEAR(r.energy_pj, 18832.0);
    }
    {
        // DRAM-bound: 152 bytes at 1 B/cycle; GLB 456 bytes at 5 B/cycle -> ceil(91.2) = 92
        Arch a = arch16(Dataflow::os);
        a.dram_bw = 1;
        CHECK_EQ(evaluate_layer(a, l, eye).latency_cycles, 152.0);
        a.dram_bw = 3;  // ceil(50.67) = 51
        a.glb_bw = 5;
        const LayerResult r = evaluate_layer(a, l, eye);
        CHECK_EQ(r.latency_cycles, 92.0);
        CHECK_EQ(r.stall_cycles, 53.0);
    }
    {
        // Infeasible and does-not-fit: status and NaN, no exception.
        Arch a = arch16(Dataflow::ws);
        a.pe_rows = 0;
        const LayerResult r = evaluate_layer(a, l, eye);
        CHECK(r.status == Status::invalid_config);
        CHECK(std::isnan(r.latency_cycles));
        CHECK(std::isnan(r.energy_pj));
        CHECK(std::isnan(r.accesses.reads[kDram][kWeight]));
        Arch b = arch16(Dataflow::ws);
        b.glb_bytes = 8;  // smallest footprint 1*1*9 + 1*3*4 + 1*2*1 = 23 el -> 92 B
        const LayerResult s = evaluate_layer(b, l, eye);
        CHECK(s.status == Status::does_not_fit);
        CHECK(std::isnan(s.compute_cycles));
        // rs with 6-byte PEs: p = q = 1 needs 3 weights + 3 inputs + 1 psum = 14 bytes.
        Arch c = arch16(Dataflow::rs);
        CHECK(evaluate_layer(c, l, eye).status == Status::does_not_fit);
        c.rf_bytes = 14;
        CHECK(evaluate_layer(c, l, eye).status == Status::ok);
    }
}

// ---------------------------------------------------------------------------------------
// GLB tiling.

// Independent reading of the doc's fit rule: 2*footprint*bytes per partition, sum <= total.
bool fits_doc(const GlbTile& t, const GlbCapacity& cap) {
    double sum = 0;
    for (int i = 0; i < 3; ++i) {
        const double b = 2 * t.footprint[i] * cap.bytes_per_elem[i];
        if (cap.per_tensor[i] > 0 && b > cap.per_tensor[i]) return false;
        sum += b;
    }
    return sum <= cap.total;
}

// DRAM bytes per the doc: weights, inputs, psum spills + reads at psum width, final
// outputs at act width.
double bytes_doc(const GlbTile& t, const GlbCapacity& cap) {
    return t.weight_reads * cap.bytes_per_elem[kWeight] +
           t.input_reads * cap.bytes_per_elem[kInput] +
           (t.psum_reads + t.psum_writes) * cap.bytes_per_elem[kOutput] +
           t.output_writes * cap.bytes_per_elem[kInput];
}

GlbCapacity cap_of(double total, std::array<double, 3> bpe,
                   std::array<double, 3> parts = {0, 0, 0}) {
    GlbCapacity c;
    c.total = total;
    c.per_tensor = parts;
    c.bytes_per_elem = bpe;
    return c;
}

const GlbTile* find_tile(const std::vector<GlbTile>& v, std::int64_t pr, std::int64_t fk,
                         std::int64_t cc, std::array<std::uint8_t, 3> order) {
    for (const auto& t : v) {
        if (t.rows == pr && t.filters == fk && t.channels == cc && t.order == order) return &t;
    }
    return nullptr;
}

// Doc reuse rule: a tensor's pass repeats once per iteration of every loop it does not
// depend on that encloses the innermost loop it depends on (one-trip loops ignored).
double refetch_doc(std::array<std::uint8_t, 3> order, std::array<double, 3> trips,
                   std::array<bool, 3> dep) {
    int inner = -1;
    for (int i = 0; i < 3; ++i) {
        if (dep[order[i]] && trips[order[i]] > 1) inner = i;
    }
    double m = 1;
    for (int i = 0; i < inner; ++i) {
        if (!dep[order[i]]) m *= trips[order[i]];
    }
    return m;
}

TEST_CASE(tiling_hand) {
    // GEMM M=2 (rows), N=4 (filters), K=4 (channels): per pass weights 16, inputs 8,
    // outputs 8.  Tiles pr {1,2} x fk {1,2,4} x cc {1,2,4} x 6 orders = 108 candidates.
    const Layer g = Layer::gemm(2, 4, 4);
    const auto all = enumerate_glb_tilings(g);
    CHECK_EQ(all.size(), std::size_t{108});
    // Every candidate against the doc: footprints fk*cc, cc*pr, pr*fk; traffic
    // 16*m_w, 8*m_i, psum 8*(m_o - 1), final outputs 8.
    int checked = 0;
    for (const auto& t : all) {
        const std::array<double, 3> trips{2.0 / t.rows, 4.0 / t.filters, 4.0 / t.channels};
        const double mw = refetch_doc(t.order, trips, {false, true, true});
        const double mi = refetch_doc(t.order, trips, {true, false, true});
        const double mo = refetch_doc(t.order, trips, {true, true, false});
        const bool ok = t.footprint[0] == double(t.filters * t.channels) &&
                        t.footprint[1] == double(t.channels * t.rows) &&
                        t.footprint[2] == double(t.rows * t.filters) && t.weight_reads == 16 * mw &&
                        t.input_reads == 8 * mi && t.psum_reads == 8 * (mo - 1) &&
                        t.psum_writes == 8 * (mo - 1) && t.output_writes == 8;
        report(ok, __FILE__, __LINE__,
               "tile pr=" + std::to_string(t.rows) + " fk=" + std::to_string(t.filters) +
                   " cc=" + std::to_string(t.channels) + " order " + std::to_string(t.order[0]) +
                   std::to_string(t.order[1]) + std::to_string(t.order[2]));
        ++checked;
    }
    CHECK_EQ(checked, 108);
    // Spot checks by hand (order outer->inner; 0 rows, 1 filters, 2 channels):
    // pr=2 fk=2 cc=1, F,C,R: rows 1 trip; inputs refetched per filter tile (2) -> 16.
    const GlbTile* a = find_tile(all, 2, 2, 1, {1, 2, 0});
    CHECK(a != nullptr);
    if (a) {
        CHECK_EQ(a->weight_reads, 16.0);
        CHECK_EQ(a->input_reads, 16.0);
        CHECK_EQ(a->psum_reads, 0.0);
        CHECK_EQ(a->output_writes, 8.0);
        CHECK_EQ(a->footprint[0] + a->footprint[1] + a->footprint[2], 8.0);
    }
    // pr=1 fk=1 cc=1, C,R,F: weights: F innermost, R (2 trips) encloses -> 32;
    // inputs: innermost of R,C is R, F inside -> 8; outputs: C (4) encloses -> m_o 4,
    // psums 8*3 = 24 each way.
    const GlbTile* b = find_tile(all, 1, 1, 1, {2, 0, 1});
    CHECK(b != nullptr);
    if (b) {
        CHECK_EQ(b->weight_reads, 32.0);
        CHECK_EQ(b->input_reads, 8.0);
        CHECK_EQ(b->psum_reads, 24.0);
        CHECK_EQ(b->psum_writes, 24.0);
    }

    // Best tiling, 1 byte per element (see tests/test_model_hand.py for the argument):
    // footprint <= 14 (glb 28) -> 32 bytes; <= 13 (glb 26) -> 40; glb 5 -> none.
    const auto pruned = glb_tilings(g);
    const std::array<double, 3> one{1, 1, 1};
    const GlbTile* t28 = best_glb_tiling(*pruned, cap_of(28, one));
    const GlbTile* t26 = best_glb_tiling(*pruned, cap_of(26, one));
    CHECK(t28 != nullptr && t26 != nullptr);
    if (t28) CHECK_EQ(cap_of(28, one).dram_bytes(*t28), 32.0);
    if (t26) {
        CHECK_EQ(cap_of(26, one).dram_bytes(*t26), 40.0);
        CHECK_EQ(t26->rows, 2);
        CHECK_EQ(t26->filters, 2);
        CHECK_EQ(t26->input_reads, 16.0);
    }
    CHECK(best_glb_tiling(*pruned, cap_of(5, one)) == nullptr);
    CHECK(best_glb_tiling(*pruned, cap_of(6, one)) != nullptr);
    // Partitioned: weight partition 4 B -> fk*cc <= 2 -> 40 bytes, (pr, fk, cc) = (2, 2, 1).
    const GlbTile* tp = best_glb_tiling(*pruned, cap_of(204, one, {4, 100, 100}));
    CHECK(tp != nullptr);
    if (tp) {
        CHECK_EQ(tp->rows, 2);
        CHECK_EQ(tp->filters, 2);
        CHECK_EQ(tp->channels, 1);
        CHECK_EQ(cap_of(204, one).dram_bytes(*tp), 40.0);
    }

    // Halo: conv c=k=1, p=4, q=1, r=s=3 -> H=6, W=3.  pr=2: 2 tiles * 4 rows * 3 = 24
    // input elements, footprint 4*3 = 12; pr=1: 4*3*3 = 36; pr=4: 18.
    const Layer h = conv(1, 1, 1, 4, 1, 3, 3);
    const auto hall = enumerate_glb_tilings(h);
    CHECK_EQ(hall.size(), std::size_t{3 * 6});  // row tiles {1,2,4}, 6 orders
    for (const auto& t : hall) {
        const double want = t.rows == 1 ? 36 : t.rows == 2 ? 24 : 18;
        CHECK_EQ(t.input_reads, want);
        CHECK_EQ(t.footprint[1], 3.0 * (t.rows + 2));
        CHECK_EQ(t.weight_reads, 9.0);
    }
    // Whole-image row tiles: n=3, p=5 -> part tiles {1,2,4,5}, whole {2, 3} images.
    // filters k=2 {1,2}, channels c=3 {1,2,3}: 6 * 2 * 3 * 6 = 216 candidates.
    const Layer nb = conv(3, 2, 3, 5, 5, 3, 3);
    CHECK_EQ(enumerate_glb_tilings(nb).size(), std::size_t{216});
    // Groups scale traffic: grouped conv c=k=4, g=2, 3x3 on 3x3: weights 72, inputs 36.
    const Layer gr = conv(1, 4, 4, 1, 1, 3, 3, 1, 0, 2);
    const GlbTile* gbest = best_glb_tiling(*glb_tilings(gr), cap_of(1 << 20, one));
    CHECK(gbest != nullptr);
    if (gbest) {
        CHECK_EQ(gbest->weight_reads, 72.0);
        CHECK_EQ(gbest->input_reads, 36.0);
        CHECK_EQ(gbest->output_writes, 4.0);
    }
}

TEST_CASE(tiling_brute_force) {
    std::vector<Layer> layers = {
        Layer::gemm(2, 4, 4),
        Layer::gemm(9, 7, 5),
        Layer::gemm(64, 48, 80),
        conv(1, 5, 3, 7, 7, 3, 3, 1, 1),
        conv(3, 4, 6, 3, 3, 3, 3, 2, 0, 2),
        conv(2, 4, 4, 8, 8, 3, 3, 1, 1, 4),  // depthwise, batch 2
        conv(1, 8, 4, 5, 5, 1, 1, 2),        // strided 1x1
        conv(4, 16, 8, 14, 14, 3, 3, 1, 1),
        conv(1, 6, 6, 6, 6, 5, 5, 1, 2, 3),
    };
    const std::vector<std::array<double, 3>> widths = {
        {1, 1, 1}, {1, 1, 4}, {2, 2, 2}, {0.5, 1, 3}};
    int compared = 0;
    for (const auto& L : layers) {
        const auto all = enumerate_glb_tilings(L);
        const auto pruned = glb_tilings(L);
        // The pruned list is a subset, and every candidate is beaten (or matched) on all
        // footprints and traffic counts by a kept one.
        for (const auto& t : all) {
            bool covered = false;
            for (const auto& k : *pruned) {
                if (k.footprint[0] <= t.footprint[0] && k.footprint[1] <= t.footprint[1] &&
                    k.footprint[2] <= t.footprint[2] && k.weight_reads <= t.weight_reads &&
                    k.input_reads <= t.input_reads && k.psum_reads <= t.psum_reads &&
                    k.psum_writes <= t.psum_writes && k.output_writes <= t.output_writes) {
                    covered = true;
                    break;
                }
            }
            if (!covered) {
                report(false, __FILE__, __LINE__, "candidate not covered by a kept one");
                break;
            }
        }
        CHECK(pruned->size() <= all.size());
        for (const auto& bpe : widths) {
            double prev_bytes = std::numeric_limits<double>::infinity();
            for (double total = 2; total < 1e8; total *= 1.37) {
                for (int partitioned = 0; partitioned < 2; ++partitioned) {
                    const std::array<double, 3> parts =
                        partitioned ? std::array<double, 3>{total * 0.3, total * 0.3, total * 0.4}
                                    : std::array<double, 3>{0, 0, 0};
                    const GlbCapacity cap = cap_of(total, bpe, parts);
                    const GlbTile* best = best_glb_tiling(*pruned, cap);
                    // Brute force over the unpruned list.
                    const GlbTile* brute = nullptr;
                    double brute_bytes = 0;
                    for (const auto& t : all) {
                        if (!fits_doc(t, cap)) continue;
                        const double b = bytes_doc(t, cap);
                        if (brute == nullptr || b < brute_bytes) {
                            brute = &t;
                            brute_bytes = b;
                        }
                    }
                    CHECK_EQ(best == nullptr, brute == nullptr);
                    if (best != nullptr && brute != nullptr) {
                        CHECK(fits_doc(*best, cap));
                        CHECK(cap.fits(*best));
                        CHECK_NEAR(bytes_doc(*best, cap), brute_bytes);
                        CHECK_NEAR(cap.dram_bytes(*best), brute_bytes);
                        ++compared;
                    }
                    if (!partitioned && best != nullptr) {
                        // A larger GLB never increases DRAM traffic.
                        const double b = cap.dram_bytes(*best);
                        CHECK(b <= prev_bytes * (1 + 1e-12));
                        prev_bytes = b;
                    }
                }
            }
            // With an unlimited GLB every tensor moves once: weights, inputs n*c*H*W
            // (or fewer when a stride skips rows), outputs written once.
            const GlbTile* inf = best_glb_tiling(*pruned, cap_of(1e18, bpe));
            CHECK(inf != nullptr);
            if (inf) {
                CHECK_EQ(inf->weight_reads, L.weight_elems());
                CHECK(inf->input_reads <= L.input_elems());
                CHECK_EQ(inf->psum_reads, 0.0);
                CHECK_EQ(inf->output_writes, L.output_elems());
            }
        }
    }
    CHECK(compared > 500);
}

// ---------------------------------------------------------------------------------------
TEST_CASE(read_topology) {
    {
        // SCALE-Sim conv: p = ceil((H - R) / stride) + 1.
        // Conv1: 7x7, 3x3, stride 2 -> ceil(4/2)+1 = 3; Conv2: 8x9, 3x2, stride 2 ->
        // p = ceil(5/2)+1 = 4, q = ceil(7/2)+1 = 5.
        const std::string path = tmp_file(
            "conv.csv",
            "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
            "Num Filter, Strides,\n"
            "Conv1, 7, 7, 3, 3, 2, 4, 2,\n"
            "Conv2, 8, 9, 3, 2, 5, 6, 2,\n");
        TopologyFormat fmt{};
        const auto ls = read_topology(path, &fmt);
        CHECK(fmt == TopologyFormat::scalesim_conv);
        CHECK_EQ(ls.size(), std::size_t{2});
        if (ls.size() == 2) {
            const Layer& a = ls[0].layer;
            CHECK_EQ(ls[0].name, std::string("Conv1"));
            CHECK_EQ(a.c, 2);
            CHECK_EQ(a.k, 4);
            CHECK_EQ(a.r, 3);
            CHECK_EQ(a.s, 3);
            CHECK_EQ(a.p, 3);
            CHECK_EQ(a.q, 3);
            CHECK_EQ(a.stride_h, 2);
            CHECK_EQ(a.stride_w, 2);
            CHECK_EQ(a.pad_h, 0);
            const Layer& b = ls[1].layer;
            CHECK_EQ(b.p, 4);
            CHECK_EQ(b.q, 5);
            CHECK_EQ(b.r, 3);
            CHECK_EQ(b.s, 2);
            CHECK_EQ(b.c, 5);
            CHECK_EQ(b.k, 6);
        }
    }
    {
        const std::string path = tmp_file("gemm.csv", "Layer, M, N, K,\nG1, 4, 5, 6,\n");
        TopologyFormat fmt{};
        const auto ls = read_topology(path, &fmt);
        CHECK(fmt == TopologyFormat::scalesim_gemm);
        CHECK_EQ(ls.size(), std::size_t{1});
        if (!ls.empty()) {
            CHECK(ls[0].layer.kind == LayerKind::gemm);
            CHECK_EQ(ls[0].layer.p, 4);  // M
            CHECK_EQ(ls[0].layer.k, 5);  // N
            CHECK_EQ(ls[0].layer.c, 6);  // K
            CHECK_EQ(ls[0].layer.macs(), 120.0);
        }
    }
    {
        const std::string path = tmp_file("tldse.csv",
                                          "name,kind,n,k,c,p,q,r,s,pad_h,pad_w,groups\n"
                                          "dw,dwconv,1,8,8,4,4,3,3,1,1,8\n"
                                          "fc,gemm,1,10,64,2,1,1,1,0,0,1\n");
        TopologyFormat fmt{};
        const auto ls = read_topology(path, &fmt);
        CHECK(fmt == TopologyFormat::tldse);
        CHECK_EQ(ls.size(), std::size_t{2});
        if (ls.size() == 2) {
            CHECK(ls[0].layer.kind == LayerKind::dwconv);
            CHECK_EQ(ls[0].layer.groups, 8);
            CHECK_EQ(ls[0].layer.pad_h, 1);
            CHECK_EQ(ls[1].layer.c, 64);
        }
    }
    // Errors name file:line and the field.
    const std::string hdr =
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
        "Num Filter, Strides,\n";
    {
        const std::string p = tmp_file("bad1.csv", hdr +
                                                       "C1, 7, 7, 3, 3, 2, 4, 1,\n"
                                                       "C2, 7, 7, 3, 3, two, 4, 1,\n");
        CHECK_THROWS(read_topology(p), p + ":3", "Channels");
    }
    {
        const std::string p = tmp_file("bad2.csv", hdr + "\nC1, 7, 7, 3, 3, 2, 0, 1,\n");
        CHECK_THROWS(read_topology(p), p + ":3", "Num Filter");
    }
    {
        const std::string p = tmp_file("bad3.csv", hdr + "C1, 5, 7, 9, 3, 2, 4, 1,\n");
        CHECK_THROWS(read_topology(p), p + ":2", "Filter Height");
    }
    {
        const std::string p = tmp_file("bad4.csv", "Layer, M, N, K,\nG1, 4, -5, 6,\n");
        CHECK_THROWS(read_topology(p), p + ":2", "field 'N'");
    }
    {
        const std::string p = tmp_file("bad5.csv",
                                       "name,kind,k,c,groups\n"
                                       "a,conv,4,4,2\n"
                                       "b,conv,4,3,2\n");
        CHECK_THROWS(read_topology(p), p + ":3", "groups");
    }
    {
        const std::string p = tmp_file("bad6.csv", "name,kind,k,c\nx,pool,4,4\n");
        CHECK_THROWS(read_topology(p), p + ":2", "kind");
    }
    {
        const std::string p = tmp_file("bad7.csv", "name,kind,k,c,bogus\nx,conv,4,4,1\n");
        CHECK_THROWS(read_topology(p), p + ":1:", "bogus");
    }
    const std::string missing = tmp_file("missing.csv", "");
    std::remove(missing.c_str());
    CHECK_THROWS(read_topology(missing), missing, "no such file");
}

const char* kScaleSimCfg =
    "[general]\n"
    "run_name = unit\n"
    "\n"
    "[architecture_presets]\n"
    "ArrayHeight:    4\n"
    "ArrayWidth:     8\n"
    "IfmapSramSzkB:    2\n"
    "FilterSramSzkB:   3\n"
    "OfmapSramSzkB:    1\n"
    "IfmapOffset:    0\n"
    "FilterOffset:   10000000\n"
    "OfmapOffset:    20000000\n"
    "Bandwidth : 10\n"
    "Dataflow : is\n"
    "MemoryBanks:   1\n"
    "\n"
    "[run_presets]\n"
    "InterfaceBandwidth: CALC\n";

TEST_CASE(read_scalesim_config) {
    const std::string path = tmp_file("cfg.cfg", kScaleSimCfg);
    const ScaleSimConfig cfg = read_scalesim_config(path);
    const Arch& a = cfg.arch;
    CHECK_EQ(cfg.version, 2);  // no [layout] section
    CHECK(cfg.calc_bandwidth);
    CHECK(cfg.warnings.empty());  // CALC: neither tool limits the DRAM bandwidth
    CHECK(a.dataflow == Dataflow::is);
    CHECK_EQ(a.pe_rows, 4);
    CHECK_EQ(a.pe_cols, 8);
    CHECK_EQ(a.glb_input_bytes, 2048.0);
    CHECK_EQ(a.glb_weight_bytes, 3072.0);
    CHECK_EQ(a.glb_output_bytes, 1024.0);
    CHECK(a.glb_bytes >= 6144.0);
    CHECK_EQ(a.dram_bw, kUnlimitedDramBw);  // InterfaceBandwidth: CALC, not Bandwidth
    CHECK_EQ(a.weight_bits, 8);
    CHECK_EQ(a.act_bits, 8);
    CHECK_EQ(a.psum_bits, 8);
    CHECK_EQ(a.rf_bytes, 3.0);
    CHECK_EQ(a.glb_bw, 24.0);  // 2 * (4 + 8)
    CHECK(a.infeasibility() == nullptr);

    auto with = [&](const std::string& from, const std::string& to) {
        std::string text = kScaleSimCfg;
        const auto pos = text.find(from);
        text.replace(pos, from.size(), to);
        return text;
    };
    {
        const std::string p = tmp_file("bad1.cfg", with("ArrayHeight:    4", "ArrayHeight: x"));
        CHECK_THROWS(read_scalesim_config(p), p + ":5", "ArrayHeight");
    }
    {
        const std::string p =
            tmp_file("bad2.cfg", with("FilterSramSzkB:   3", "FilterSramSzkB: big"));
        CHECK_THROWS(read_scalesim_config(p), p + ":8", "FilterSramSzkB");
    }
    {
        const std::string p = tmp_file("bad3.cfg", with("Dataflow : is", "Dataflow : xs"));
        CHECK_THROWS(read_scalesim_config(p), p + ":14", "Dataflow");
    }
    {
        const std::string p = tmp_file("bad4.cfg", with("Bandwidth : 10", "Bandwidth : 0"));
        CHECK_THROWS(read_scalesim_config(p), p + ":13", "Bandwidth");
    }
    {
        const std::string p = tmp_file("bad5.cfg", with("ArrayWidth:     8\n", ""));
        CHECK_THROWS(read_scalesim_config(p), p, "ArrayWidth");
    }
    {
        const std::string p = tmp_file("bad6.cfg", with("ArrayWidth:     8", "ArrayWidth: 0"));
        CHECK_THROWS(read_scalesim_config(p), p + ":6", "ArrayWidth");
    }
}

TEST_CASE(energy_table) {
    const EnergyTable eye = EnergyTable::by_name("eyeriss");
    // per 16-bit access: MAC 1, RF 1, NoC 2, GLB 6, DRAM 200, independent of size
    CHECK_NEAR(eye.mac_energy_pj(16, 16), 1.0);
    CHECK_NEAR(eye.rf_access_pj(6, 16), 1.0);
    CHECK_NEAR(eye.rf_access_pj(4096, 16), 1.0);
    CHECK_NEAR(eye.noc_access_pj(16), 2.0);
    CHECK_NEAR(eye.glb_access_pj(1 << 20, 16), 6.0);
    CHECK_NEAR(eye.dram_access_pj(16), 200.0);
    CHECK_NEAR(eye.dram_access_pj(8), 100.0);
    CHECK_THROWS(EnergyTable::by_name("nope"), "nope");

    const EnergyTable h = EnergyTable::horowitz45();
    // GLB at 32 KiB: 1.25 * sqrt(32768/8192) = 2.5 per byte; 32 bits -> 10
    CHECK_NEAR(h.glb_access_pj(32768, 32), 10.0);
    CHECK_NEAR(h.dram_access_pj(8), 250.0);
    CHECK_NEAR(h.mac_energy_pj(8, 8), 0.23);
    // area: 2x2, rf 6, glb 1024, 8-bit: 4*(318 + 22.4*6 + 32) + 5.6*1024 = 7672
    Arch a;
    a.pe_rows = a.pe_cols = 2;
    a.rf_bytes = 6;
    a.glb_bytes = 1024;
    a.weight_bits = a.act_bits = 8;
    CHECK_NEAR(h.area_um2(a), 7672.0);

    const std::string path = tmp_file("table.toml",
                                      "# user table\n"
                                      "[energy]\n"
                                      "ref_bits = 8\n"
                                      "mac_pj = 0.5\n"
                                      "rf_pj = 2  # at rf_ref_bytes\n"
                                      "rf_ref_bytes = 16\n"
                                      "noc_pj = 3\n"
                                      "glb_pj = 10\n"
                                      "glb_ref_bytes = 1024\n"
                                      "dram_pj = 100\n"
                                      "leakage_mw_per_mm2 = 2\n"
                                      "[area]\n"
                                      "mac_um2 = 100\n"
                                      "rf_um2_per_byte = 10\n"
                                      "glb_um2_per_byte = 1\n"
                                      "noc_um2_per_pe = 5\n");
    const EnergyTable u = EnergyTable::from_file(path);
    CHECK_EQ(u.mac_pj, 0.5);
    CHECK_EQ(u.rf_ref_bytes, 16.0);
    CHECK_EQ(u.leakage_mw_per_mm2, 2.0);
    CHECK_EQ(u.sram_size_exponent, 0.5);  // not overridden: horowitz45's value
    // rf at 64 B: 2 * sqrt(64/16) = 4 per 8 bits; 16 bits -> 8
    CHECK_NEAR(u.rf_access_pj(64, 16), 8.0);
    CHECK_NEAR(u.glb_access_pj(4096, 8), 20.0);
    Arch b;
    b.pe_rows = b.pe_cols = 2;
    b.rf_bytes = 64;
    b.glb_bytes = 4096;
    b.weight_bits = b.act_bits = 8;
    CHECK_NEAR(u.area_um2(b), 7076.0);  // 4*(100 + 640 + 5) + 4096

    const std::string bad_key = tmp_file("bad_key.toml", "mac_pj = 1\n\nbogus_pj = 2\n");
    CHECK_THROWS(EnergyTable::from_file(bad_key), bad_key + ":3", "bogus_pj");
    const std::string bad_num = tmp_file("bad_num.toml", "[t]\ndram_pj = lots\n");
    CHECK_THROWS(EnergyTable::from_file(bad_num), bad_num + ":2", "dram_pj");
    const std::string neg = tmp_file("neg.toml", "noc_pj = -1\n");
    CHECK_THROWS(EnergyTable::from_file(neg), neg + ":1", "noc_pj");
}

}  // namespace
