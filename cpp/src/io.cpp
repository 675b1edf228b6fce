#include "tldse/io.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace tldse {

namespace {

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when the bytes there are not one.
std::size_t utf8_length(const std::string& s, std::size_t i) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = at(0);
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;  // overlong below U+0800
        if (c == 0xED) hi = 0x9F;  // U+D800..U+DFFF: surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;  // overlong below U+10000
        if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
        return 0;  // a continuation byte, C0/C1 (overlong ASCII) or F5..FF
    }
    if (i + len > s.size() || at(1) < lo || at(1) > hi) return 0;
    for (std::size_t k = 2; k < len; ++k) {
        if ((at(k) & 0xC0) != 0x80) return 0;
    }
    return len;
}

}  // namespace

std::string printable(const std::string& s) {
    // Keeps well-formed UTF-8 text; control characters (C0, DEL, C1; tab is kept) and bytes
    // that are not well-formed UTF-8 become \xNN, so that messages and names are always
    // valid, inert text (Python decodes them as UTF-8; terminals see no escapes).
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = utf8_length(s, i);
        if (len == 1 && ((c < 0x20 && c != '\t') || c == 0x7F)) len = 0;
        if (len == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) len = 0;
        if (len > 0) {
            out.append(s, i, len);
            i += len;
            continue;
        }
        // Not kept: this byte, and the rest of a C1 control's pair, as \xNN.
        const std::size_t n = c == 0xC2 && utf8_length(s, i) == 2 ? 2 : 1;
        for (std::size_t k = 0; k < n; ++k) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(s[i + k]));
            out += buf;
        }
        i += n;
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

// 'text' in a message: quoted, printable.
std::string in_quotes(const std::string& text) { return "'" + printable(text) + "'"; }

[[noreturn]] void fail(const std::string& file, int line, const std::string& msg) {
    throw std::invalid_argument(printable(file + ":" + std::to_string(line) + ": " + msg));
}

[[noreturn]] void fail(const std::string& file, const std::string& msg) {
    throw std::invalid_argument(printable(file + ": " + msg));
}

std::ifstream open(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) fail(path, "no such file");
    if (!std::filesystem::is_regular_file(path, ec)) fail(path, "not a regular file");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path, "cannot open file");
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

// A boolean as Python's configparser reads one (SCALE-Sim's [layout] flags) and as --set
// takes one: 1/yes/true/on or 0/no/false/off, any case.
bool parse_bool(const std::string& text, bool* value) {
    const std::string l = lower(trim(text));
    if (l == "1" || l == "yes" || l == "true" || l == "on") {
        *value = true;
    } else if (l == "0" || l == "no" || l == "false" || l == "off") {
        *value = false;
    } else {
        return false;
    }
    return true;
}

}  // namespace

bool parse_decimal(const std::string& text, double* value) {
    std::string t = trim(text);
    // Decimal digits, sign, point and exponent only: no hex floats, inf, nan or '_'.
    if (t.empty() || t.find_first_not_of("0123456789+-.eE") != std::string::npos) return false;
    if (t[0] == '+') t.erase(0, 1);  // from_chars takes no '+'
    if (t.empty() || t[0] == '+') return false;
    double v = 0;
    const char* end = t.data() + t.size();
    const auto [ptr, ec] = std::from_chars(t.data(), end, v, std::chars_format::general);
    if (ec != std::errc() || ptr != end || !std::isfinite(v)) return false;
    *value = v;
    return true;
}

