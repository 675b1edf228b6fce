#include "tldse/io.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tldse {

std::string printable(const std::string& s) {
    // Keeps valid UTF-8 and printable ASCII; anything else becomes \xNN so that error
    // messages are always valid text (Python decodes them as UTF-8).
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t len = c < 0x80           ? 1
                                : (c >> 5) == 0x6  ? 2
                                : (c >> 4) == 0xE  ? 3
                                : (c >> 3) == 0x1E ? 4
                                                   : 0;
        bool ok = len > 0 && i + len <= s.size() && (len > 1 || c >= 0x20 || c == '\t');
        for (std::size_t j = 1; ok && j < len; ++j) {
            ok = (static_cast<unsigned char>(s[i + j]) & 0xC0) == 0x80;
        }
        if (ok) {
            out.append(s, i, len);
            i += len;
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
            ++i;
        }
    }
    return out;
}

namespace {

std::string trim(const std::string& s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

std::string lower(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

std::string unquote(std::string s) {
    if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
        return s.substr(1, s.size() - 2);
    }
    return s;
}

[[noreturn]] void fail(const std::string& file, int line, const std::string& msg) {
    throw std::invalid_argument(printable(file + ":" + std::to_string(line) + ": " + msg));
}

std::ifstream open(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        throw std::invalid_argument(printable(path) + ": no such file");
    }
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw std::invalid_argument(printable(path) + ": not a regular file");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::invalid_argument(printable(path) + ": cannot open file");
    return in;
}

// Reads one line, dropping a '\r' before the newline and a UTF-8 byte-order mark on the
// first line.
bool next_line(std::istream& in, std::string& line, int& line_no) {
    if (!std::getline(in, line)) return false;
    ++line_no;
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
}

std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> out;
    std::string cur;
    for (char ch : line) {
        if (ch == ',') {
            out.push_back(trim(cur));
            cur.clear();
        } else {
            cur += ch;
        }
    }
    out.push_back(trim(cur));
    // SCALE-Sim rows end with a trailing comma: drop empty trailing fields.
    while (!out.empty() && out.back().empty()) out.pop_back();
    return out;
}

}  // namespace

std::vector<KeyValue> read_key_values(const std::string& path) {
    auto in = open(path);
    std::vector<KeyValue> out;
    std::string raw, section;
    int line_no = 0;
    while (next_line(in, raw, line_no)) {
        std::string line = trim(raw);
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line.front() == '[') {
            if (line.back() != ']') fail(path, line_no, "malformed section header '" + line + "'");
            section = lower(trim(line.substr(1, line.size() - 2)));
            continue;
        }
        // Strip a trailing comment that is not inside quotes.
        bool in_quote = false;
        for (std::size_t i = 0; i < line.size(); ++i) {
            if (line[i] == '"') in_quote = !in_quote;
            if (line[i] == '#' && !in_quote) {
                line = trim(line.substr(0, i));
                break;
            }
        }
        const auto pos = line.find_first_of("=:");
        if (pos == std::string::npos) {
            fail(path, line_no, "expected 'key = value', got '" + line + "'");
        }
        KeyValue kv;
        kv.section = section;
        kv.key = trim(line.substr(0, pos));
        kv.value = unquote(trim(line.substr(pos + 1)));
        kv.line = line_no;
        if (kv.key.empty()) fail(path, line_no, "empty key");
        out.push_back(std::move(kv));
    }
    return out;
}

double parse_number(const std::string& text, const std::string& file, int line,
                    const std::string& field) {
    const std::string t = trim(text);
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size() || errno == ERANGE || !std::isfinite(v)) {
        fail(file, line, "field '" + field + "': expected a number, got '" + t + "'");
    }
    return v;
}

std::int64_t parse_int(const std::string& text, const std::string& file, int line,
                       const std::string& field, std::int64_t lo) {
    const std::string t = trim(text);
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || end != t.c_str() + t.size()) {
        fail(file, line, "field '" + field + "': expected a whole number, got '" + t + "'");
    }
    if (errno == ERANGE || v >= (1LL << 31)) {
        fail(file, line, "field '" + field + "': value '" + t + "' does not fit in 31 bits");
    }
    if (v < lo) {
        fail(file, line,
             "field '" + field + "': must be >= " + std::to_string(lo) + ", got " +
                 std::to_string(v));
    }
    return v;
}

