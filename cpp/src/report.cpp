#include "tldse/report.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>

#include "tldse/batch.hpp"
#include "tldse/builtin_workloads.hpp"
#include "tldse/glb_tiling.hpp"
#include "tldse/presets.hpp"
#include "tldse/rs_mapspace.hpp"

namespace tldse {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string json_escape(const std::string& s) {
    std::string o;
    for (char ch : s) {
        if (ch == '"' || ch == '\\') {
            o += '\\';
            o += ch;
        } else if (static_cast<unsigned char>(ch) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", ch);
            o += buf;
        } else {
            o += ch;
        }
    }
    return o;
}

std::string json_num(double v) { return std::isfinite(v) ? format_number(v) : "null"; }

// The fraction of the PE array the spatial mapping fills, averaged over its folds
// (SCALE-Sim's "mapping efficiency" for the systolic dataflows).
double mapping_efficiency(const Arch& a, const Layer& L, const LayerResult& r) {
    if (r.status != Status::ok) return kNaN;
    const double rows = static_cast<double>(a.pe_rows), cols = static_cast<double>(a.pe_cols);
    if (a.dataflow == Dataflow::rs) {
        // Sets of (filter rows per piece) x (output rows per strip), tf x tc of them.
        const RsShape sh = rs_shape(a, L);
        const double used = static_cast<double>(L.r) / static_cast<double>(sh.r_fold) *
                            (static_cast<double>(L.p) / static_cast<double>(sh.e_fold)) *
                            static_cast<double>(r.rs.tf) * static_cast<double>(r.rs.tc);
        return used / (rows * cols);
    }
    const SystolicDims d = systolic_dims(a.dataflow, L);
    return d.sr * d.sc / (std::ceil(d.sr / rows) * rows * std::ceil(d.sc / cols) * cols);
}

// Receives a report row column by column: the schema and the lines are built by one
// function (emit), so that their orders cannot differ.
class Sink {
   public:
    virtual ~Sink() = default;
    virtual void num(const std::string& name, ColumnKind kind, const char* doc, double v) = 0;
    virtual void text(const std::string& name, const char* doc, std::string v) = 0;
};

// What one layer row is made of.
struct RowContext {
    const Arch& arch;
    const ReportRow& row;
    const EnergyTable::AreaBreakdown& area;
    double area_um2;
    double latency_share, energy_share;
};

void emit(const RowContext& c, Sink& out) {
    const LayerResult& r = c.row.result;
    const Layer& L = c.row.layer;
    const bool ok = r.status == Status::ok;
    double f[kNumResultFields];
    double e[kNumExtendedFields];
    result_fields(r, f);
    extended_fields(r, L, e);
    using K = ColumnKind;
    out.text("layer", "the layer's name", c.row.name);
    out.num("count", K::count, "how many times the layer occurs in the workload",
            static_cast<double>(L.count));
    out.text("status", "ok, or why the layer has no result on the design", status_name(r.status));
    out.text("bound", "what sets the latency: compute, dram or glb (the largest term)",
             ok ? kBoundNames[static_cast<std::size_t>(r.bound)] : "");
    out.num("macs", K::sum, "multiply-accumulates", f[kMacs]);
    out.num("latency_cycles", K::sum, "max(compute, DRAM, GLB cycles)", f[kLatencyCycles]);
    out.num("compute_cycles", K::sum, "array cycles, fill and drain included", f[kComputeCycles]);
    out.num("stall_cycles", K::sum, "latency - compute", f[kStallCycles]);
    out.num("dram_stall_cycles", K::sum, "max(0, DRAM cycles - compute)", e[kDramStallCycles]);
    out.num("glb_stall_cycles", K::sum, "max(0, GLB cycles - compute)", e[kGlbStallCycles]);
    out.num("dram_cycles", K::sum, "ceil(DRAM bytes / DRAM bandwidth)", e[kDramCycles]);
    out.num("glb_cycles", K::sum, "ceil(GLB bytes / GLB bandwidth)", e[kGlbCycles]);
    out.num("utilization", K::ratio, "MACs / (busy cycles x PEs)", f[kUtilization]);
    out.num("mapping_efficiency", K::ratio,
            "fraction of the PEs the spatial mapping fills, averaged over folds",
            mapping_efficiency(c.arch, L, r));
    out.num("latency_share", K::share, "count x latency / the workload's latency", c.latency_share);
    out.num("energy_pj", K::sum, "total energy", f[kEnergyPj]);
    out.num("energy_share", K::share, "count x energy / the workload's energy", c.energy_share);
    out.num("mac_energy_pj", K::sum, "energy of the MACs", e[kMacEnergyPj]);
    out.num("leakage_energy_pj", K::sum, "leakage power x latency", f[kLeakageEnergyPj]);
    const int level_field[4] = {kDramEnergyPj, kGlbEnergyPj, kNocEnergyPj, kRfEnergyPj};
    for (std::size_t l = 0; l < kLevelNames.size(); ++l) {
        out.num(std::string(kLevelNames[l]) + "_energy_pj", K::sum, "energy of one level",
                e[level_field[l]]);
    }
    for (std::size_t t = 0; t < kTensorNames.size(); ++t) {
        out.num(std::string(kTensorNames[t]) + "_energy_pj", K::sum,
                "energy of one tensor over the four levels", e[kWeightEnergyPj + t]);
    }
    for (std::size_t l = 0; l < kLevelNames.size(); ++l) {
        for (std::size_t t = 0; t < kTensorNames.size(); ++t) {
            out.num(std::string(kLevelNames[l]) + "_" + kTensorNames[t] + "_pj", K::sum,
                    "energy of one tensor at one level", r.energy_level_tensor_pj[l][t]);
        }
    }
    out.num("dram_reads", K::sum, "DRAM reads, elements", f[kDramReads]);
    out.num("dram_writes", K::sum, "DRAM writes, elements", f[kDramWrites]);
    out.num("glb_reads", K::sum, "GLB reads, elements", f[kGlbReads]);
    out.num("glb_writes", K::sum, "GLB writes, elements", f[kGlbWrites]);
    out.num("noc_transfers", K::sum, "words over the GLB<->PE network", f[kNocTransfers]);
    out.num("rf_reads", K::sum, "register-file reads", f[kRfReads]);
    out.num("rf_writes", K::sum, "register-file writes", f[kRfWrites]);
    for (std::size_t l = 0; l < kLevelNames.size(); ++l) {
        for (std::size_t t = 0; t < kTensorNames.size(); ++t) {
            const std::string base = std::string(kLevelNames[l]) + "_" + kTensorNames[t];
            out.num(base + "_reads", K::sum, "reads of one tensor at one level, elements",
                    r.accesses.reads[l][t]);
            out.num(base + "_writes", K::sum, "writes of one tensor at one level, elements",
                    r.accesses.writes[l][t]);
        }
    }
    out.num("dram_bytes", K::sum, "DRAM traffic, bytes", f[kDramBytes]);
    for (std::size_t t = 0; t < kTensorNames.size(); ++t) {
        out.num(std::string("dram_") + kTensorNames[t] + "_bytes", K::sum,
                "DRAM traffic of one tensor, bytes", e[kDramWeightBytes + t]);
    }
    out.num("area_um2", K::design, "the design's area", c.area_um2);
    out.num("mac_area_um2", K::design, "area of the MACs", c.area.mac);
    out.num("rf_area_um2", K::design, "area of the register files", c.area.rf);
    out.num("noc_area_um2", K::design, "area of the GLB<->PE network", c.area.noc);
    out.num("glb_area_um2", K::design, "area of the global buffer", c.area.glb);
    const GlbTile& tile = r.tiling;
    out.num("glb_row_tile", K::mapping, "output rows (over N x P) per GLB tile",
            ok ? static_cast<double>(tile.rows) : kNaN);
    out.num("glb_filter_tile", K::mapping, "filters per GLB tile",
            ok ? static_cast<double>(tile.filters) : kNaN);
    out.num("glb_channel_tile", K::mapping, "input channels per GLB tile",
            ok ? static_cast<double>(tile.channels) : kNaN);
    out.num("row_tiles", K::mapping, "trips of the GLB row-tile loop", e[kRowTiles]);
    out.num("filter_tiles", K::mapping, "trips of the GLB filter-tile loop", e[kFilterTiles]);
    out.num("channel_tiles", K::mapping, "trips of the GLB channel-tile loop", e[kChannelTiles]);
    out.num("loop_order", K::mapping, "the GLB tile-loop order (extended outputs' code)",
            e[kLoopOrder]);
    out.num("rs_p", K::mapping, "rs: filters per PE (0: systolic)", e[kRsP]);
    out.num("rs_q", K::mapping, "rs: channels per PE", e[kRsQ]);
    out.num("rs_tf", K::mapping, "rs: replicas on filters", e[kRsTf]);
    out.num("rs_tc", K::mapping, "rs: replicas on channels", e[kRsTc]);
    // The rs shape of the layer on the array (0 for systolic designs).
    RsShape sh{0, 0, 0, 0, 0};
    if (ok && c.arch.dataflow == Dataflow::rs) sh = rs_shape(c.arch, L);
    const auto shape = [&](std::int64_t v) { return ok ? static_cast<double>(v) : kNaN; };
    out.num("rs_r_eff", K::mapping, "rs: filter rows per PE set", shape(sh.r_eff));
    out.num("rs_r_fold", K::mapping, "rs: pieces the filter rows are cut into", shape(sh.r_fold));
    out.num("rs_e_pass", K::mapping, "rs: output rows per PE set", shape(sh.e_pass));
    out.num("rs_e_fold", K::mapping, "rs: strips the output rows are cut into", shape(sh.e_fold));
    out.num("rs_replicas", K::mapping, "rs: PE sets that fit side by side", shape(sh.replicas));
    out.text("mapping", "the loop nest, outer to inner", mapping_text(c.arch, L, r, false));
}

class SchemaSink : public Sink {
   public:
    std::vector<ReportColumn> columns;
    void num(const std::string& name, ColumnKind kind, const char* doc, double) override {
        columns.push_back({name, kind, doc});
    }
    void text(const std::string& name, const char* doc, std::string) override {
        columns.push_back({name, ColumnKind::text, doc});
    }
};

class LineSink : public Sink {
   public:
    ReportLine line;
    void num(const std::string&, ColumnKind, const char*, double v) override {
        line.num.push_back(v);
        line.text.emplace_back();
    }
    void text(const std::string&, const char*, std::string v) override {
        line.num.push_back(kNaN);
        line.text.push_back(std::move(v));
    }
};

// "1 filter", "3 filters".
std::string counted(double n, const std::string& what) {
    return format_number(n) + " " + what + (n == 1 ? "" : "s");
}

}  // namespace

