// One accelerator design point (one row of the config table).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "tldse/schema.hpp"

namespace tldse {

enum class Dataflow : std::int32_t { ws = 0, os = 1, is = 2, rs = 3 };

const char* dataflow_name(Dataflow d) noexcept;
// Parses "ws"/"os"/"is"/"rs" (case-insensitive); throws std::invalid_argument otherwise.
Dataflow parse_dataflow(const std::string& s);

// Column order of the config table (float64, one row per design point).
inline constexpr int kConfigWidth = 0 TLDSE_CONFIG_FIELDS(TLDSE_FIELD_COUNT);
#define TLDSE_FIELD_COLUMN(col, ...) #col,
inline constexpr std::array<const char*, kConfigWidth> kConfigColumns = {
    TLDSE_CONFIG_FIELDS(TLDSE_FIELD_COLUMN)};
#undef TLDSE_FIELD_COLUMN
#define TLDSE_FIELD_INFO(col, member, ctype, type, def, lo, hi, doc) \
    FieldInfo{#col, FieldType::type, def, lo, hi, doc},
inline constexpr std::array<FieldInfo, kConfigWidth> kConfigFields = {
    TLDSE_CONFIG_FIELDS(TLDSE_FIELD_INFO)};
#undef TLDSE_FIELD_INFO

struct Arch {
#define TLDSE_FIELD_MEMBER(col, member, ctype, type, def, lo, hi, doc) \
    ctype member = static_cast<ctype>(def);
    TLDSE_CONFIG_FIELDS(TLDSE_FIELD_MEMBER)
#undef TLDSE_FIELD_MEMBER

    // Malformed rows (NaN, out of the schema's bounds, non-integer counts) throw
    // std::invalid_argument naming the column; rows that are well-formed but infeasible
    // are reported by infeasibility().
    static Arch from_row(const double* row);
    void to_row(double* row) const;
    void validate() const;  // the same checks on the members: "<field> ..."
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
