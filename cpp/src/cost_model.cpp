#include "tldse/cost_model.hpp"

#include <algorithm>
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

LayerResult evaluate_layer(const Arch& a, const Layer& L, const EnergyTable& tab,
                           const std::vector<GlbTile>& tilings, const MapperOptions& mapper) {
    (void)mapper;  // the systolic model's best tiling is the same for every objective
    const double macs = L.macs();
    if (a.infeasibility() != nullptr) return failed(Status::invalid_config, macs);
    if (a.dataflow == Dataflow::rs) return failed(Status::unsupported, macs);

    const GlbCapacity cap = GlbCapacity::of(a);
    const GlbTile* tile = best_glb_tiling(tilings, cap);
    if (tile == nullptr) return failed(Status::does_not_fit, macs);

    LayerResult res;
    res.macs = macs;
    res.tiling = *tile;

    // --- compute: all groups run as one stream of folds --------------------------------
    const SystolicDims d = systolic_dims(a.dataflow, L);
    const double g = static_cast<double>(L.groups);
    const double fr = cdiv(d.sr, static_cast<double>(a.pe_rows));
    const double fc = cdiv(d.sc, static_cast<double>(a.pe_cols));
    res.compute_cycles = g * (systolic_cycles(a.dataflow, d, a.pe_rows, a.pe_cols) + 1) - 1;

    // --- array-side traffic (GLB <-> array edge), elements ------------------------------
    const double sr = d.sr, sc = d.sc, t = d.t;
    double arr_w = 0, arr_i = 0, arr_o_w = 0, arr_o_r = 0;
    auto& rf_r = res.accesses.reads[kRf];
    auto& rf_w = res.accesses.writes[kRf];
    rf_r = {macs, macs, macs};  // every MAC reads a weight, an input and a partial sum
    rf_w[kOutput] = macs;       // ... and writes the partial sum
    switch (a.dataflow) {
        case Dataflow::os:  // rows: output pixels, cols: filters, time: window
            arr_i = g * sr * t * fc;
            arr_w = g * t * sc * fr;
            arr_o_w = g * sr * sc;
            rf_w[kWeight] = rf_w[kInput] = macs;  // both operands latched in every PE
            break;
        case Dataflow::ws:  // rows: window, cols: filters, time: output pixels
            arr_w = g * sr * sc;
            arr_i = g * t * sr * fc;
            arr_o_w = g * t * sc * fr;
            arr_o_r = g * t * sc * (fr - 1);
            rf_w[kInput] = macs;
            rf_w[kWeight] = arr_w;
            break;
        case Dataflow::is:  // rows: window, cols: output pixels, time: filters
            arr_i = g * sr * sc;
            arr_w = g * t * sr * fc;
            arr_o_w = g * t * sc * fr;
            arr_o_r = g * t * sc * (fr - 1);
            rf_w[kWeight] = macs;
            rf_w[kInput] = arr_i;
            break;
        case Dataflow::rs: break;
    }
    auto& A = res.accesses;
    A.reads[kNoc] = {arr_w, arr_i, arr_o_r};
    A.writes[kNoc] = {0, 0, arr_o_w};

    // --- DRAM <-> GLB from the tiling --------------------------------------------------
    A.reads[kDram] = {tile->weight_reads, tile->input_reads, tile->psum_reads};
    A.writes[kDram] = {0, 0, tile->psum_writes + tile->output_writes};
    A.reads[kGlb] = {arr_w, arr_i, arr_o_r + tile->psum_writes + tile->output_writes};
    A.writes[kGlb] = {tile->weight_reads, tile->input_reads, arr_o_w + tile->psum_reads};

    // --- latency ------------------------------------------------------------------------
    const double bw_w = a.weight_bits / 8.0, bw_i = a.act_bits / 8.0, bw_o = a.psum_bits / 8.0;
    const double dram_bytes = cap.dram_bytes(*tile);
    double glb_bytes = 0;
    for (int tn = 0; tn < 3; ++tn) {
        const double b = tn == kWeight ? bw_w : tn == kInput ? bw_i : bw_o;
        glb_bytes += (A.reads[kGlb][tn] + A.writes[kGlb][tn]) * b;
    }
    // Whole cycles: a transfer that needs part of a cycle occupies all of it.
    res.latency_cycles = std::max({res.compute_cycles, std::ceil(dram_bytes / a.dram_bw),
                                   std::ceil(glb_bytes / a.glb_bw)});
    res.stall_cycles = res.latency_cycles - res.compute_cycles;
    // Busy cycles are compute_cycles + 1 (SCALE-Sim counts the last cycle's index).
    res.utilization = macs / ((res.compute_cycles + 1) * static_cast<double>(a.num_pes()));

    // --- energy -------------------------------------------------------------------------
    const double bits[3] = {static_cast<double>(a.weight_bits), static_cast<double>(a.act_bits),
                            static_cast<double>(a.psum_bits)};
    auto& E = res.energy_level_tensor_pj;
    for (int tn = 0; tn < 3; ++tn) {
        const double n_rf = A.reads[kRf][tn] + A.writes[kRf][tn];
        const double n_noc = A.reads[kNoc][tn] + A.writes[kNoc][tn];
        const double n_glb = A.reads[kGlb][tn] + A.writes[kGlb][tn];
        E[kRf][tn] = n_rf * tab.rf_access_pj(a.rf_bytes, bits[tn]);
        E[kNoc][tn] = n_noc * tab.noc_access_pj(bits[tn]);
        E[kGlb][tn] = n_glb * tab.glb_access_pj(a.glb_bytes, bits[tn]);
    }
    E[kDram][kWeight] = tile->weight_reads * tab.dram_access_pj(bits[kWeight]);
    E[kDram][kInput] = tile->input_reads * tab.dram_access_pj(bits[kInput]);
    E[kDram][kOutput] = (tile->psum_reads + tile->psum_writes) * tab.dram_access_pj(bits[kOutput]) +
                        tile->output_writes * tab.dram_access_pj(bits[kInput]);
    res.mac_energy_pj = macs * tab.mac_energy_pj(bits[kWeight], bits[kInput]);
    const double seconds = res.latency_cycles / (a.clock_mhz * 1e6);
    // mW/mm^2 x mm^2 x s = mJ = 1e9 pJ
    res.leakage_energy_pj = tab.leakage_mw_per_mm2 * tab.area_um2(a) * 1e-6 * seconds * 1e9;
    double total = res.mac_energy_pj + res.leakage_energy_pj;
    for (const auto& lvl : E) total += lvl[0] + lvl[1] + lvl[2];
    res.energy_pj = total;
    return res;
}

}  // namespace tldse