std::vector<NamedLayer> read_topology(const std::string& path, TopologyFormat* format) {
    auto in = open(path);
    std::string raw;
    int line_no = 0;
    std::vector<std::string> header;
    while (next_line(in, raw, line_no)) {
        const std::string line = trim(raw);
        if (line.empty() || line[0] == '#') continue;
        header = split_csv(line);
        break;
    }
    if (header.empty()) throw std::invalid_argument(printable(path) + ": empty topology file");
    std::vector<std::string> h;
    for (auto& f : header) h.push_back(lower(f));

    TopologyFormat fmt;
    if (std::find(h.begin(), h.end(), "kind") != h.end()) {
        fmt = TopologyFormat::tldse;
    } else if (h.size() >= 4 && h[1] == "m" && h[2] == "n" && h[3] == "k") {
        fmt = TopologyFormat::scalesim_gemm;
    } else if (h.size() >= 8 && h[1].find("ifmap") != std::string::npos) {
        fmt = TopologyFormat::scalesim_conv;
    } else {
        fail(path, line_no,
             "unrecognised topology header; expected SCALE-Sim conv ('Layer name, IFMAP "
             "Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
             "Strides'), SCALE-Sim GEMM ('Layer, M, N, K') or a tldse layer CSV "
             "(columns name, kind, n, k, c, p, q, r, s, ...)");
    }
    if (format) *format = fmt;
    const int header_line = line_no;
    if (fmt == TopologyFormat::tldse) {
        for (std::size_t i = 0; i < h.size(); ++i) {
            if (h[i] != "name" && h[i] != "kind" &&
                std::find(kLayerColumns.begin(), kLayerColumns.end(), h[i]) ==
                    kLayerColumns.end()) {
                std::string valid = "name, kind";
                for (std::size_t j = 1; j < kLayerColumns.size(); ++j) {
                    valid += std::string(", ") + kLayerColumns[j];
                }
                fail(path, header_line,
                     "unknown column '" + header[i] + "' (valid: " + valid + ")");
            }
        }
    }

    std::vector<NamedLayer> out;
    while (next_line(in, raw, line_no)) {
        const std::string line = trim(raw);
        if (line.empty() || line[0] == '#') continue;
        auto f = split_csv(line);
        NamedLayer nl;
        if (fmt == TopologyFormat::scalesim_conv) {
            if (f.size() < 8) {
                fail(path, line_no,
                     "field '" + header[f.size()] + "' is missing (8 fields expected, got " +
                         std::to_string(f.size()) + ")");
            }
            nl.name = printable(f[0]);
            const auto ih = parse_int(f[1], path, line_no, header[1]);
            const auto iw = parse_int(f[2], path, line_no, header[2]);
            const auto fh = parse_int(f[3], path, line_no, header[3]);
            const auto fw = parse_int(f[4], path, line_no, header[4]);
            const auto ch = parse_int(f[5], path, line_no, header[5]);
            const auto nf = parse_int(f[6], path, line_no, header[6]);
            const auto st = parse_int(f[7], path, line_no, header[7]);
            if (fh > ih) {
                fail(path, line_no,
                     "field '" + header[3] + "' (" + std::to_string(fh) + ") exceeds '" +
                         header[1] + "' (" + std::to_string(ih) + ")");
            }
            if (fw > iw) {
                fail(path, line_no,
                     "field '" + header[4] + "' (" + std::to_string(fw) + ") exceeds '" +
                         header[2] + "' (" + std::to_string(iw) + ")");
            }
            Layer& l = nl.layer;
            l.kind = LayerKind::conv;
            l.c = ch;
            l.k = nf;
            l.r = fh;
            l.s = fw;
            l.stride_h = l.stride_w = st;
            l.p = (ih - fh + st - 1) / st + 1;  // SCALE-Sim: ceil((H - R) / stride) + 1
            l.q = (iw - fw + st - 1) / st + 1;
        } else if (fmt == TopologyFormat::scalesim_gemm) {
            if (f.size() < 4) {
                static const char* names[4] = {"Layer", "M", "N", "K"};
                fail(path, line_no,
                     std::string("field '") + names[f.size()] +
                         "' is missing (4 fields expected: Layer, M, N, K; got " +
                         std::to_string(f.size()) + ")");
            }
            nl.name = printable(f[0]);
            const auto m = parse_int(f[1], path, line_no, "M");
            const auto n = parse_int(f[2], path, line_no, "N");
            const auto k = parse_int(f[3], path, line_no, "K");
            nl.layer = Layer::gemm(m, n, k);
        } else {
            Layer& l = nl.layer;
            std::int64_t row[kLayerWidth];
            l.to_row(row);  // defaults
            bool have_kind = false;
            if (f.size() > h.size()) {
                fail(path, line_no,
                     std::to_string(f.size()) + " fields but the header names " +
                         std::to_string(h.size()) + " columns");
            }
            for (std::size_t i = 0; i < h.size(); ++i) {
                const std::string& col = h[i];
                const std::string val = i < f.size() ? f[i] : std::string();
                if (col == "name") {
                    nl.name = printable(val);
                    continue;
                }
                if (col == "kind") {
                    const std::string v = lower(val);
                    if (v == "conv")
                        row[0] = 0;
                    else if (v == "dwconv")
                        row[0] = 1;
                    else if (v == "gemm")
                        row[0] = 2;
                    else
                        fail(path, line_no,
                             "field 'kind': expected conv, dwconv or gemm, got '" + val + "'");
                    have_kind = true;
                    continue;
                }
                auto it = std::find(kLayerColumns.begin(), kLayerColumns.end(), col);
                if (it == kLayerColumns.end()) {
                    fail(path, line_no, "unknown column '" + header[i] + "'");
                }
                if (val.empty()) continue;
                const bool zero_ok = col == "pad_h" || col == "pad_w";
                row[it - kLayerColumns.begin()] =
                    parse_int(val, path, line_no, col, zero_ok ? 0 : 1);
            }
            if (!have_kind) fail(path, line_no, "field 'kind' is missing");
            try {
                l = Layer::from_row(row);
            } catch (const std::invalid_argument& e) {
                fail(path, line_no, e.what());
            }
        }
        if (nl.name.empty()) nl.name = "layer" + std::to_string(out.size() + 1);
        try {
            nl.layer.validate();
        } catch (const std::invalid_argument& e) {
            fail(path, line_no, e.what());
        }
        out.push_back(std::move(nl));
    }
    if (out.empty()) throw std::invalid_argument(printable(path) + ": topology has no layers");
    return out;
}