std::vector<KeyValue> read_key_values(std::istream& in, const std::string& name, KeyScope scope) {
    std::vector<KeyValue> out;
    std::string raw, section;
    int line_no = 0;
    // Where each section header and each key (by scope) was first given.
    std::map<std::string, int> sections, keys;
    while (next_line(in, raw, line_no)) {
        std::string line = trim(raw);
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line.front() == '[') {
            if (line.back() != ']')
                fail(name, line_no, "malformed section header " + in_quotes(line));
            section = lower(trim(line.substr(1, line.size() - 2)));
            const auto [it, fresh] = sections.emplace(section, line_no);
            if (!fresh) {
                fail(name, line_no,
                     "section [" + section + "] given twice (also on line " +
                         std::to_string(it->second) + ")");
            }
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
        if (pos == std::string::npos)
            fail(name, line_no, "expected 'key = value', got " + in_quotes(line));
        KeyValue kv;
        kv.section = section;
        kv.key = trim(line.substr(0, pos));
        kv.value = unquote(trim(line.substr(pos + 1)));
        kv.line = line_no;
        if (kv.key.empty()) fail(name, line_no, "empty key");
        const std::string where = scope == KeyScope::section ? "[" + section + "] " : "";
        const auto [it, fresh] = keys.emplace(where + lower(kv.key), line_no);
        if (!fresh) {
            fail(name, line_no,
                 "key " + where + in_quotes(kv.key) + " given twice (also on line " +
                     std::to_string(it->second) + ")");
        }
        out.push_back(std::move(kv));
    }
    return out;
}

std::vector<KeyValue> read_key_values(const std::string& path, KeyScope scope) {
    auto in = open(path);
    return read_key_values(in, path, scope);
}

double parse_number(const std::string& text, const std::string& file, int line,
                    const std::string& field) {
    double v = 0;
    if (!parse_decimal(text, &v)) {
        fail(file, line, "field '" + field + "': expected a number, got " + in_quotes(trim(text)));
    }
    return v;
}

std::int64_t parse_int(const std::string& text, const std::string& file, int line,
                       const std::string& field, std::int64_t lo) {
    const std::string t = trim(text);
    const std::size_t sign = !t.empty() && (t[0] == '+' || t[0] == '-') ? 1 : 0;
    const bool digits =
        t.size() > sign && t.find_first_not_of("0123456789", sign) == std::string::npos;
    if (!digits) {
        double x = 0;
        const bool fractional = parse_decimal(t, &x) && x != std::floor(x);
        fail(file, line,
             "field '" + field + "': expected a whole number, got " + in_quotes(t) +
                 (fractional ? " (not a whole number)" : ""));
    }
    errno = 0;
    const long long v = std::strtoll(t.c_str(), nullptr, 10);
    if (errno == ERANGE || v >= (1LL << 31)) {
        fail(file, line,
             "field '" + field + "': value " + in_quotes(t) + " does not fit in 31 bits");
    }
    if (v < lo) {
        fail(file, line,
             "field '" + field + "': must be >= " + std::to_string(lo) + ", got " +
                 std::to_string(v));
    }
    return v;
}

namespace {

// True when every field of a CSV row is empty (",,,,": SCALE-Sim's Resnet50.csv has one).
bool blank_row(const std::vector<std::string>& f) {
    return std::all_of(f.begin(), f.end(), [](const std::string& x) { return x.empty(); });
}

NamedLayer scalesim_conv_row(const std::vector<std::string>& f,
                             const std::vector<std::string>& header, const std::string& path,
                             int line_no, std::vector<std::string>* warnings) {
    if (f.size() < 8) {
        fail(path, line_no,
             "field '" + header[f.size()] + "' is missing (8 fields expected, got " +
                 std::to_string(f.size()) + ")");
    }
    NamedLayer nl;
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
             "field '" + header[3] + "' (" + std::to_string(fh) + ") exceeds '" + header[1] +
                 "' (" + std::to_string(ih) + ")");
    }
    if (fw > iw) {
        fail(path, line_no,
             "field '" + header[4] + "' (" + std::to_string(fw) + ") exceeds '" + header[2] +
                 "' (" + std::to_string(iw) + ")");
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
    if (f[0].find("DP") != std::string::npos) {
        // SCALE-Sim 3 runs a "DP" (depthwise) row as Channels layers of one channel each.
        l.c = 1;
        l.count = ch;
    }
    // SCALE-Sim 3 reads a ninth field as a sparsity ratio N:M; tldse simulates dense data.
    if (f.size() > 8 && warnings != nullptr) {
        const std::string& r = f[8];
        const auto colon = r.find(':');
        if (colon != std::string::npos && trim(r.substr(0, colon)) != trim(r.substr(colon + 1))) {
            warnings->push_back(printable(path + ":" + std::to_string(line_no) + ": layer '" +
                                          f[0] + "': sparsity " + r +
                                          " is not modelled; the layer is simulated dense"));
        }
    }
    return nl;
}

