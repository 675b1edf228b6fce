#include "tldse/arch.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace tldse {

const char* dataflow_name(Dataflow d) noexcept {
    switch (d) {
        case Dataflow::ws: return "ws";
        case Dataflow::os: return "os";
        case Dataflow::is: return "is";
        case Dataflow::rs: return "rs";
    }
    return "?";
}

Dataflow parse_dataflow(const std::string& s) {
    std::string l;
    for (char ch : s) {
        if (!std::isspace(static_cast<unsigned char>(ch))) {
            l += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
    }
    if (l == "ws" || l == "weight_stationary") return Dataflow::ws;
    if (l == "os" || l == "output_stationary") return Dataflow::os;
    if (l == "is" || l == "input_stationary") return Dataflow::is;
    if (l == "rs" || l == "row_stationary") return Dataflow::rs;
    throw std::invalid_argument("dataflow must be one of ws, os, is, rs; got '" + s + "'");
}

namespace {

constexpr double kMaxCount = 2147483647.0;  // 2^31 - 1

double finite(const char* field, double v) {
    if (!std::isfinite(v)) throw std::invalid_argument(std::string(field) + " must be finite");
    if (v < 0) {
        throw std::invalid_argument(std::string(field) + " must be >= 0, got " +
                                    std::to_string(v));
    }
    return v;
}

std::int64_t integer(const char* field, double v) {
    finite(field, v);
    if (v != std::floor(v) || v > kMaxCount) {
        throw std::invalid_argument(std::string(field) + " must be an integer below 2^31, got " +
                                    std::to_string(v));
    }
    return static_cast<std::int64_t>(v);
}

}  // namespace

Arch Arch::from_row(const double* row) {
    Arch a;
    const std::int64_t df = integer("dataflow", row[0]);
    if (df > 3) throw std::invalid_argument("dataflow must be 0 (ws), 1 (os), 2 (is) or 3 (rs)");
    a.dataflow = static_cast<Dataflow>(df);
    a.pe_rows = integer("pe_rows", row[1]);
    a.pe_cols = integer("pe_cols", row[2]);
    a.rf_bytes = finite("rf_bytes", row[3]);
    a.rf_input_bytes = finite("rf_input_bytes", row[4]);
    a.rf_weight_bytes = finite("rf_weight_bytes", row[5]);
    a.rf_output_bytes = finite("rf_output_bytes", row[6]);
    a.glb_bytes = finite("glb_bytes", row[7]);
    a.glb_input_bytes = finite("glb_input_bytes", row[8]);
    a.glb_weight_bytes = finite("glb_weight_bytes", row[9]);
    a.glb_output_bytes = finite("glb_output_bytes", row[10]);
    a.dram_bw = finite("dram_bw_bytes_per_cycle", row[11]);
    a.glb_bw = finite("glb_bw_bytes_per_cycle", row[12]);
    const std::int64_t mc = integer("multicast", row[13]);
    if (mc > 1) throw std::invalid_argument("multicast must be 0 or 1");
    a.multicast = mc == 1;
    a.weight_bits = static_cast<int>(integer("weight_bits", row[14]));
    a.act_bits = static_cast<int>(integer("act_bits", row[15]));
    a.psum_bits = static_cast<int>(integer("psum_bits", row[16]));
    a.clock_mhz = finite("clock_mhz", row[17]);
    a.validate();
    return a;
}

void Arch::to_row(double* row) const {
    const double v[] = {static_cast<double>(dataflow),
                        static_cast<double>(pe_rows),
                        static_cast<double>(pe_cols),
                        rf_bytes,
                        rf_input_bytes,
                        rf_weight_bytes,
                        rf_output_bytes,
                        glb_bytes,
                        glb_input_bytes,
                        glb_weight_bytes,
                        glb_output_bytes,
                        dram_bw,
                        glb_bw,
                        multicast ? 1.0 : 0.0,
                        static_cast<double>(weight_bits),
                        static_cast<double>(act_bits),
                        static_cast<double>(psum_bits),
                        clock_mhz};
    std::copy(std::begin(v), std::end(v), row);
}

void Arch::validate() const {
    // Structural checks only: values must be finite, non-negative and precisions sensible.
    finite("rf_bytes", rf_bytes);
    finite("rf_input_bytes", rf_input_bytes);
    finite("rf_weight_bytes", rf_weight_bytes);
    finite("rf_output_bytes", rf_output_bytes);
    finite("glb_bytes", glb_bytes);
    finite("glb_input_bytes", glb_input_bytes);
    finite("glb_weight_bytes", glb_weight_bytes);
    finite("glb_output_bytes", glb_output_bytes);
    finite("dram_bw_bytes_per_cycle", dram_bw);
    finite("glb_bw_bytes_per_cycle", glb_bw);
    finite("clock_mhz", clock_mhz);
    if (pe_rows < 0 || pe_cols < 0) throw std::invalid_argument("pe_rows/pe_cols must be >= 0");
    for (auto [name, bits] : {std::pair<const char*, int>{"weight_bits", weight_bits},
                              {"act_bits", act_bits},
                              {"psum_bits", psum_bits}}) {
        if (bits < 1 || bits > 64) {
            throw std::invalid_argument(std::string(name) + " must be in [1, 64], got " +
                                        std::to_string(bits));
        }
    }
}

namespace {

// A storage split into three per-tensor partitions: all three or none, within the total.
const char* partition_problem(double total, double a, double b, double c,
                              const char* missing, const char* exceeds) noexcept {
    if (a <= 0 && b <= 0 && c <= 0) return nullptr;
    if (a <= 0 || b <= 0 || c <= 0) return missing;
    if (a + b + c > total * (1 + 1e-12)) return exceeds;
    return nullptr;
}

}  // namespace

const char* Arch::infeasibility() const noexcept {
    if (pe_rows < 1 || pe_cols < 1) return "the PE array is empty";
    if (glb_bytes <= 0) return "the global buffer is empty";
    if (const char* why = partition_problem(
            glb_bytes, glb_input_bytes, glb_weight_bytes, glb_output_bytes,
            "a partitioned global buffer needs all three partitions",
            "the global-buffer partitions exceed glb_bytes")) {
        return why;
    }
    // Tiny positive values would make latencies or times overflow to infinity.
    if (dram_bw < 1e-6) return "DRAM bandwidth is zero (below 1e-6 bytes/cycle)";
    if (glb_bw < 1e-6) return "global-buffer bandwidth is zero (below 1e-6 bytes/cycle)";
    if (clock_mhz < 1e-6) return "clock is zero (below 1e-6 MHz)";
    if (const char* why = partition_problem(
            rf_bytes, rf_input_bytes, rf_weight_bytes, rf_output_bytes,
            "a partitioned register file needs all three partitions",
            "the register-file partitions exceed rf_bytes")) {
        return why;
    }
    if (rf_bytes * 8 < weight_bits + act_bits + psum_bits ||
        (partitioned_rf() && (rf_input_bytes * 8 < act_bits || rf_weight_bytes * 8 < weight_bits ||
                              rf_output_bytes * 8 < psum_bits))) {
        return "the register file cannot hold one weight, one input and one partial sum";
    }
    return nullptr;
}

}  // namespace tldse