Arch read_scalesim_config(const std::string& path) {
    Arch a;
    a.weight_bits = a.act_bits = a.psum_bits = 8;
    a.rf_bytes = 3;  // one weight, one input and one partial sum per PE
    a.multicast = false;
    // SRAM sizes in KiB and the line each was given on (0 = not given).
    double ifmap_kb = 0, filter_kb = 0, ofmap_kb = 0;
    int ifmap_line = 0, filter_line = 0, ofmap_line = 0;
    auto sram_kb = [&](const KeyValue& kv, int& line) {
        const double kb = parse_number(kv.value, path, kv.line, kv.key);
        if (!(kb > 0) || kb > 1099511627776.0) {  // (0, 2^40] KiB
            fail(path, kv.line,
                 "field '" + kv.key + "': must be in (0, 2^40] KiB, got '" + kv.value + "'");
        }
        line = kv.line;
        return kb;
    };
    bool have_rows = false, have_cols = false, have_df = false;
    for (const auto& kv : read_key_values(path)) {
        if (kv.section != "architecture_presets") continue;
        const std::string key = lower(kv.key);
        if (key == "arrayheight") {
            a.pe_rows = parse_int(kv.value, path, kv.line, kv.key);
            have_rows = true;
        } else if (key == "arraywidth") {
            a.pe_cols = parse_int(kv.value, path, kv.line, kv.key);
            have_cols = true;
        } else if (key == "ifmapsramszkb") {
            ifmap_kb = sram_kb(kv, ifmap_line);
        } else if (key == "filtersramszkb") {
            filter_kb = sram_kb(kv, filter_line);
        } else if (key == "ofmapsramszkb") {
            ofmap_kb = sram_kb(kv, ofmap_line);
        } else if (key == "dataflow") {
            try {
                a.dataflow = parse_dataflow(kv.value);
            } catch (const std::invalid_argument& e) {
                fail(path, kv.line, std::string("field '") + kv.key + "': " + e.what());
            }
            if (a.dataflow == Dataflow::rs) {
                fail(path, kv.line, "field 'Dataflow': SCALE-Sim configs use ws, os or is");
            }
            have_df = true;
        } else if (key == "bandwidth") {
            a.dram_bw = parse_number(kv.value, path, kv.line, kv.key);
            if (a.dram_bw <= 0) fail(path, kv.line, "field 'Bandwidth' must be > 0");
        }
    }
    if (!have_rows)
        throw std::invalid_argument(printable(path) +
                                    ": [architecture_presets] ArrayHeight is missing");
    if (!have_cols)
        throw std::invalid_argument(printable(path) +
                                    ": [architecture_presets] ArrayWidth is missing");
    if (!have_df)
        throw std::invalid_argument(printable(path) +
                                    ": [architecture_presets] Dataflow is missing");
    for (auto [name, line] : {std::pair<const char*, int>{"IfmapSramSzkB", ifmap_line},
                              {"FilterSramSzkB", filter_line},
                              {"OfmapSramSzkB", ofmap_line}}) {
        if (line == 0) {
            throw std::invalid_argument(printable(path) + ": [architecture_presets] " + name +
                                        " is missing");
        }
    }
    a.glb_input_bytes = ifmap_kb * 1024;
    a.glb_weight_bytes = filter_kb * 1024;
    a.glb_output_bytes = ofmap_kb * 1024;
    a.glb_bytes = a.glb_input_bytes + a.glb_weight_bytes + a.glb_output_bytes;
    // The SRAMs feed the array edge every cycle, as SCALE-Sim assumes.
    a.glb_bw = 2.0 * static_cast<double>(a.pe_rows + a.pe_cols);
    a.validate();
    return a;
}

