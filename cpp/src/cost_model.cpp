#include "tldse/cost_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace tldse {

namespace {

// Exact for whole numbers below 2^53, which Layer::validate guarantees.
double cdiv(double a, double b) { return std::ceil(a / b); }

}  // namespace

LayerResult failed_result(Status s, double macs) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    LayerResult r;
    r.status = s;
    r.macs = macs;
    r.compute_cycles = r.stall_cycles = r.latency_cycles = r.utilization = r.energy_pj = nan;
    r.dram_cycles = r.glb_cycles = r.dram_bytes = nan;
    r.glb_bytes_by_tensor.fill(nan);
    r.dram_bytes_by_tensor.fill(nan);
    for (auto* arr : {&r.accesses.reads, &r.accesses.writes, &r.energy_level_tensor_pj}) {
        for (auto& lvl : *arr) lvl.fill(nan);
    }
    r.mac_energy_pj = r.leakage_energy_pj = nan;
    return r;
}

DesignContext::DesignContext(const Arch& a, const EnergyTable& tab) : arch(&a) {
    if (const char* w = a.infeasibility()) {
        status = Status::invalid_config;
        why = w;
        return;
    }
    cap = GlbCapacity::of(a);
    const double bits[3] = {static_cast<double>(a.weight_bits), static_cast<double>(a.act_bits),
                            static_cast<double>(a.psum_bits)};
    const double rf_unit = tab.rf_access_pj(a.rf_bytes, tab.ref_bits);
    const double glb_unit = tab.glb_access_pj(a.glb_bytes, tab.ref_bits);
    for (int t = 0; t < 3; ++t) {
        rf[t] = rf_unit * bits[t] / tab.ref_bits;
        glb[t] = glb_unit * bits[t] / tab.ref_bits;
        noc[t] = tab.noc_access_pj(bits[t]);
        dram[t] = tab.dram_access_pj(bits[t]);
    }
    dram_final_output = tab.dram_access_pj(bits[kInput]);
    mac = tab.mac_energy_pj(bits[kWeight], bits[kInput]);
    area_um2 = tab.area_um2(a);
    // mW/mm^2 x mm^2 x s = mJ = 1e9 pJ; one cycle lasts 1 / (clock_mhz * 1e6) s.
    leakage_pj_per_cycle = tab.leakage_mw_per_mm2 * area_um2 * 1e-6 * 1e9 / (a.clock_mhz * 1e6);
    if (!std::isfinite(area_um2) || !std::isfinite(leakage_pj_per_cycle)) {
        status = Status::nonfinite_area;
        why = "the area (or the leakage power) is not a finite number";
    }
}

SystolicDims systolic_dims(Dataflow df, const Layer& L) {
    const double px =
        static_cast<double>(L.n) * static_cast<double>(L.p) * static_cast<double>(L.q);
    const double win =
        static_cast<double>(L.r) * static_cast<double>(L.s) * static_cast<double>(L.c_per_group());
    const double nf = static_cast<double>(L.k_per_group());
    switch (df) {
        case Dataflow::os: return {px, nf, win};
        case Dataflow::ws: return {win, nf, px};
        case Dataflow::is: return {win, px, nf};
        case Dataflow::rs: break;
    }
    return {};
}

// SCALE-Sim v2 runs the folds of the operand matrices back to back (column folds outer);
// every fold fills and drains the whole array. Per fold: os streams T operands with
// (rows - 1) + (cols - 1) cycles of skew; ws and is first load the stationary operand
// (rows cycles). SCALE-Sim reports the index of the last busy cycle, hence the - 1.
double systolic_cycles(Dataflow df, const SystolicDims& d, std::int64_t rows, std::int64_t cols) {
    const double r = static_cast<double>(rows), c = static_cast<double>(cols);
    const double folds = cdiv(d.sr, r) * cdiv(d.sc, c);
    const double fill = df == Dataflow::os ? 0.0 : r;
    const double per_fold = fill + r + c + d.t - 2;
    return folds * per_fold - 1;
}