NamedLayer scalesim_gemm_row(const std::vector<std::string>& f, const std::string& path,
                             int line_no) {
    if (f.size() < 4) {
        static const char* names[4] = {"Layer", "M", "N", "K"};
        fail(path, line_no,
             std::string("field '") + names[f.size()] +
                 "' is missing (4 fields expected: Layer, M, N, K; got " +
                 std::to_string(f.size()) + ")");
    }
    NamedLayer nl;
    nl.name = printable(f[0]);
    const auto m = parse_int(f[1], path, line_no, "M");
    const auto n = parse_int(f[2], path, line_no, "N");
    const auto k = parse_int(f[3], path, line_no, "K");
    nl.layer = Layer::gemm(m, n, k);
    return nl;
}

NamedLayer tldse_row(const std::vector<std::string>& f, const std::vector<std::string>& h,
                     const std::string& path, int line_no) {
    NamedLayer nl;
    std::int64_t row[kLayerWidth];
    nl.layer.to_row(row);  // defaults
    bool have_kind = false;
    if (f.size() > h.size()) {
        fail(path, line_no,
             std::to_string(f.size()) + " fields but the header names " + std::to_string(h.size()) +
                 " columns");
    }
    for (std::size_t i = 0; i < h.size(); ++i) {
        const std::string& col = h[i];
        const std::string val = i < f.size() ? f[i] : std::string();
        if (col == "name") {
            nl.name = printable(val);
        } else if (col == "kind") {
            const std::string v = lower(val);
            if (v == "conv") {
                row[0] = 0;
            } else if (v == "dwconv") {
                row[0] = 1;
            } else if (v == "gemm") {
                row[0] = 2;
            } else {
                fail(path, line_no,
                     "field 'kind': expected conv, dwconv or gemm, got " + in_quotes(val));
            }
            have_kind = true;
        } else if (!val.empty()) {  // the header was checked: col is a layer column
            const auto at = std::find(kLayerColumns.begin(), kLayerColumns.end(), col);
            const bool zero_ok = col == "pad_h" || col == "pad_w";
            row[at - kLayerColumns.begin()] = parse_int(val, path, line_no, col, zero_ok ? 0 : 1);
        }
    }
    if (!have_kind) fail(path, line_no, "field 'kind' is missing");
    try {
        nl.layer = Layer::from_row(row);
    } catch (const std::invalid_argument& e) {
        fail(path, line_no, e.what());
    }
    return nl;
}

// The header of a tldse layer CSV: every column known, none named twice.
void check_tldse_header(const std::vector<std::string>& h, const std::vector<std::string>& header,
                        const std::string& path, int line_no) {
    for (std::size_t i = 0; i < h.size(); ++i) {
        if (h[i] != "name" && h[i] != "kind" &&
            std::find(kLayerColumns.begin(), kLayerColumns.end(), h[i]) == kLayerColumns.end()) {
            std::string valid = "name, kind";
            for (std::size_t j = 1; j < kLayerColumns.size(); ++j) {
                valid += std::string(", ") + kLayerColumns[j];
            }
            fail(path, line_no,
                 "unknown column " + in_quotes(header[i]) + " (valid: " + valid + ")");
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (h[j] == h[i]) {
                fail(path, line_no,
                     "column " + in_quotes(h[i]) + " given twice (columns " +
                         std::to_string(j + 1) + " and " + std::to_string(i + 1) + ")");
            }
        }
    }
}

}  // namespace