void set_arch_field(Arch& a, const std::string& key_in, const std::string& value) {
    const std::string key = lower(trim(key_in));
    const std::string v = trim(value);
    const FieldInfo* field = nullptr;
    for (const auto& f : kConfigFields) {
        if (key == f.name) field = &f;
    }
    if (field == nullptr) {
        std::string valid;
        for (const char* c : kConfigColumns) valid += std::string(valid.empty() ? "" : ", ") + c;
        throw std::invalid_argument("unknown architecture field '" + key_in + "' (valid: " + valid +
                                    ")");
    }
    // The value as a config-table number, by the field's type; the row reader checks it.
    double x = 0;
    if (field->type == FieldType::enumeration) {
        x = static_cast<double>(parse_dataflow(v));  // the only enum: ws/os/is/rs
    } else if (field->type == FieldType::boolean) {
        const std::string l = lower(v);
        if (l == "1" || l == "true" || l == "on")
            x = 1;
        else if (l == "0" || l == "false" || l == "off")
            x = 0;
        else
            throw std::invalid_argument(key + ": expected true/false, got '" + v + "'");
    } else {
        char* end = nullptr;
        errno = 0;
        x = std::strtod(v.c_str(), &end);
        if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(x) || x < field->min) {
            throw std::invalid_argument(
                key + ": expected a number >= " + (field->min > 0 ? "1" : std::string("0")) +
                ", got '" + v + "'");
        }
        if (field->type == FieldType::integer && (x != std::floor(x) || x > field->max)) {
            throw std::invalid_argument(key + ": expected a whole number in [" +
                                        std::to_string(static_cast<long long>(field->min)) + ", " +
                                        std::to_string(static_cast<long long>(field->max)) +
                                        "], got '" + v + "'");
        }
    }
    double row[kConfigWidth];
    a.to_row(row);
    row[field - kConfigFields.data()] = x;
    a = Arch::from_row(row);
}

Arch read_arch_file(const std::string& path, const Arch& base) {
    Arch a = base;
    for (const auto& kv : read_key_values(path)) {
        try {
            set_arch_field(a, kv.key, kv.value);
        } catch (const std::invalid_argument& e) {
            fail(path, kv.line, e.what());
        }
    }
    try {
        a.validate();
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(printable(path) + ": " + e.what());
    }
    return a;
}

}  // namespace tldse
