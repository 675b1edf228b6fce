#include "tldse/cost_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace tldse {

namespace {

// Exact for whole numbers below 2^53, which Layer::validate guarantees.
double cdiv(double a, double b) { return std::ceil(a / b); }

LayerResult failed(Status s, double macs) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    LayerResult r;
    r.status = s;
    r.macs = macs;
    r.compute_cycles = r.stall_cycles = r.latency_cycles = r.utilization = r.energy_pj = nan;
    for (auto* arr : {&r.accesses.reads, &r.accesses.writes, &r.energy_level_tensor_pj}) {
        for (auto& lvl : *arr) lvl.fill(nan);
    }
    r.mac_energy_pj = r.leakage_energy_pj = nan;
    return r;
}

}  // namespace

double Accesses::level_reads(int level) const {
    return reads[level][0] + reads[level][1] + reads[level][2];
}
double Accesses::level_writes(int level) const {
    return writes[level][0] + writes[level][1] + writes[level][2];
}

SystolicDims systolic_dims(Dataflow df, const Layer& L) {
    const double px = static_cast<double>(L.n) * static_cast<double>(L.p) * static_cast<double>(L.q);
    const double win = static_cast<double>(L.r) * static_cast<double>(L.s) *
                       static_cast<double>(L.c_per_group());
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

const char* objective_name(Objective o) noexcept {
    switch (o) {
        case Objective::latency: return "latency";
        case Objective::energy: return "energy";
        case Objective::edp: return "edp";
    }
    return "?";
}

const char* mapper_mode_name(MapperMode m) noexcept {
    return m == MapperMode::exhaustive ? "exhaustive" : "heuristic";
}

Objective parse_objective(const std::string& s) {
    if (s == "latency") return Objective::latency;
    if (s == "energy") return Objective::energy;
    if (s == "edp") return Objective::edp;
    throw std::invalid_argument("objective must be one of latency, energy, edp; got '" + s + "'");
}

MapperMode parse_mapper_mode(const std::string& s) {
    if (s == "heuristic") return MapperMode::heuristic;
    if (s == "exhaustive") return MapperMode::exhaustive;
    throw std::invalid_argument("mapper must be heuristic or exhaustive; got '" + s + "'");
}

LayerResult evaluate_layer(const Arch& a, const Layer& L, const EnergyTable& tab,
                           const MapperOptions& mapper) {
    return evaluate_layer(a, L, tab, *glb_tilings(L), mapper);
}

double objective_value(const LayerResult& r, Objective o) noexcept {
    switch (o) {
        case Objective::latency: return r.latency_cycles;
        case Objective::energy: return r.energy_pj;
        case Objective::edp: return r.latency_cycles * r.energy_pj;
    }
    return r.latency_cycles;
}

namespace {

// What the array does with the data: everything between the GLB and the MACs.
struct ArraySide {
    double compute_cycles = 0;
    std::array<double, 3> glb_reads{};  // read from the GLB towards the array (psums: read back)
    double glb_output_writes = 0;       // outputs and partial sums written into the GLB
    std::array<double, 3> noc_reads{};  // words delivered to PEs
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

// Input rows moved for one channel of one image over all e-strips and filter-row pieces.
double rs_input_rows_total(const Layer& L, const RsShape& sh) {
    constexpr std::int64_t kMaxExact = 4096;
    if (sh.r_fold * std::min<std::int64_t>(sh.e_fold, kMaxExact) > 65536) {
        // Very many (strip, piece) pairs: every pair counted like the first one.
        return static_cast<double>(sh.e_fold) * static_cast<double>(sh.r_fold) *
               static_cast<double>(L.input_rows_read(0, std::min(sh.e_pass, L.p), 0,
                                                     std::min(sh.r_eff, L.r)));
    }
    double total = 0;
    for (std::int64_t rf = 0; rf < sh.r_fold; ++rf) {
        const std::int64_t r0 = rf * sh.r_eff;
        const std::int64_t r_rows = std::min(sh.r_eff, L.r - r0);
        if (r_rows <= 0) break;
        if (sh.e_fold <= kMaxExact) {
            for (std::int64_t e = 0; e < sh.e_fold; ++e) {
                const std::int64_t first = e * sh.e_pass;
                if (first >= L.p) break;
                total += static_cast<double>(
                    L.input_rows_read(first, std::min(sh.e_pass, L.p - first), r0, r_rows));
            }
        } else {  // very tall outputs: closed form, borders ignored
            total += static_cast<double>(sh.e_fold) *
                     static_cast<double>(L.input_rows_read(0, sh.e_pass, r0, r_rows));
        }
    }
    return total;
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

// Per-access energies of one design, computed once per (design, layer) evaluation.
struct AccessEnergy {
    std::array<double, 3> rf{}, noc{}, glb{}, dram{};
    double dram_final_output = 0;  // final outputs leave at activation width
    double mac = 0;
    double leakage_pj_per_cycle = 0;

    AccessEnergy(const Arch& a, const EnergyTable& tab) {
        const double bits[3] = {static_cast<double>(a.weight_bits),
                                static_cast<double>(a.act_bits),
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
        // mW/mm^2 x mm^2 x s = mJ = 1e9 pJ; one cycle lasts 1 / (clock_mhz * 1e6) s.
        leakage_pj_per_cycle =
            tab.leakage_mw_per_mm2 * tab.area_um2(a) * 1e-6 * 1e9 / (a.clock_mhz * 1e6);
    }
};

// `busy_cycles`: the cycles the array is busy (systolic: compute_cycles + 1, since
// SCALE-Sim's count is the last cycle's index; rs: compute_cycles).
LayerResult finish(const Arch& a, const Layer& L, const AccessEnergy& en, const ArraySide& s,
                   const GlbTile& tile, const GlbCapacity& cap, double busy_cycles) {
    LayerResult res;
    const double macs = L.macs();
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
    A.reads[kGlb] = {s.glb_reads[kWeight], s.glb_reads[kInput],
                     s.glb_reads[kOutput] + tile.psum_writes + tile.output_writes};
    A.writes[kGlb] = {tile.weight_reads, tile.input_reads, s.glb_output_writes + tile.psum_reads};

    // --- latency ------------------------------------------------------------------------
    const double dram_bytes = cap.dram_bytes(tile);
    double glb_bytes = 0;
    for (int tn = 0; tn < 3; ++tn) {
        glb_bytes += (A.reads[kGlb][tn] + A.writes[kGlb][tn]) * cap.bytes_per_elem[tn];
    }
    // Whole cycles: a transfer that needs part of a cycle occupies all of it.
    res.latency_cycles = std::max({res.compute_cycles, std::ceil(dram_bytes / a.dram_bw),
                                   std::ceil(glb_bytes / a.glb_bw)});
    res.stall_cycles = res.latency_cycles - res.compute_cycles;
    res.utilization = macs / (busy_cycles * static_cast<double>(a.num_pes()));

    // --- energy -------------------------------------------------------------------------
    auto& E = res.energy_level_tensor_pj;
    for (int tn = 0; tn < 3; ++tn) {
        E[kRf][tn] = (A.reads[kRf][tn] + A.writes[kRf][tn]) * en.rf[tn];
        E[kNoc][tn] = (A.reads[kNoc][tn] + A.writes[kNoc][tn]) * en.noc[tn];
        E[kGlb][tn] = (A.reads[kGlb][tn] + A.writes[kGlb][tn]) * en.glb[tn];
    }
    E[kDram][kWeight] = tile.weight_reads * en.dram[kWeight];
    E[kDram][kInput] = tile.input_reads * en.dram[kInput];
    E[kDram][kOutput] = (tile.psum_reads + tile.psum_writes) * en.dram[kOutput] +
                        tile.output_writes * en.dram_final_output;
    res.mac_energy_pj = macs * en.mac;
    res.leakage_energy_pj =
        en.leakage_pj_per_cycle > 0 ? en.leakage_pj_per_cycle * res.latency_cycles : 0.0;
    double total = res.mac_energy_pj + res.leakage_energy_pj;
    for (const auto& lvl : E) total += lvl[0] + lvl[1] + lvl[2];
    res.energy_pj = total;
    return res;
}

}  // namespace

LayerResult evaluate_layer(const Arch& a, const Layer& L, const EnergyTable& tab,
                           const std::vector<GlbTile>& tilings, const MapperOptions& mapper) {
    const double macs = L.macs();
    if (a.infeasibility() != nullptr) return failed(Status::invalid_config, macs);

    const GlbCapacity cap = GlbCapacity::of(a);
    const GlbTile* tile = best_glb_tiling(tilings, cap);
    if (tile == nullptr) return failed(Status::does_not_fit, macs);

    const AccessEnergy en(a, tab);
    if (a.dataflow != Dataflow::rs) {
        // The systolic mapping is fixed by the dataflow and the GLB tiling that moves the
        // fewest DRAM bytes is best for every objective: nothing else to choose.
        const ArraySide side = systolic_side(a, L);
        return finish(a, L, en, side, *tile, cap, busy_cycles(a, side.compute_cycles));
    }
    const RsShape sh = rs_shape(a, L);
    const double input_rows = rs_input_rows_total(L, sh);
    const auto candidates = rs_candidates(a, L, mapper.mode == MapperMode::exhaustive);
    LayerResult best;
    bool found = false;
    double best_value = 0;
    for (const RsMapping& m : candidates) {
        const ArraySide side = rs_side(a, L, sh, m, input_rows);
        LayerResult r = finish(a, L, en, side, *tile, cap, busy_cycles(a, side.compute_cycles));
        const double v = objective_value(r, mapper.objective);
        // Ties on the objective go to lower latency, then lower energy, then the first.
        const bool better =
            !found || v < best_value ||
            (v == best_value &&
             (r.latency_cycles < best.latency_cycles ||
              (r.latency_cycles == best.latency_cycles && r.energy_pj < best.energy_pj)));
        if (better) {
            best = r;
            best.rs = m;
            best_value = v;
            found = true;
        }
    }
    if (!found) return failed(Status::does_not_fit, macs);
    return best;
}

}  // namespace tldse
