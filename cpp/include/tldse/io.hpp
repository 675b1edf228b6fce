// File readers shared by the binary and the Python package: SCALE-Sim configs and
// topologies, tldse layer CSVs and flat key = value files. Every error names the file,
// the line and the field. Each reader takes a path, or an open stream and the name its
// messages give it (the fuzz harness reads from memory).
//
// The same strict rules everywhere: a key given twice, a CSV column named twice, a
// fractional or out-of-range number where a whole number is required and a value that is
// not a decimal number (hexadecimal, "1_000", "inf") are errors naming both places or the
// field.
#pragma once

#include <array>
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "tldse/arch.hpp"
#include "tldse/layer.hpp"

namespace tldse {

// `s` as inert, valid UTF-8 text: well-formed UTF-8 is kept; bytes that are not (overlong
// forms, surrogates, code points above U+10FFFF, stray continuation bytes) and control
// characters (C0 but tab, DEL, C1) are written as \xNN.
std::string printable(const std::string& s);

struct KeyValue {
    std::string section;  // lower-case, "" before the first [section]
    std::string key;      // as written, trimmed
    std::string value;    // trimmed, surrounding quotes removed
    int line = 0;
};

// Where a key must be unique: within its [section] (SCALE-Sim configs, as Python's
// configparser), or in the whole file (arch and energy files, whose sections are
// decoration). Keys compare case-insensitively.
enum class KeyScope { section, file };

// Reads "key = value" or "key: value" lines ('#' and ';' comments, [section] headers).
// A key given twice in its scope, or a section header given twice, is an error naming
// both lines.
std::vector<KeyValue> read_key_values(std::istream& in, const std::string& name,
                                      KeyScope scope = KeyScope::section);
std::vector<KeyValue> read_key_values(const std::string& path, KeyScope scope = KeyScope::section);

// A finite decimal number ("12", "-1.5e3"; not hex, not inf/nan, no '_').
double parse_number(const std::string& text, const std::string& file, int line,
                    const std::string& field);
// A whole number in [lo, 2^31).
std::int64_t parse_int(const std::string& text, const std::string& file, int line,
                       const std::string& field, std::int64_t lo = 1);
// Parses a finite decimal number the way parse_number does; false when `text` is not one.
bool parse_decimal(const std::string& text, double* value);

struct NamedLayer {
    std::string name;
    Layer layer;
};

enum class TopologyFormat { scalesim_conv, scalesim_gemm, tldse };

// Reads a SCALE-Sim conv topology (Layer name, IFMAP Height, IFMAP Width, Filter Height,
// Filter Width, Channels, Num Filter, Strides), a SCALE-Sim GEMM topology (Layer, M, N, K)
// or a tldse layer CSV (header with the layer-table column names), told apart by the header.
// SCALE-Sim conventions (docs/model.md, "SCALE-Sim files"): no padding; output size
// ceil((H - R) / stride) + 1; a conv row whose name contains "DP" is depthwise (Channels
// layers of one channel: c = 1, count = Channels); fields after the eighth (after K for
// GEMMs) are ignored but a sparsity ratio "N:M", which is not modelled (warned). Rows whose
// fields are all empty (",,,,") are skipped. `warnings`, when given, receives what tldse
// reads differently from SCALE-Sim.
std::vector<NamedLayer> read_topology(std::istream& in, const std::string& name,
                                      TopologyFormat* format = nullptr,
                                      std::vector<std::string>* warnings = nullptr);
std::vector<NamedLayer> read_topology(const std::string& path, TopologyFormat* format = nullptr,
                                      std::vector<std::string>* warnings = nullptr);

// A SCALE-Sim config as tldse reads it (docs/model.md, "SCALE-Sim files").
struct ScaleSimConfig {
    Arch arch;
    int version = 2;              // 3 when the file has a [layout] section
    bool calc_bandwidth = false;  // [run_presets] InterfaceBandwidth: CALC (no DRAM limit)
    // The DRAM bandwidth of the ifmap, filter and ofmap buffers, words per cycle (USER
    // mode; 0 in CALC mode): v2 gives each buffer `Bandwidth`, v3 reads the ifmap and
    // filter ones from [layout] IfmapSRAMBankBandwidth and FilterSRAMBankBandwidth.
    std::array<double, 3> port_words_per_cycle{};
    // Where tldse's model differs from SCALE-Sim's for this file (one shared DRAM port,
    // custom layouts, sparsity, Ramulator), one sentence each.
    std::vector<std::string> warnings;
};

// The DRAM bandwidth tldse uses for InterfaceBandwidth: CALC ("no limit"): 2^53 bytes per
// cycle, so that the DRAM term of the latency is at most a cycle or two.
inline constexpr double kUnlimitedDramBw = 9007199254740992.0;

// Reads a SCALE-Sim v2 or v3 .cfg. All tensors are 8-bit words as in SCALE-Sim; the three
// SRAMs become the three global-buffer partitions; USER mode's three DRAM ports become one
// shared port of the smallest of their bandwidths (a warning says so).
ScaleSimConfig read_scalesim_config(std::istream& in, const std::string& name);
ScaleSimConfig read_scalesim_config(const std::string& path);

// Reads a tldse architecture file: flat key = value with the config-table column names
// (dataflow may be written ws/os/is/rs). Missing keys keep `base`'s values.
Arch read_arch_file(std::istream& in, const std::string& name, const Arch& base);
Arch read_arch_file(const std::string& path, const Arch& base);

// Applies one "key=value" override to an Arch; throws naming the key when unknown, and
// the field when the value is not one the field takes (a whole number for integer fields,
// true/false/on/off/yes/no/1/0 for booleans, ws/os/is/rs for the dataflow).
void set_arch_field(Arch& arch, const std::string& key, const std::string& value);

}  // namespace tldse