namespace {

// What the array does with the data: everything between the GLB and the MACs.
struct ArraySide {
    double compute_cycles = 0;
    std::array<double, 3> glb_reads{};   // read from the GLB towards the array (psums: read back)
    double glb_output_writes = 0;        // outputs and partial sums written into the GLB
    std::array<double, 3> noc_reads{};   // words delivered to PEs
    std::array<double, 3> noc_writes{};  // words leaving PEs (outputs, partial sums)
    std::array<double, 3> rf_reads{};
    std::array<double, 3> rf_writes{};
};

ArraySide systolic_side(const Arch& a, const Layer& L) {
    ArraySide s;
    const double macs = L.macs();
    const SystolicDims d = systolic_dims(a.dataflow, L);
    const double g = static_cast<double>(L.groups);
    const double fr = cdiv(d.sr, static_cast<double>(a.pe_rows));
    const double fc = cdiv(d.sc, static_cast<double>(a.pe_cols));
    // All groups run as one stream of folds.
    s.compute_cycles = g * (systolic_cycles(a.dataflow, d, a.pe_rows, a.pe_cols) + 1) - 1;
    const double sr = d.sr, sc = d.sc, t = d.t;
    double arr_w = 0, arr_i = 0, arr_o_w = 0, arr_o_r = 0;
    s.rf_reads = {macs, macs, macs};  // every MAC reads a weight, an input, a partial sum
    s.rf_writes[kOutput] = macs;      // ... and writes the partial sum
    switch (a.dataflow) {
        case Dataflow::os:  // rows: output pixels, cols: filters, time: window
            arr_i = g * sr * t * fc;
            arr_w = g * t * sc * fr;
            arr_o_w = g * sr * sc;
            s.rf_writes[kWeight] = s.rf_writes[kInput] = macs;  // both operands latched
            break;
        case Dataflow::ws:  // rows: window, cols: filters, time: output pixels
            arr_w = g * sr * sc;
            arr_i = g * t * sr * fc;
            arr_o_w = g * t * sc * fr;
            arr_o_r = g * t * sc * (fr - 1);
            s.rf_writes[kInput] = macs;
            s.rf_writes[kWeight] = arr_w;
            break;
        case Dataflow::is:  // rows: window, cols: output pixels, time: filters
            arr_i = g * sr * sc;
            arr_w = g * t * sr * fc;
            arr_o_w = g * t * sc * fr;
            arr_o_r = g * t * sc * (fr - 1);
            s.rf_writes[kWeight] = macs;
            s.rf_writes[kInput] = arr_i;
            break;
        case Dataflow::rs: break;
    }
    s.glb_reads = {arr_w, arr_i, arr_o_r};
    s.glb_output_writes = arr_o_w;
    s.noc_reads = {arr_w, arr_i, arr_o_r};
    s.noc_writes = {0, 0, arr_o_w};
    return s;
}

// `input_rows` = rs_input_rows_total(L, sh), which does not depend on the mapping.
ArraySide rs_side(const Arch& a, const Layer& L, const RsShape& sh, const RsMapping& m,
                  double input_rows) {
    ArraySide s;
    const double macs = L.macs();
    const double g = static_cast<double>(L.groups), N = static_cast<double>(L.n);
    const double F = static_cast<double>(L.k_per_group()), C = static_cast<double>(L.c_per_group());
    const double P = static_cast<double>(L.p), Q = static_cast<double>(L.q);
    const double R = static_cast<double>(L.r), S = static_cast<double>(L.s);
    const double p = static_cast<double>(m.p), q = static_cast<double>(m.q);
    const double tf = static_cast<double>(m.tf), tc = static_cast<double>(m.tc);
    const double r_eff = static_cast<double>(sh.r_eff), e_pass = static_cast<double>(sh.e_pass);
    const double e_fold = static_cast<double>(sh.e_fold), r_fold = static_cast<double>(sh.r_fold);
    const double W = static_cast<double>(L.input_w());

    // Passes: every image, filter block, channel block, output-row strip, filter-row piece.
    const double n_f = cdiv(F, p * tf), n_c = cdiv(C, q * tc);
    const double passes = g * N * n_f * n_c * e_fold * r_fold;
    // A pass: each PE runs a 1-D convolution of p filters x q channels over a row of Q
    // outputs (one MAC per cycle), then the column accumulates its partial sums
    // (r_eff - 1 cycles) and the single-buffered filter scratchpads are refilled at the GLB
    // bandwidth before the next pass.
    // Without multicast every PE of a row strip receives its own copy of the weights.
    const double w_words_pass = p * tf * q * tc * r_eff * S * (a.multicast ? 1.0 : e_pass);
    const double refill = std::ceil(w_words_pass * a.weight_bits / 8.0 / a.glb_bw);
    s.compute_cycles = passes * (p * q * S * Q + (r_eff - 1) + refill);

    // GLB <-> array, unique words (multicast sends each once).
    const double outputs = g * N * F * P * Q;
    const double w_unique = g * N * e_fold * F * C * R * S;
    const double i_unique = g * N * n_f * C * input_rows * W;
    const double o_writes = outputs * cdiv(C, q) * r_fold;
    const double o_reads = o_writes - outputs;
    // Deliveries to PEs: a weight to every PE of its row strip, an input row to every PE
    // whose diagonal needs it (each of r_eff x e_pass PEs of a set gets its own row).
    const double w_deliv = w_unique * e_pass;
    const double i_deliv = passes * r_eff * e_pass * tf * tc * q * W;
    const bool mc = a.multicast;
    s.glb_reads = {mc ? w_unique : w_deliv, mc ? i_unique : i_deliv, o_reads};
    s.glb_output_writes = o_writes;
    s.noc_reads = {w_deliv, i_deliv, o_reads};
    // Partial sums ripple up r_eff - 1 PEs, then go to the GLB.
    s.noc_writes = {0, 0, o_writes * r_eff};
    s.rf_reads = {macs, macs, macs};
    s.rf_writes = {w_deliv, i_deliv, macs};
    return s;
}

// The accesses, latency and energy of an array side under a GLB tiling. With Full, every
// field of *out is written; without, only the latency and energy are computed (the same
// operations in the same order, so the numbers are identical).
template <bool Full>
Score finish(const DesignContext& ctx, const Layer& L, const ArraySide& s, const GlbTile& tile,
             double busy, LayerResult* out) {
    const Arch& a = *ctx.arch;
    const GlbCapacity& cap = ctx.cap;
    // GLB traffic [tensor]: towards the array plus DRAM fills and drains.
    const std::array<double, 3> glb_r = {
        s.glb_reads[kWeight], s.glb_reads[kInput],
        s.glb_reads[kOutput] + tile.psum_writes + tile.output_writes};
    const std::array<double, 3> glb_w = {tile.weight_reads, tile.input_reads,
                                         s.glb_output_writes + tile.psum_reads};

    // --- latency ------------------------------------------------------------------------
    const double dram_bytes = cap.dram_bytes(tile);
    double glb_bytes = 0;
    std::array<double, 3> glb_bytes_t{};
    for (int tn = 0; tn < 3; ++tn) {
        glb_bytes_t[tn] = (glb_r[tn] + glb_w[tn]) * cap.bytes_per_elem[tn];
        glb_bytes += glb_bytes_t[tn];
    }
    // Whole cycles: a transfer that needs part of a cycle occupies all of it.
    const double dram_c = std::ceil(dram_bytes / a.dram_bw);
    const double glb_c = std::ceil(glb_bytes / a.glb_bw);
    const double latency = std::max({s.compute_cycles, dram_c, glb_c});

    // --- energy -------------------------------------------------------------------------
    std::array<std::array<double, 3>, 4> E;
    for (int tn = 0; tn < 3; ++tn) {
        E[kRf][tn] = (s.rf_reads[tn] + s.rf_writes[tn]) * ctx.rf[tn];
        E[kNoc][tn] = (s.noc_reads[tn] + s.noc_writes[tn]) * ctx.noc[tn];
        E[kGlb][tn] = (glb_r[tn] + glb_w[tn]) * ctx.glb[tn];
    }
    E[kDram][kWeight] = tile.weight_reads * ctx.dram[kWeight];
    E[kDram][kInput] = tile.input_reads * ctx.dram[kInput];
    E[kDram][kOutput] = (tile.psum_reads + tile.psum_writes) * ctx.dram[kOutput] +
                        tile.output_writes * ctx.dram_final_output;
    const double macs = L.macs();
    const double mac_e = macs * ctx.mac;
    const double leak = ctx.leakage_pj_per_cycle > 0 ? ctx.leakage_pj_per_cycle * latency : 0.0;
    double total = mac_e + leak;
    for (const auto& lvl : E) total += lvl[0] + lvl[1] + lvl[2];

    if constexpr (Full) {
        LayerResult& res = *out;
        res.macs = macs;
        res.tiling = tile;
        res.compute_cycles = s.compute_cycles;
        auto& A = res.accesses;
        A.reads[kRf] = s.rf_reads;
        A.writes[kRf] = s.rf_writes;
        A.reads[kNoc] = s.noc_reads;
        A.writes[kNoc] = s.noc_writes;
        A.reads[kDram] = {tile.weight_reads, tile.input_reads, tile.psum_reads};
        A.writes[kDram] = {0, 0, tile.psum_writes + tile.output_writes};
        A.reads[kGlb] = glb_r;
        A.writes[kGlb] = glb_w;
        res.dram_bytes = dram_bytes;
        res.glb_bytes_by_tensor = glb_bytes_t;
        res.dram_bytes_by_tensor = {
            tile.weight_reads * cap.bytes_per_elem[kWeight],
            tile.input_reads * cap.bytes_per_elem[kInput],
            (tile.psum_reads + tile.psum_writes) * cap.bytes_per_elem[kOutput] +
                tile.output_writes * cap.bytes_per_elem[kInput]};
        res.dram_cycles = dram_c;
        res.glb_cycles = glb_c;
        res.latency_cycles = latency;
        res.bound = latency == s.compute_cycles ? Bound::compute
                    : latency == dram_c         ? Bound::dram
                                                : Bound::glb;
        res.stall_cycles = latency - s.compute_cycles;
        res.utilization = macs / (busy * static_cast<double>(a.num_pes()));
        res.energy_level_tensor_pj = E;
        res.mac_energy_pj = mac_e;
        res.leakage_energy_pj = leak;
        res.energy_pj = total;
        // Overflow (inf, or NaN from inf x 0) is reported, never returned as a number.
        if (!std::isfinite(latency)) {
            res = failed_result(Status::nonfinite_latency, macs);
        } else if (!std::isfinite(total)) {
            res = failed_result(Status::nonfinite_energy, macs);
        }
    }
    return {latency, total};
}

}  // namespace

