// The analytical cost model: one layer on one design under a given mapping -> cycles,
// accesses, energy. The mapper (mapper.hpp) chooses the mapping.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "tldse/arch.hpp"
#include "tldse/energy_table.hpp"
#include "tldse/glb_tiling.hpp"
#include "tldse/layer.hpp"
#include "tldse/rs_mapspace.hpp"
#include "tldse/status.hpp"

namespace tldse {

enum Level : int { kDram = 0, kGlb = 1, kNoc = 2, kRf = 3 };
inline constexpr std::array<const char*, 4> kLevelNames = {"dram", "glb", "noc", "rf"};
inline constexpr std::array<const char*, 3> kTensorNames = {"weight", "input", "output"};

// What bounds a layer's latency (the largest of the terms of the latency formula; ties
// go to the earlier entry).
enum class Bound : std::int32_t { compute = 0, dram = 1, glb = 2 };

// Everything about a design that does not depend on the layer, computed once per design
// and shared by all its layers: feasibility, capacities, per-access energies, area and
// leakage.
struct DesignContext {
    const Arch* arch = nullptr;
    Status status = Status::ok;  // invalid_config or nonfinite_area when not ok
    const char* why = nullptr;   // the reason when not ok (static text)
    GlbCapacity cap;
    // Energy of one access of one word of each tensor (weight, input, output/psum).
    std::array<double, 3> rf{}, noc{}, glb{}, dram{};
    double dram_final_output = 0;  // final outputs leave at activation width
    double mac = 0;
    double area_um2 = 0;
    double leakage_pj_per_cycle = 0;