const std::vector<ReportColumn>& report_schema() {
    static const std::vector<ReportColumn> schema = [] {
        const Arch arch;
        const ReportRow row{"", Layer{}, failed_result(Status::invalid_config, 0)};
        const EnergyTable::AreaBreakdown area;
        SchemaSink sink;
        emit({arch, row, area, 0, 0, 0}, sink);
        return sink.columns;
    }();
    return schema;
}

int report_column_index(const std::string& name) {
    const auto& s = report_schema();
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i].name == name) return static_cast<int>(i);
    }
    return -1;
}

std::string format_number(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
        return std::to_string(static_cast<long long>(v));
    }
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, res.ptr);
}

bool Report::all_ok() const {
    for (const auto& r : rows) {
        if (r.result.status != Status::ok) return false;
    }
    return true;
}

std::string Report::preset() const {
    double mine[kConfigWidth], theirs[kConfigWidth];
    arch.to_row(mine);
    for (const auto& p : presets()) {
        p.arch.to_row(theirs);
        if (std::equal(mine, mine + kConfigWidth, theirs)) return p.name;
    }
    return "";
}

Report make_report(const Arch& arch, const EnergyTable& table,
                   const std::vector<NamedLayer>& layers, const MapperOptions& mapper,
                   std::string workload) {
    Report rep{std::move(workload), mapper, arch, table, {}};
    const DesignContext ctx(rep.arch, rep.table);
    for (const auto& nl : layers) {
        rep.rows.push_back(
            {nl.name, nl.layer, evaluate_layer(ctx, nl.layer, *glb_tilings(nl.layer), mapper)});
    }
    return rep;
}