LayerResult evaluate_systolic(const DesignContext& ctx, const Layer& L, const GlbTile& tile) {
    const ArraySide side = systolic_side(*ctx.arch, L);
    LayerResult r;
    finish<true>(ctx, L, side, tile, busy_cycles(*ctx.arch, side.compute_cycles), &r);
    r.rs = RsMapping{0, 0, 0, 0};  // no row-stationary mapping
    return r;
}

LayerResult evaluate_rs(const DesignContext& ctx, const Layer& L, const GlbTile& tile,
                        const RsShape& sh, const RsMapping& m, double input_rows) {
    const ArraySide side = rs_side(*ctx.arch, L, sh, m, input_rows);
    LayerResult r;
    finish<true>(ctx, L, side, tile, busy_cycles(*ctx.arch, side.compute_cycles), &r);
    if (r.status == Status::ok) r.rs = m;
    return r;
}

RsScorer::RsScorer(const DesignContext& ctx, const Layer& L, const GlbTile& tile, const RsShape& sh,
                   double input_rows) {
    const Arch& a = *ctx.arch;
    const double g = static_cast<double>(L.groups), N = static_cast<double>(L.n);
    const double F = static_cast<double>(L.k_per_group()), C = static_cast<double>(L.c_per_group());
    const double P = static_cast<double>(L.p), Q = static_cast<double>(L.q);
    const double R = static_cast<double>(L.r), S = static_cast<double>(L.s);
    const double e_fold = static_cast<double>(sh.e_fold), e_pass = static_cast<double>(sh.e_pass);
    gN_ = g * N;
    F_ = F;
    C_ = C;
    Q_ = Q;
    S_ = S;
    W_ = static_cast<double>(L.input_w());
    r_eff_ = static_cast<double>(sh.r_eff);
    e_pass_ = e_pass;
    e_fold_ = e_fold;
    r_fold_ = static_cast<double>(sh.r_fold);
    multicast_ = a.multicast;
    mc_factor_ = a.multicast ? 1.0 : e_pass;
    weight_bits_ = a.weight_bits;
    glb_bw_ = a.glb_bw;
    outputs_ = g * N * F * P * Q;
    macs_ = L.macs();
    input_rows_ = input_rows;
    // As rs_side and finish, for the terms that do not depend on the mapping.
    const double w_unique = g * N * e_fold * F * C * R * S;
    const double w_deliv = w_unique * e_pass;
    psum_writes_ = tile.psum_writes;
    output_writes_ = tile.output_writes;
    psum_reads_ = tile.psum_reads;
    input_reads_ = tile.input_reads;
    const GlbCapacity& cap = ctx.cap;
    bpe_input_ = cap.bytes_per_elem[kInput];
    bpe_output_ = cap.bytes_per_elem[kOutput];
    const double glb_r0 = a.multicast ? w_unique : w_deliv;
    glb_bytes_weight_ = (glb_r0 + tile.weight_reads) * cap.bytes_per_elem[kWeight];
    dram_cycles_ = std::ceil(cap.dram_bytes(tile) / a.dram_bw);
    glb_pj_input_ = ctx.glb[kInput];
    glb_pj_output_ = ctx.glb[kOutput];
    noc_pj_input_ = ctx.noc[kInput];
    noc_pj_output_ = ctx.noc[kOutput];
    rf_pj_input_ = ctx.rf[kInput];
    e_glb_weight_ = (glb_r0 + tile.weight_reads) * ctx.glb[kWeight];
    e_noc_weight_ = (w_deliv + 0) * ctx.noc[kWeight];
    e_rf_weight_ = (macs_ + w_deliv) * ctx.rf[kWeight];
    e_rf_output_ = (macs_ + macs_) * ctx.rf[kOutput];
    e_dram_ = tile.weight_reads * ctx.dram[kWeight] + tile.input_reads * ctx.dram[kInput] +
              ((tile.psum_reads + tile.psum_writes) * ctx.dram[kOutput] +
               tile.output_writes * ctx.dram_final_output);
    mac_energy_ = macs_ * ctx.mac;
    leakage_per_cycle_ = ctx.leakage_pj_per_cycle;
}

}  // namespace tldse
