// One accelerator design point (one row of the config table).
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace tldse {

enum class Dataflow : std::int32_t { ws = 0, os = 1, is = 2, rs = 3 };

const char* dataflow_name(Dataflow d) noexcept;
// Parses "ws"/"os"/"is"/"rs" (case-insensitive); throws std::invalid_argument otherwise.
Dataflow parse_dataflow(const std::string& s);

// Column order of the config table (float64, one row per design point).
inline constexpr std::array<const char*, 18> kConfigColumns = {
    "dataflow",          // 0 ws, 1 os, 2 is, 3 rs
    "pe_rows",           // PE array rows
    "pe_cols",           // PE array columns
    "rf_bytes",          // per-PE register file (scratchpads), total
    "rf_input_bytes",    // per-tensor partition of the register file; 0 = shared
    "rf_weight_bytes",
    "rf_output_bytes",
    "glb_bytes",         // global buffer, total
    "glb_input_bytes",   // per-tensor partition of the global buffer; 0 = shared
    "glb_weight_bytes",
    "glb_output_bytes",
    "dram_bw_bytes_per_cycle",
    "glb_bw_bytes_per_cycle",
    "multicast",         // 0/1: GLB->PE network can multicast (used by rs)
    "weight_bits",
    "act_bits",
    "psum_bits",
    "clock_mhz",
};
inline constexpr int kConfigWidth = static_cast<int>(kConfigColumns.size());

struct Arch {
    Dataflow dataflow = Dataflow::ws;
    std::int64_t pe_rows = 16;
    std::int64_t pe_cols = 16;
    double rf_bytes = 64;
    double rf_input_bytes = 0;
    double rf_weight_bytes = 0;
    double rf_output_bytes = 0;
    double glb_bytes = 131072;
    double glb_input_bytes = 0;
    double glb_weight_bytes = 0;
    double glb_output_bytes = 0;
    double dram_bw = 16;   // bytes / cycle
    double glb_bw = 256;   // bytes / cycle
    bool multicast = true;
    int weight_bits = 8;
    int act_bits = 8;
    int psum_bits = 32;
    double clock_mhz = 1000;

    // Malformed rows (NaN, negative, non-integer counts) throw std::invalid_argument naming
    // the column; rows that are well-formed but infeasible are reported by feasibility().
    static Arch from_row(const double* row);
    void to_row(double* row) const;
    void validate() const;  // throws std::invalid_argument("<field> ...")
    // nullptr when the design is buildable, else the reason (static text; no allocation).
    const char* infeasibility() const noexcept;

    std::int64_t num_pes() const { return pe_rows * pe_cols; }
    bool partitioned_rf() const {
        return rf_input_bytes > 0 || rf_weight_bytes > 0 || rf_output_bytes > 0;
    }
    bool partitioned_glb() const {
        return glb_input_bytes > 0 || glb_weight_bytes > 0 || glb_output_bytes > 0;
    }
};

}  // namespace tldse