std::vector<ReportLine> report_lines(const Report& rep) {
    const auto& schema = report_schema();
    const std::size_t n_cols = schema.size();
    const bool ok = rep.all_ok();
    // The network totals, as evaluate(..., per_network=True) computes them.
    NetworkTotals totals;
    for (const auto& row : rep.rows) {
        totals.add(row.result, static_cast<double>(row.layer.count));
    }
    double net[kNumResultFields];
    totals.finish(rep.arch, net);
    const EnergyTable::AreaBreakdown area = rep.table.area_breakdown_um2(rep.arch);
    const double area_um2 = rep.table.area_um2(rep.arch);

    std::vector<ReportLine> lines;
    for (const auto& row : rep.rows) {
        const double count = static_cast<double>(row.layer.count);
        double share_l = kNaN, share_e = kNaN;
        if (ok && net[kLatencyCycles] > 0) {
            share_l = count * row.result.latency_cycles / net[kLatencyCycles];
        }
        if (ok && net[kEnergyPj] > 0) share_e = count * row.result.energy_pj / net[kEnergyPj];
        LineSink sink;
        emit({rep.arch, row, area, area_um2, share_l, share_e}, sink);
        lines.push_back(std::move(sink.line));
    }

    // The total line, column by column.
    ReportLine total;
    total.num.assign(n_cols, kNaN);
    total.text.assign(n_cols, "");
    const int c_compute = report_column_index("compute_cycles");
    for (std::size_t c = 0; c < n_cols; ++c) {
        const ReportColumn& col = schema[c];
        const auto net_field = std::find(kResultFields.begin(), kResultFields.end(), col.name);
        if (net_field != kResultFields.end()) {  // latency, energy, utilization, ...
            total.num[c] = net[net_field - kResultFields.begin()];
            continue;
        }
        double acc = 0, weight = 0;
        switch (col.kind) {
            case ColumnKind::text: break;
            case ColumnKind::count:
                for (const auto& row : rep.rows) acc += static_cast<double>(row.layer.count);
                total.num[c] = acc;
                break;
            case ColumnKind::sum:
                for (std::size_t i = 0; i < rep.rows.size(); ++i) {
                    acc += static_cast<double>(rep.rows[i].layer.count) * lines[i].num[c];
                }
                total.num[c] = ok ? acc : kNaN;
                break;
            case ColumnKind::ratio:  // weighted by busy cycles: mapping_efficiency
                for (std::size_t i = 0; i < rep.rows.size(); ++i) {
                    const double w = static_cast<double>(rep.rows[i].layer.count) *
                                     busy_cycles(rep.arch, lines[i].num[c_compute]);
                    acc += w * lines[i].num[c];
                    weight += w;
                }
                total.num[c] = ok && weight > 0 ? acc / weight : kNaN;
                break;
            case ColumnKind::share: total.num[c] = ok ? 1.0 : kNaN; break;
            case ColumnKind::design:
                total.num[c] = lines.empty() ? kNaN : lines.front().num[c];
                break;
            case ColumnKind::mapping: break;
        }
    }
    total.text[static_cast<std::size_t>(report_column_index("layer"))] = "total";
    total.text[static_cast<std::size_t>(report_column_index("status"))] =
        status_name(totals.status());
    if (ok) {  // the bound of most of the latency
        std::array<double, 3> by_bound{};
        for (const auto& row : rep.rows) {
            by_bound[static_cast<std::size_t>(row.result.bound)] +=
                static_cast<double>(row.layer.count) * row.result.latency_cycles;
        }
        const auto top = std::max_element(by_bound.begin(), by_bound.end()) - by_bound.begin();
        total.text[static_cast<std::size_t>(report_column_index("bound"))] =
            kBoundNames[static_cast<std::size_t>(top)];
    }
    lines.push_back(std::move(total));
    return lines;
}