std::vector<NamedLayer> read_topology(std::istream& in, const std::string& path,
                                      TopologyFormat* format, std::vector<std::string>* warnings) {
    std::string raw;
    int line_no = 0;
    std::vector<std::string> header;
    while (next_line(in, raw, line_no)) {
        const std::string line = trim(raw);
        if (line.empty() || line[0] == '#') continue;
        header = split_csv(line);
        if (!header.empty()) break;
    }
    if (header.empty()) fail(path, "empty topology file");
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
    if (fmt == TopologyFormat::tldse) check_tldse_header(h, header, path, line_no);

    std::vector<NamedLayer> out;
    while (next_line(in, raw, line_no)) {
        const std::string line = trim(raw);
        if (line.empty() || line[0] == '#') continue;
        const auto f = split_csv(line);
        if (blank_row(f)) continue;
        NamedLayer nl = fmt == TopologyFormat::scalesim_conv
                            ? scalesim_conv_row(f, header, path, line_no, warnings)
                        : fmt == TopologyFormat::scalesim_gemm ? scalesim_gemm_row(f, path, line_no)
                                                               : tldse_row(f, h, path, line_no);
        if (nl.name.empty()) nl.name = "layer" + std::to_string(out.size() + 1);
        try {
            nl.layer.validate();
        } catch (const std::invalid_argument& e) {
            fail(path, line_no, e.what());
        }
        out.push_back(std::move(nl));
    }
    if (out.empty()) fail(path, "topology has no layers");
    return out;
}

std::vector<NamedLayer> read_topology(const std::string& path, TopologyFormat* format,
                                      std::vector<std::string>* warnings) {
    auto in = open(path);
    return read_topology(in, path, format, warnings);
}

namespace {

// What read_scalesim_config collects before it builds the Arch.
struct CfgFields {
    std::map<std::string, KeyValue> presets, layout, run, sparsity;  // by lower-case key
    bool has_layout = false;
};

const KeyValue* find(const std::map<std::string, KeyValue>& m, const char* key) {
    const auto it = m.find(key);
    return it == m.end() ? nullptr : &it->second;
}

}  // namespace

