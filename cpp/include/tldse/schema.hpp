// The field lists, written once. Each X-macro below is expanded wherever the fields are
// enumerated: the Arch and EnergyTable members and defaults, the config-table columns,
// the row readers and writers, `set_arch_field` and `EnergyTable::set`, the usage text of
// tldse-sim and the Python bindings (`_core.config_fields()`, `_core.energy_fields()`).
#pragma once

#include <cstdint>
#include <limits>

namespace tldse {

// How a field's value is read: a whole number, any finite number, 0/1, or an enum code.
enum class FieldType : std::int32_t { integer = 0, real = 1, boolean = 2, enumeration = 3 };
const char* field_type_name(FieldType t) noexcept;

inline constexpr double kMaxReal = std::numeric_limits<double>::max();
// Byte counts are whole numbers up to 2^53 (exact in a double).
inline constexpr double kMaxBytes = 9007199254740992.0;
inline constexpr double kMinPositive = std::numeric_limits<double>::denorm_min();

// The config table, one row per design, in column order:
// X(column, Arch member, C++ type, FieldType, default, min, max, doc)
// `min` and `max` bound the values a row may hold (a row outside them is malformed and
// rejected naming the column); designs inside the bounds may still be infeasible
// (Arch::infeasibility).
#define TLDSE_CONFIG_FIELDS(X)                                                            \
    X(dataflow, dataflow, Dataflow, enumeration, 0, 0, 3,                                 \
      "dataflow code: 0 ws (weight stationary), 1 os (output stationary), 2 is (input "   \
      "stationary), 3 rs (row stationary)")                                               \
    X(pe_rows, pe_rows, std::int64_t, integer, 16, 0, 2147483647, "PE array rows")        \
    X(pe_cols, pe_cols, std::int64_t, integer, 16, 0, 2147483647, "PE array columns")     \
    X(rf_bytes, rf_bytes, double, integer, 64, 0, kMaxBytes,                              \
      "bytes of register file (scratchpads) per PE, in total")                            \
    X(rf_input_bytes, rf_input_bytes, double, integer, 0, 0, kMaxBytes,                   \
      "bytes of the per-PE register file for inputs (0: one shared register file)")       \
    X(rf_weight_bytes, rf_weight_bytes, double, integer, 0, 0, kMaxBytes,                 \
      "bytes of the per-PE register file for weights (0: shared)")                        \
    X(rf_output_bytes, rf_output_bytes, double, integer, 0, 0, kMaxBytes,                 \
      "bytes of the per-PE register file for partial sums (0: shared)")                   \
    X(glb_bytes, glb_bytes, double, integer, 131072, 0, kMaxBytes,                        \
      "bytes of global buffer, in total")                                                 \
    X(glb_input_bytes, glb_input_bytes, double, integer, 0, 0, kMaxBytes,                 \
      "bytes of the global buffer for inputs (0: one shared buffer)")                     \
    X(glb_weight_bytes, glb_weight_bytes, double, integer, 0, 0, kMaxBytes,               \
      "bytes of the global buffer for weights (0: shared)")                               \
    X(glb_output_bytes, glb_output_bytes, double, integer, 0, 0, kMaxBytes,               \
      "bytes of the global buffer for outputs and partial sums (0: shared)")              \
    X(dram_bw_bytes_per_cycle, dram_bw, double, real, 16, 0, kMaxReal,                    \
      "DRAM bandwidth, bytes per cycle")                                                  \
    X(glb_bw_bytes_per_cycle, glb_bw, double, real, 256, 0, kMaxReal,                     \
      "global-buffer bandwidth towards the PE array, bytes per cycle")                    \
    X(multicast, multicast, bool, boolean, 1, 0, 1,                                       \
      "1: the GLB->PE network multicasts (used by rs), 0: one copy per PE")               \
    X(weight_bits, weight_bits, int, integer, 8, 1, 64, "bits per weight")                \
    X(act_bits, act_bits, int, integer, 8, 1, 64, "bits per input and output activation") \
    X(psum_bits, psum_bits, int, integer, 32, 1, 64, "bits per partial sum")              \
    X(clock_mhz, clock_mhz, double, real, 1000, 0, kMaxReal, "clock frequency, MHz")

// The energy and area table: X(name, default (horowitz45), min, doc). Every value is a
// finite number >= min.
#define TLDSE_ENERGY_FIELDS(X)                                                             \
    X(ref_bits, 8, kMinPositive, "bits of the reference word every access energy is for")  \
    X(mac_pj, 0.23, 0, "pJ per MAC of two ref_bits-wide operands")                         \
    X(rf_pj, 1.25, 0, "pJ per register-file access of a ref_bits word, at rf_ref_bytes")   \
    X(rf_ref_bytes, 8192, kMinPositive, "register-file size rf_pj is given for, bytes")    \
    X(noc_pj, 0.46, 0, "pJ per word moved over the GLB<->PE network")                      \
    X(glb_pj, 1.25, 0, "pJ per global-buffer access of a ref_bits word, at glb_ref_bytes") \
    X(glb_ref_bytes, 8192, kMinPositive, "global-buffer size glb_pj is given for, bytes")  \
    X(sram_size_exponent, 0.5, 0, "SRAM energy scales as (size / reference)^exponent")     \
    X(dram_pj, 250.0, 0, "pJ per DRAM access of a ref_bits word")                          \
    X(leakage_mw_per_mm2, 0.0, 0, "leakage power, mW per mm^2 of area")                    \
    X(mac_um2, 318.0, 0, "um^2 per MAC unit at 8 x 8-bit operands")                        \
    X(rf_um2_per_byte, 22.4, 0, "um^2 per byte of register file")                          \
    X(glb_um2_per_byte, 5.6, 0, "um^2 per byte of global buffer")                          \
    X(noc_um2_per_pe, 32.0, 0, "um^2 of GLB<->PE network per PE")

// Expands to +1 per field: `0 TLDSE_CONFIG_FIELDS(TLDSE_FIELD_COUNT)` counts them.
#define TLDSE_FIELD_COUNT(...) +1

// One field as the bindings and messages see it.
struct FieldInfo {
    const char* name;
    FieldType type;
    double default_value;
    double min;
    double max;
    const char* doc;
};

}  // namespace tldse