std::vector<std::vector<ReportLine>> report_lines_batch(const std::vector<Arch>& archs,
                                                        const EnergyTable& table,
                                                        const std::vector<NamedLayer>& layers,
                                                        const MapperOptions& mapper, int threads) {
    check_threads(threads);
    std::vector<std::vector<ReportLine>> out(archs.size());
    parallel_for(static_cast<std::int64_t>(archs.size()),
                 threads == 0 ? default_threads() : threads, 1,
                 [&](std::int64_t begin, std::int64_t end) {
                     for (std::int64_t d = begin; d < end; ++d) {
                         const auto i = static_cast<std::size_t>(d);
                         out[i] = report_lines(make_report(archs[i], table, layers, mapper, ""));
                     }
                 });
    return out;
}

std::string mapping_text(const Arch& a, const Layer& L, const LayerResult& r, bool multiline) {
    if (r.status != Status::ok) return "";
    double e[kNumExtendedFields];
    extended_fields(r, L, e);
    const GlbTile& t = r.tiling;
    const std::int64_t F = L.k_per_group(), C = L.c_per_group();
    struct Loop {
        std::string name, tile, of;
        double trips;
    };
    // Row tiles count output rows over N x P (a tile may span several images).
    const std::string row_tile = counted(static_cast<double>(t.rows), "output row");
    const std::array<Loop, 3> loops = {
        Loop{"rows", row_tile,
             "N x P = " + format_number(static_cast<double>(L.n) * static_cast<double>(L.p)),
             e[kRowTiles]},
        Loop{"filters", counted(static_cast<double>(t.filters), "filter"),
             "K/g = " + format_number(static_cast<double>(F)), e[kFilterTiles]},
        Loop{"channels", counted(static_cast<double>(t.channels), "channel"),
             "C/g = " + format_number(static_cast<double>(C)), e[kChannelTiles]}};
    const std::string df = dataflow_name(a.dataflow);
    const std::string array = format_number(static_cast<double>(a.pe_rows)) + "x" +
                              format_number(static_cast<double>(a.pe_cols));
    // The spatial part, and for rs what a PE holds.
    std::vector<std::string> spatial;
    if (a.dataflow == Dataflow::rs) {
        const RsShape sh = rs_shape(a, L);
        spatial.push_back("sets of " + counted(static_cast<double>(sh.r_eff), "filter row") +
                          " x " + counted(static_cast<double>(sh.e_pass), "output row") +
                          " (filter rows in " + counted(static_cast<double>(sh.r_fold), "piece") +
                          ", output rows in " + counted(static_cast<double>(sh.e_fold), "strip") +
                          ")");
        spatial.push_back(format_number(static_cast<double>(r.rs.tf)) + " on filters x " +
                          format_number(static_cast<double>(r.rs.tc)) + " on channels of " +
                          counted(static_cast<double>(sh.replicas), "set") + " that fit");
        spatial.push_back("each PE: " + counted(static_cast<double>(r.rs.p), "filter") + " x " +
                          counted(static_cast<double>(r.rs.q), "channel") + " x " +
                          counted(static_cast<double>(L.s), "weight") + " of a filter row");
    } else {
        const SystolicDims d = systolic_dims(a.dataflow, L);
        // The three operand-matrix dimensions (docs/model.md): what each of them is.
        const std::array<std::pair<const char*, const char*>, 3> names = {
            std::pair{"window value", "C/g x R x S"}, std::pair{"filter", "K/g"},
            std::pair{"pixel", "N x P x Q"}};
        auto dims = [&](double v, std::size_t which) {
            return counted(v, names[which].first) + " (" + names[which].second + ")";
        };
        std::size_t on_rows = 0, on_cols = 1, in_time = 2;  // ws
        if (a.dataflow == Dataflow::os) {
            on_rows = 2;
            in_time = 0;
        } else if (a.dataflow == Dataflow::is) {
            on_cols = 2;
            in_time = 1;
        }
        const double fr = std::ceil(d.sr / static_cast<double>(a.pe_rows));
        const double fc = std::ceil(d.sc / static_cast<double>(a.pe_cols));
        spatial.push_back(dims(d.sr, on_rows) + " on the rows in " + counted(fr, "fold"));
        spatial.push_back(dims(d.sc, on_cols) + " on the columns in " + counted(fc, "fold"));
        spatial.push_back(dims(d.t, in_time) + " streamed");
    }
    std::ostringstream o;
    if (!multiline) {
        o << "glb tiles:";
        if (L.groups > 1) o << " groups x" << L.groups << " >";
        for (std::size_t i = 0; i < 3; ++i) {
            const Loop& lp = loops[t.order[i]];
            o << (i ? " >" : "") << " " << lp.name << " " << format_number(lp.trips) << " x "
              << lp.tile;
        }
        o << "; " << df << " " << array << ": ";
        for (std::size_t i = 0; i < spatial.size(); ++i) o << (i ? ", " : "") << spatial[i];
        return o.str();
    }
    std::string indent = "  ";
    o << "DRAM -> GLB (" << df << " on " << array << "), outer to inner:\n";
    if (L.groups > 1) {
        o << indent << "for group in " << L.groups << " groups\n";
        indent += "  ";
    }
    for (std::size_t i = 0; i < 3; ++i) {
        const Loop& lp = loops[t.order[i]];
        o << indent << "for " << lp.name << " in " << format_number(lp.trips)
          << (lp.trips == 1 ? " tile" : " tiles") << " of " << lp.tile << " (" << lp.of << ")\n";
        indent += "  ";
    }
    o << indent << "GLB -> array:\n";
    for (const auto& s : spatial) o << indent << "  " << s << "\n";
    return o.str();
}

