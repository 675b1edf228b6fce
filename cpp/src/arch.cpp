#include "tldse/arch.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

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

const char* field_type_name(FieldType t) noexcept {
    switch (t) {
        case FieldType::integer: return "int";
        case FieldType::real: return "float";
        case FieldType::boolean: return "bool";
        case FieldType::enumeration: return "enum";
    }
    return "?";
}

namespace {

std::string num(double v) {
    std::string s = std::to_string(v);
    if (s.find('.') != std::string::npos) {
        while (s.back() == '0') s.pop_back();
        if (s.back() == '.') s.pop_back();
    }
    return s;
}

// Checks one value against its field's type and bounds; throws naming the field.
double checked(const FieldInfo& f, double v) {
    const std::string name = f.name;
    if (!std::isfinite(v)) throw std::invalid_argument(name + " must be finite, got " + num(v));
    if (f.type == FieldType::real) {
        if (v < f.min) {
            throw std::invalid_argument(name + (f.min > 0 ? " must be > 0" : " must be >= 0") +
                                        ", got " + num(v));
        }
        return v;
    }
    if (v != std::floor(v) || v < f.min || v > f.max) {
        std::string what = name + " must be an integer in [" + num(f.min) + ", " + num(f.max) + "]";
        if (f.type != FieldType::integer) what += std::string(" (") + f.doc + ")";
        throw std::invalid_argument(what + ", got " + num(v));
    }
    return v;
}

template <typename T>
T from_double(double v) {
    if constexpr (std::is_same_v<T, Dataflow>) {
        return static_cast<Dataflow>(static_cast<std::int32_t>(v));
    } else if constexpr (std::is_same_v<T, bool>) {
        return v != 0;
    } else {
        return static_cast<T>(v);
    }
}

template <typename T>
double to_double(T v) {
    if constexpr (std::is_same_v<T, Dataflow>) {
        return static_cast<double>(static_cast<std::int32_t>(v));
    } else if constexpr (std::is_same_v<T, bool>) {
        return v ? 1.0 : 0.0;
    } else {
        return static_cast<double>(v);
    }
}

}  // namespace

Arch Arch::from_row(const double* row) {
    Arch a;
    std::size_t i = 0;
#define TLDSE_FIELD_READ(col, member, ctype, type, def, lo, hi, doc)  \
    a.member = from_double<ctype>(checked(kConfigFields[i], row[i])); \
    ++i;
    TLDSE_CONFIG_FIELDS(TLDSE_FIELD_READ)
#undef TLDSE_FIELD_READ
    return a;
}

void Arch::to_row(double* row) const {
    std::size_t i = 0;
#define TLDSE_FIELD_WRITE(col, member, ctype, type, def, lo, hi, doc) row[i++] = to_double(member);
    TLDSE_CONFIG_FIELDS(TLDSE_FIELD_WRITE)
#undef TLDSE_FIELD_WRITE
}

void Arch::validate() const {
    double row[kConfigWidth];
    to_row(row);
    for (std::size_t i = 0; i < kConfigFields.size(); ++i) checked(kConfigFields[i], row[i]);
}

namespace {

// A storage split into three per-tensor partitions: all three or none, within the total.
const char* partition_problem(double total, double a, double b, double c, const char* missing,
                              const char* exceeds) noexcept {
    if (a <= 0 && b <= 0 && c <= 0) return nullptr;
    if (a <= 0 || b <= 0 || c <= 0) return missing;
    if (a + b + c > total * (1 + 1e-12)) return exceeds;
    return nullptr;
}

}  // namespace

const char* Arch::infeasibility() const noexcept {
    if (pe_rows < 1 || pe_cols < 1) return "the PE array is empty";
    if (glb_bytes <= 0) return "the global buffer is empty";
    if (const char* why =
            partition_problem(glb_bytes, glb_input_bytes, glb_weight_bytes, glb_output_bytes,
                              "a partitioned global buffer needs all three partitions",
                              "the global-buffer partitions exceed glb_bytes")) {
        return why;
    }
    // Tiny positive values would make latencies or times overflow to infinity.
    if (dram_bw < 1e-6) return "DRAM bandwidth is zero (below 1e-6 bytes/cycle)";
    if (glb_bw < 1e-6) return "global-buffer bandwidth is zero (below 1e-6 bytes/cycle)";
    if (clock_mhz < 1e-6) return "clock is zero (below 1e-6 MHz)";
    if (const char* why =
            partition_problem(rf_bytes, rf_input_bytes, rf_weight_bytes, rf_output_bytes,
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