ScaleSimConfig read_scalesim_config(std::istream& in, const std::string& path) {
    CfgFields cfg;
    for (const auto& kv : read_key_values(in, path, KeyScope::section)) {
        std::map<std::string, KeyValue>* into = kv.section == "architecture_presets" ? &cfg.presets
                                                : kv.section == "layout"             ? &cfg.layout
                                                : kv.section == "run_presets"        ? &cfg.run
                                                : kv.section == "sparsity"           ? &cfg.sparsity
                                                                                     : nullptr;
        if (kv.section == "layout") cfg.has_layout = true;
        if (into != nullptr) into->emplace(lower(kv.key), kv);
    }
    // A required [architecture_presets] entry.
    auto need = [&](const char* key, const char* spelled) -> const KeyValue& {
        const KeyValue* kv = find(cfg.presets, key);
        if (kv == nullptr)
            fail(path, std::string("[architecture_presets] ") + spelled + " is missing");
        return *kv;
    };
    auto whole = [&](const KeyValue& kv, std::int64_t lo = 1) {
        return parse_int(kv.value, path, kv.line, kv.key, lo);
    };
    auto boolean = [&](const KeyValue& kv) {
        bool b = false;
        if (!parse_bool(kv.value, &b)) {
            fail(path, kv.line,
                 "field '" + kv.key + "': expected True or False, got " + in_quotes(kv.value));
        }
        return b;
    };

    ScaleSimConfig out;
    Arch& a = out.arch;
    a.weight_bits = a.act_bits = a.psum_bits = 8;
    a.rf_bytes = 3;  // one weight, one input and one partial sum per PE
    a.multicast = false;
    a.pe_rows = whole(need("arrayheight", "ArrayHeight"));
    a.pe_cols = whole(need("arraywidth", "ArrayWidth"));
    const KeyValue& df = need("dataflow", "Dataflow");
    try {
        a.dataflow = parse_dataflow(df.value);
    } catch (const std::invalid_argument& e) {
        fail(path, df.line, std::string("field '") + df.key + "': " + e.what());
    }
    if (a.dataflow == Dataflow::rs) {
        fail(path, df.line, "field '" + df.key + "': SCALE-Sim configs use ws, os or is");
    }
    // SRAM sizes: whole KiB, as SCALE-Sim's int().
    a.glb_input_bytes = 1024.0 * static_cast<double>(whole(need("ifmapsramszkb", "IfmapSramSzkB")));
    a.glb_weight_bytes =
        1024.0 * static_cast<double>(whole(need("filtersramszkb", "FilterSramSzkB")));
    a.glb_output_bytes =
        1024.0 * static_cast<double>(whole(need("ofmapsramszkb", "OfmapSramSzkB")));
    a.glb_bytes = a.glb_input_bytes + a.glb_weight_bytes + a.glb_output_bytes;
    // The SRAMs feed the array edge every cycle, as SCALE-Sim assumes.
    a.glb_bw = 2.0 * static_cast<double>(a.pe_rows + a.pe_cols);
    // Integers SCALE-Sim reads but tldse does not use: checked as SCALE-Sim checks them.
    for (const char* key : {"ifmapoffset", "filteroffset", "ofmapoffset"}) {
        if (const KeyValue* kv = find(cfg.presets, key)) whole(*kv, 0);
    }
    for (const char* key : {"readrequestbuffer", "writerequestbuffer", "memorybanks"}) {
        if (const KeyValue* kv = find(cfg.presets, key)) whole(*kv);
    }

    // The DRAM interface: USER (the config's bandwidths) or CALC (no limit).
    out.version = cfg.has_layout ? 3 : 2;
    const KeyValue* mode = find(cfg.run, "interfacebandwidth");
    const KeyValue* bw = find(cfg.presets, "bandwidth");
    if (mode != nullptr) {
        const std::string m = lower(mode->value);
        if (m != "user" && m != "calc") {
            fail(path, mode->line,
                 "field '" + mode->key + "': expected USER or CALC, got " + in_quotes(mode->value));
        }
        out.calc_bandwidth = m == "calc";
    } else if (bw == nullptr) {
        fail(path,
             "[run_presets] InterfaceBandwidth is missing (USER: the DRAM bandwidths given; CALC: "
             "no DRAM limit)");
    }
    // Bandwidth: a comma list of whole words per cycle; SCALE-Sim uses the first.
    double ofmap_bw = 0;
    if (bw != nullptr) {
        for (std::size_t start = 0, comma = 0; comma != std::string::npos; start = comma + 1) {
            comma = bw->value.find(',', start);
            const KeyValue item{bw->section, bw->key, bw->value.substr(start, comma - start),
                                bw->line};
            const auto words = static_cast<double>(whole(item));
            if (start == 0) ofmap_bw = words;
        }
    }
    std::array<double, 3> ports{ofmap_bw, ofmap_bw, ofmap_bw};  // ifmap, filter, ofmap
    if (out.version == 3) {
        const char* names[2][4] = {{"ifmapsrambankbandwidth", "IfmapSRAMBankBandwidth",
                                    "ifmapsrambanknum", "ifmapcustomlayout"},
                                   {"filtersrambankbandwidth", "FilterSRAMBankBandwidth",
                                    "filtersrambanknum", "filtercustomlayout"}};
        for (int t = 0; t < 2; ++t) {
            const KeyValue* bank_bw = find(cfg.layout, names[t][0]);
            const KeyValue* banks = find(cfg.layout, names[t][2]);
            std::int64_t n_banks = banks != nullptr ? whole(*banks) : 1;
            if (bank_bw != nullptr) {
                const std::int64_t b = whole(*bank_bw);
                if (b % n_banks != 0) {
                    fail(path, bank_bw->line,
                         "field '" + bank_bw->key + "' (" + std::to_string(b) +
                             ") must be a multiple of the number of banks (" +
                             std::to_string(n_banks) + "), as SCALE-Sim requires");
                }
                ports[static_cast<std::size_t>(t)] = static_cast<double>(b);
            } else if (!out.calc_bandwidth) {
                fail(path,
                     std::string("[layout] ") + names[t][1] +
                         " is missing (SCALE-Sim 3 reads that buffer's DRAM bandwidth from it)");
            }
            if (const KeyValue* custom = find(cfg.layout, names[t][3]);
                custom && boolean(*custom)) {
                out.warnings.push_back(
                    printable(path + ":" + std::to_string(custom->line) + ": " + custom->key +
                              ": custom layouts and SRAM bank conflicts are not "
                              "modelled (tldse reads every buffer at full bandwidth)"));
            }
        }
        for (const char* key : {"ifmapsrambankport", "filtersrambankport"}) {
            if (const KeyValue* kv = find(cfg.layout, key)) whole(*kv);
        }
    }
    if (const KeyValue* sparse = find(cfg.sparsity, "sparsitysupport");
        sparse && boolean(*sparse)) {
        out.warnings.push_back(printable(path + ":" + std::to_string(sparse->line) +
                                         ": SparsitySupport: sparsity is not modelled; layers are "
                                         "simulated dense"));
    }
    if (const KeyValue* ram = find(cfg.run, "useramulatortrace"); ram && boolean(*ram)) {
        out.warnings.push_back(printable(path + ":" + std::to_string(ram->line) +
                                         ": UseRamulatorTrace: DRAM timing is not simulated; tldse "
                                         "uses its bandwidth model"));
    }
    if (out.calc_bandwidth) {
        a.dram_bw = kUnlimitedDramBw;
    } else {
        if (bw == nullptr)
            fail(path, "[architecture_presets] Bandwidth is missing (InterfaceBandwidth is USER)");
        out.port_words_per_cycle = ports;
        const double shared = std::min({ports[0], ports[1], ports[2]});
        a.dram_bw = shared;  // one word = one byte
        std::ostringstream msg;
        msg << printable(path) << ": SCALE-Sim gives the ifmap, filter and ofmap buffers one DRAM "
            << "port each (" << ports[0] << ", " << ports[1] << ", " << ports[2]
            << " words/cycle); tldse models one port shared by all three at " << shared
            << " bytes/cycle"
            << (ports[0] == ports[1] && ports[1] == ports[2] ? "" : " (the smallest)")
            << ", so memory-bound layers take longer than in SCALE-Sim";
        out.warnings.push_back(msg.str());
    }
    try {
        a.validate();
    } catch (const std::invalid_argument& e) {
        fail(path, e.what());
    }
    return out;
}