void write_csv(std::ostream& os, const Report& rep) {
    const auto& schema = report_schema();
    for (std::size_t c = 0; c < schema.size(); ++c) os << (c ? "," : "") << schema[c].name;
    os << "\n";
    for (const auto& line : report_lines(rep)) {
        for (std::size_t c = 0; c < schema.size(); ++c) {
            if (c) os << ",";
            if (schema[c].kind != ColumnKind::text) {
                os << format_number(line.num[c]);
                continue;
            }
            const std::string& s = line.text[c];
            if (s.find_first_of(",\"\n") == std::string::npos) {
                os << s;
                continue;
            }
            os << '"';
            for (char ch : s) os << (ch == '"' ? "\"\"" : std::string(1, ch));
            os << '"';
        }
        os << "\n";
    }
}

void write_json(std::ostream& out, const Report& rep) {
    const auto& schema = report_schema();
    std::ostringstream o;
    const std::string preset = rep.preset();
    o << "{\n  \"workload\": \"" << json_escape(printable(rep.workload)) << "\",\n  \"preset\": ";
    if (preset.empty()) {
        o << "null";
    } else {
        o << "\"" << json_escape(preset) << "\"";
    }
    o << ",\n  \"mapper\": {\"objective\": \"" << objective_name(rep.mapper.objective)
      << "\", \"mode\": \"" << mapper_mode_name(rep.mapper.mode) << "\"},\n  \"arch\": {";
    double cfg[kConfigWidth];
    rep.arch.to_row(cfg);
    for (int i = 0; i < kConfigWidth; ++i) {
        o << (i ? ", " : "") << "\"" << kConfigColumns[static_cast<std::size_t>(i)] << "\": ";
        if (i == 0) {
            o << "\"" << dataflow_name(rep.arch.dataflow) << "\"";
        } else {
            o << json_num(cfg[i]);
        }
    }
    const EnergyTable::AreaBreakdown area = rep.table.area_breakdown_um2(rep.arch);
    o << "},\n  \"energy_table\": \"" << json_escape(printable(rep.table.name))
      << "\",\n  \"area_um2\": " << json_num(rep.table.area_um2(rep.arch))
      << ",\n  \"area_breakdown_um2\": {\"mac\": " << json_num(area.mac)
      << ", \"rf\": " << json_num(area.rf) << ", \"noc\": " << json_num(area.noc)
      << ", \"glb\": " << json_num(area.glb) << "},\n  \"layers\": [\n";
    auto emit_line = [&](const ReportLine& line) {
        o << "    {";
        for (std::size_t c = 0; c < schema.size(); ++c) {
            o << (c ? ", " : "") << "\"" << schema[c].name << "\": ";
            if (schema[c].kind == ColumnKind::text) {
                o << "\"" << json_escape(line.text[c]) << "\"";
            } else {
                o << json_num(line.num[c]);
            }
        }
        o << "}";
    };
    const auto lines = report_lines(rep);
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
        emit_line(lines[i]);
        o << (i + 2 < lines.size() ? ",\n" : "\n");
    }
    o << "  ],\n  \"total\":\n";
    emit_line(lines.back());
    o << "\n}\n";
    out << o.str();
}