    DesignContext() = default;
    DesignContext(const Arch& a, const EnergyTable& table);
    bool ok() const { return status == Status::ok; }
};

struct Accesses {
    // [level][tensor], in elements (words of that tensor's width).
    std::array<std::array<double, 3>, 4> reads{};
    std::array<std::array<double, 3>, 4> writes{};
    double level_reads(int level) const {
        return reads[level][0] + reads[level][1] + reads[level][2];
    }
    double level_writes(int level) const {
        return writes[level][0] + writes[level][1] + writes[level][2];
    }
};

struct LayerResult {
    Status status = Status::ok;
    double macs = 0;
    double compute_cycles = 0;
    double stall_cycles = 0;
    double latency_cycles = 0;
    double dram_cycles = 0;  // ceil(DRAM bytes / DRAM bandwidth)
    double glb_cycles = 0;   // ceil(GLB bytes / GLB bandwidth)
    Bound bound = Bound::compute;
    double utilization = 0;
    double energy_pj = 0;
    double dram_bytes = 0;
    std::array<double, 3> dram_bytes_by_tensor{};  // outputs: psums + final outputs
    std::array<double, 3> glb_bytes_by_tensor{};
    Accesses accesses;
    // Energy by level (dram, glb, noc, rf) and tensor, plus MAC and leakage.
    std::array<std::array<double, 3>, 4> energy_level_tensor_pj{};
    double mac_energy_pj = 0;
    double leakage_energy_pj = 0;
    GlbTile tiling;
    RsMapping rs;  // the row-stationary mapping (rs designs only)
};

// A result with a non-ok status: NaN metrics, MACs kept.
LayerResult failed_result(Status s, double macs);

// Cycles the array is busy for a layer: systolic compute_cycles count the last cycle's
// index (SCALE-Sim), so busy = compute_cycles + 1; rs counts cycles, busy = compute_cycles.
inline double busy_cycles(const Arch& a, double compute_cycles) noexcept {
    return a.dataflow == Dataflow::rs ? compute_cycles : compute_cycles + 1;
}

// Operand-matrix view of one group of a layer for a systolic dataflow (SCALE-Sim's view):
// sr rows and sc columns are unrolled onto the array, t is the temporal dimension.
struct SystolicDims {
    double sr = 0, sc = 0, t = 0;  // whole numbers below 2^53 (products of layer sizes)
};
SystolicDims systolic_dims(Dataflow df, const Layer& layer);

// Cycles for one operand-matrix multiplication on a rows x cols systolic array, including
// array fill and drain; equal to SCALE-Sim v2's total cycles when bandwidth is not the limit.
double systolic_cycles(Dataflow df, const SystolicDims& d, std::int64_t rows, std::int64_t cols);

// One systolic (ws/os/is) layer under its GLB tiling (the systolic mapping is fixed by the
// dataflow). `ctx` must be ok.
LayerResult evaluate_systolic(const DesignContext& ctx, const Layer& layer, const GlbTile& tile);

// One rs layer under a GLB tiling and a row-stationary mapping; `input_rows` is
// rs_input_rows_total(layer, shape). `ctx` must be ok.
LayerResult evaluate_rs(const DesignContext& ctx, const Layer& layer, const GlbTile& tile,
                        const RsShape& shape, const RsMapping& m, double input_rows);

// Latency and energy of rs evaluations of one layer under one tiling, without the
// breakdown: what the mapper ranks candidates on. Everything that does not depend on the
// mapping is computed once; score(m) repeats evaluate_rs's arithmetic for the rest, term
// by term in the same order, so its numbers equal evaluate_rs's latency_cycles and
// energy_pj bit for bit (tests/cpp checks it).
struct Score {
    double latency_cycles = 0;
    double energy_pj = 0;
};
class RsScorer {
   public:
    RsScorer(const DesignContext& ctx, const Layer& layer, const GlbTile& tile,
             const RsShape& shape, double input_rows);
    // Not thread-safe (memoises per q): one scorer per thread.
    Score score(const RsMapping& m) const {
        const double p = static_cast<double>(m.p), q = static_cast<double>(m.q);
        const double tf = static_cast<double>(m.tf), tc = static_cast<double>(m.tc);
        if (q != last_q_) {  // candidates come q by q
            last_q_ = q;
            c_blocks_ = std::ceil(C_ / q);
            n_c_key_.fill(0);
        }
        // ceil(F / (p tf)) and ceil(C / (q tc)) repeat from candidate to candidate.
        const double ptf = p * tf;
        if (ptf != last_ptf_) {
            last_ptf_ = ptf;
            n_f_ = std::ceil(F_ / ptf);
        }
        const double n_f = n_f_;
        const std::size_t slot = static_cast<std::size_t>(m.tc) % n_c_key_.size();
        if (n_c_key_[slot] != m.tc) {
            n_c_key_[slot] = m.tc;
            n_c_memo_[slot] = std::ceil(C_ / (q * tc));
        }
        const double n_c = n_c_memo_[slot];
        const double passes = gN_ * n_f * n_c * e_fold_ * r_fold_;
        const double w_words_pass = p * tf * q * tc * r_eff_ * S_ * mc_factor_;
        const double refill = std::ceil(w_words_pass * weight_bits_ / 8.0 / glb_bw_);
        const double compute = passes * (p * q * S_ * Q_ + (r_eff_ - 1) + refill);
        const double i_unique = gN_ * n_f * C_ * input_rows_ * W_;
        const double o_writes = outputs_ * c_blocks_ * r_fold_;
        const double o_reads = o_writes - outputs_;
        const double i_deliv = passes * r_eff_ * e_pass_ * tf * tc * q * W_;
        const double glb_r1 = multicast_ ? i_unique : i_deliv;
        const double glb_r2 = o_reads + psum_writes_ + output_writes_;
        const double glb_w2 = o_writes + psum_reads_;
        double glb_bytes = 0;
        glb_bytes += glb_bytes_weight_;
        glb_bytes += (glb_r1 + input_reads_) * bpe_input_;
        glb_bytes += (glb_r2 + glb_w2) * bpe_output_;
        const double glb_c = std::ceil(glb_bytes / glb_bw_);
        const double latency = std::max({compute, dram_cycles_, glb_c});
        const double e_glb = e_glb_weight_ + (glb_r1 + input_reads_) * glb_pj_input_ +
                             (glb_r2 + glb_w2) * glb_pj_output_;
        const double e_noc = e_noc_weight_ + (i_deliv + 0) * noc_pj_input_ +
                             (o_reads + o_writes * r_eff_) * noc_pj_output_;
        const double e_rf = e_rf_weight_ + (macs_ + i_deliv) * rf_pj_input_ + e_rf_output_;
        double total = mac_energy_ + (leakage_per_cycle_ > 0 ? leakage_per_cycle_ * latency : 0.0);
        total += e_dram_;
        total += e_glb;
        total += e_noc;
        total += e_rf;
        return {latency, total};
    }

   private:
    double gN_, F_, C_, Q_, S_, W_, r_eff_, e_pass_, e_fold_, r_fold_, mc_factor_, weight_bits_,
        glb_bw_, outputs_, macs_, input_rows_;
    bool multicast_;
    double psum_writes_, output_writes_, psum_reads_, input_reads_;
    double bpe_input_, bpe_output_, glb_bytes_weight_, dram_cycles_;
    double glb_pj_input_, glb_pj_output_, noc_pj_input_, noc_pj_output_, rf_pj_input_;
    double e_glb_weight_, e_noc_weight_, e_rf_weight_, e_rf_output_, e_dram_, mac_energy_,
        leakage_per_cycle_;
    // Memos (the same divisions as without them): ceil(C / q) of the last q, ceil(F / (p tf))
    // of the last p tf, ceil(C / (q tc)) by tc for the current q.
    mutable double last_q_ = 0, c_blocks_ = 0, last_ptf_ = 0, n_f_ = 0;
    mutable std::array<std::int64_t, 128> n_c_key_{};
    mutable std::array<double, 128> n_c_memo_{};
};

}  // namespace tldse