ScaleSimConfig read_scalesim_config(const std::string& path) {
    auto in = open(path);
    return read_scalesim_config(in, path);
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
        throw std::invalid_argument("unknown architecture field " + in_quotes(key_in) +
                                    " (valid: " + valid + ")");
    }
    // The value as a config-table number, by the field's type; the row reader checks it.
    double x = 0;
    if (field->type == FieldType::enumeration) {
        try {
            x = static_cast<double>(parse_dataflow(v));  // the only enum: ws/os/is/rs
        } catch (const std::invalid_argument&) {
            throw std::invalid_argument(key + ": expected ws, os, is or rs, got " + in_quotes(v));
        }
    } else if (field->type == FieldType::boolean) {
        bool b = false;
        if (!parse_bool(v, &b)) {
            throw std::invalid_argument(
                key + ": expected true or false (1/0, on/off, yes/no), got " + in_quotes(v));
        }
        x = b ? 1 : 0;
    } else {
        if (!parse_decimal(v, &x) || x < field->min) {
            throw std::invalid_argument(
                key + ": expected a number >= " + (field->min > 0 ? "1" : std::string("0")) +
                ", got " + in_quotes(v));
        }
        if (field->type == FieldType::integer && (x != std::floor(x) || x > field->max)) {
            throw std::invalid_argument(key + ": expected a whole number in [" +
                                        std::to_string(static_cast<long long>(field->min)) + ", " +
                                        std::to_string(static_cast<long long>(field->max)) +
                                        "], got " + in_quotes(v));
        }
    }
    double row[kConfigWidth];
    a.to_row(row);
    row[field - kConfigFields.data()] = x;
    a = Arch::from_row(row);
}

Arch read_arch_file(std::istream& in, const std::string& path, const Arch& base) {
    Arch a = base;
    for (const auto& kv : read_key_values(in, path, KeyScope::file)) {
        try {
            set_arch_field(a, kv.key, kv.value);
        } catch (const std::invalid_argument& e) {
            fail(path, kv.line, e.what());
        }
    }
    try {
        a.validate();
    } catch (const std::invalid_argument& e) {
        fail(path, e.what());
    }
    return a;
}

Arch read_arch_file(const std::string& path, const Arch& base) {
    auto in = open(path);
    return read_arch_file(in, path, base);
}

}  // namespace tldse