void write_table(std::ostream& os, const Report& rep, bool mappings) {
    const Arch& arch = rep.arch;
    const std::string preset = rep.preset();
    const auto lines = report_lines(rep);
    auto col = [&](const char* name) {
        return static_cast<std::size_t>(report_column_index(name));
    };
    const ReportLine& total = lines.back();
    auto mm2 = [](double um2) {
        std::ostringstream s;
        s << std::setprecision(4) << um2 / 1e6;
        return s.str();
    };
    os << "tldse-sim: " << printable(rep.workload) << " on ";
    if (!preset.empty()) os << "preset " << preset << ", ";
    os << arch.pe_rows << "x" << arch.pe_cols << " " << dataflow_name(arch.dataflow) << ", GLB "
       << format_number(arch.glb_bytes) << " B, DRAM "
       << (arch.dram_bw >= kUnlimitedDramBw ? std::string("unlimited")
                                            : format_number(arch.dram_bw) + " B/cycle")
       << ", " << arch.weight_bits << "/" << arch.act_bits << "/" << arch.psum_bits << "-bit, "
       << format_number(arch.clock_mhz) << " MHz, energy table " << printable(rep.table.name)
       << ", mapper " << mapper_mode_name(rep.mapper.mode) << "/"
       << objective_name(rep.mapper.objective) << "\n";
    os << "area " << mm2(total.num[col("area_um2")]) << " mm^2: MAC "
       << mm2(total.num[col("mac_area_um2")]) << ", RF " << mm2(total.num[col("rf_area_um2")])
       << ", NoC " << mm2(total.num[col("noc_area_um2")]) << ", GLB "
       << mm2(total.num[col("glb_area_um2")]) << "\n";
    const char* heads[] = {"layer", "count",     "macs",    "latency_cyc", "stall_cyc", "bound",
                           "util",  "energy_pj", "dram_rd", "dram_wr",     "status"};
    os << std::left << std::setw(16) << heads[0] << std::right;
    for (int i = 1; i < 11; ++i) os << std::setw(i == 10 ? 14 : (i == 5 ? 9 : 13)) << heads[i];
    os << "\n";
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const ReportLine& line = lines[i];
        const std::string& name = line.text[col("layer")];
        std::string shown = name.substr(0, 15);
        // Do not cut a UTF-8 character in half.
        while (!shown.empty() && shown.size() < name.size() &&
               (static_cast<unsigned char>(name[shown.size()]) & 0xC0) == 0x80) {
            shown.pop_back();
        }
        const double util = line.num[col("utilization")];
        std::ostringstream u;
        u << std::fixed << std::setprecision(3) << util;
        os << std::left << std::setw(16) << shown << std::right << std::setw(13)
           << format_number(line.num[col("count")]) << std::setw(13)
           << format_number(line.num[col("macs")]) << std::setw(13)
           << format_number(line.num[col("latency_cycles")]) << std::setw(13)
           << format_number(line.num[col("stall_cycles")]) << std::setw(9)
           << (line.text[col("bound")].empty() ? "-" : line.text[col("bound")]) << std::setw(13)
           << (std::isnan(util) ? "nan" : u.str()) << std::setw(13)
           << format_number(std::round(line.num[col("energy_pj")])) << std::setw(13)
           << format_number(line.num[col("dram_reads")]) << std::setw(13)
           << format_number(line.num[col("dram_writes")]) << std::setw(14)
           << line.text[col("status")] << "\n";
    }
    if (rep.all_ok()) {
        auto pct = [&](const char* name, double of) {
            std::ostringstream s;
            s << std::fixed << std::setprecision(1) << 100 * total.num[col(name)] / of << "%";
            return s.str();
        };
        const double energy = total.num[col("energy_pj")];
        const double latency = total.num[col("latency_cycles")];
        os << "energy by level: MAC " << pct("mac_energy_pj", energy) << ", RF "
           << pct("rf_energy_pj", energy) << ", NoC " << pct("noc_energy_pj", energy) << ", GLB "
           << pct("glb_energy_pj", energy) << ", DRAM " << pct("dram_energy_pj", energy)
           << ", leakage " << pct("leakage_energy_pj", energy) << "\n";
        os << "latency: compute " << pct("compute_cycles", latency) << ", stalls "
           << pct("stall_cycles", latency) << " (beyond compute: DRAM "
           << format_number(total.num[col("dram_stall_cycles")]) << " cycles, GLB "
           << format_number(total.num[col("glb_stall_cycles")]) << " cycles)\n";
    }
    if (mappings) {
        for (const auto& row : rep.rows) {
            os << "\n" << row.name << ": ";
            const std::string text = mapping_text(rep.arch, row.layer, row.result, true);
            os << (text.empty()
                       ? std::string("no mapping (") + status_name(row.result.status) + ")\n"
                       : text);
        }
    }
}

