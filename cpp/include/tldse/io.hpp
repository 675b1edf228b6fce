// File readers shared by the binary and the Python package: SCALE-Sim configs and
// topologies, tldse layer CSVs and flat key = value files. Every error names the file,
// the line and the field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tldse/arch.hpp"
#include "tldse/layer.hpp"

namespace tldse {

// `s` with invalid UTF-8 and control bytes written as \xNN (for error messages and output).
std::string printable(const std::string& s);

struct KeyValue {
    std::string section;  // lower-case, "" before the first [section]
    std::string key;      // as written, trimmed
    std::string value;    // trimmed, surrounding quotes removed
    int line = 0;
};

// Reads "key = value" or "key: value" lines ('#' and ';' comments, [section] headers).
std::vector<KeyValue> read_key_values(const std::string& path);

double parse_number(const std::string& text, const std::string& file, int line,
                    const std::string& field);
// A whole number in [lo, 2^31).
std::int64_t parse_int(const std::string& text, const std::string& file, int line,
                       const std::string& field, std::int64_t lo = 1);

struct NamedLayer {
    std::string name;
    Layer layer;
};

enum class TopologyFormat { scalesim_conv, scalesim_gemm, tldse };

// Reads a SCALE-Sim conv topology (Layer name, IFMAP Height, IFMAP Width, Filter Height,
// Filter Width, Channels, Num Filter, Strides), a SCALE-Sim GEMM topology (Layer, M, N, K)
// or a tldse layer CSV (header with the layer-table column names), told apart by the header.
// SCALE-Sim conventions: no padding; output size ceil((H - R) / stride) + 1 (a last,
// partial window hangs off the edge when the stride does not divide H - R).
std::vector<NamedLayer> read_topology(const std::string& path, TopologyFormat* format = nullptr);

// Reads a SCALE-Sim .cfg ([architecture_presets]: ArrayHeight, ArrayWidth, IfmapSramSzkB,
// FilterSramSzkB, OfmapSramSzkB, Dataflow, Bandwidth). All tensors are 8-bit words as in
// SCALE-Sim; the three SRAMs become the three global-buffer partitions.
Arch read_scalesim_config(const std::string& path);

// Reads a tldse architecture file: flat key = value with the config-table column names
// (dataflow may be written ws/os/is/rs). Missing keys keep `base`'s values.
Arch read_arch_file(const std::string& path, const Arch& base);

// Applies one "key=value" override to an Arch; throws naming the key when unknown.
void set_arch_field(Arch& arch, const std::string& key, const std::string& value);

}  // namespace tldse