std::vector<std::string> write_scalesim_reports(const std::string& dir, const Report& rep) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!fs::is_directory(dir, ec)) {
        throw std::invalid_argument(printable(dir) + ": cannot create the reports folder");
    }
    const auto lines = report_lines(rep);
    auto col = [&](const char* name) {
        return static_cast<std::size_t>(report_column_index(name));
    };
    const double pes = static_cast<double>(rep.arch.num_pes());
    std::ostringstream compute, bandwidth, detail;
    compute << "LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util "
               "%, Mapping Efficiency %, Compute Util %,\n";
    bandwidth << "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP "
                 "DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n";
    detail << "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM "
              "Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start "
              "Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM "
              "IFMAP Stop Cycle, DRAM IFMAP Reads, DRAM Filter Start Cycle, DRAM Filter Stop "
              "Cycle, DRAM Filter Reads, DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM "
              "OFMAP Writes,\n";
    auto cells = [](std::ostream& o, std::size_t id, const std::vector<double>& v, bool ok) {
        o << id << ",";
        for (double x : v) o << " " << (ok && !std::isnan(x) ? format_number(x) : "") << ",";
        o << "\n";
    };
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
        const std::vector<double>& n = lines[i].num;
        const bool ok = rep.rows[i].result.status == Status::ok;
        const double lat = n[col("latency_cycles")];
        // Elements (SCALE-Sim's one-byte words): reads towards the array, and the array's
        // output writes (partial sums read back from DRAM are not the array's).
        const double sram_i = n[col("glb_input_reads")], sram_w = n[col("glb_weight_reads")];
        const double sram_o = n[col("glb_output_writes")] - n[col("dram_output_reads")];
        const double dram_i = n[col("dram_input_reads")], dram_w = n[col("dram_weight_reads")];
        const double dram_o = n[col("dram_output_writes")];
        cells(compute, i,
              {lat, lat, n[col("stall_cycles")], 100 * n[col("macs")] / (lat * pes),
               100 * n[col("mapping_efficiency")], 100 * n[col("utilization")]},
              ok);
        cells(bandwidth, i,
              {sram_i / lat, sram_w / lat, sram_o / lat, dram_i / lat, dram_w / lat, dram_o / lat},
              ok);
        // tldse has no per-transfer timing: start and stop cycles are left empty.
        cells(detail, i,
              {kNaN, kNaN, sram_i, kNaN, kNaN, sram_w, kNaN, kNaN, sram_o, kNaN, kNaN, dram_i, kNaN,
               kNaN, dram_w, kNaN, kNaN, dram_o},
              ok);
    }
    std::vector<std::string> written;
    for (const auto& [name, text] :
         {std::pair<const char*, std::string>{"COMPUTE_REPORT.csv", compute.str()},
          {"BANDWIDTH_REPORT.csv", bandwidth.str()},
          {"DETAILED_ACCESS_REPORT.csv", detail.str()}}) {
        const fs::path path = fs::path(dir) / name;
        const fs::path tmp = fs::path(dir) / (std::string(".") + name + ".tmp");
        {
            std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
            f << text;
            f.flush();
            if (!f) {
                fs::remove(tmp, ec);
                throw std::invalid_argument(printable(tmp.string()) + ": cannot write");
            }
        }
        fs::rename(tmp, path, ec);
        if (ec) {
            fs::remove(tmp, ec);
            throw std::invalid_argument(printable(path.string()) + ": cannot write");
        }
        written.push_back(path.string());
    }
    return written;
}

void write_preset_list(std::ostream& os) {
    for (const auto& p : presets()) {
        os << std::left << std::setw(12) << p.name << p.description << "\n"
           << std::setw(12) << "" << "source: " << p.source << "\n";
    }
}

void write_workload_list(std::ostream& os) {
    for (const auto& name : builtin_workload_names()) {
        const auto layers = builtin_workload(name, 1);
        double macs = 0;
        for (const auto& nl : layers) macs += nl.layer.macs() * static_cast<double>(nl.layer.count);
        std::ostringstream m;
        m << std::fixed << std::setprecision(1) << macs / 1e6;
        os << std::left << std::setw(17) << name << std::right << std::setw(4) << layers.size()
           << " layers, " << m.str() << " MMACs at batch 1\n";
    }
}

}  // namespace tldse
