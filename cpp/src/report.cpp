#include "tldse/report.hpp"

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "tldse/batch.hpp"
#include "tldse/builtin_workloads.hpp"
#include "tldse/glb_tiling.hpp"
#include "tldse/presets.hpp"

namespace tldse {

namespace {

std::string fmt_num(double v) {
    if (std::isnan(v)) return "nan";
    std::ostringstream os;
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
        os << std::fixed << std::setprecision(0) << v;
    } else {
        os << std::setprecision(10) << v;
    }
    return os.str();
}

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

std::string json_num(double v) { return std::isfinite(v) ? fmt_num(v) : "null"; }

// The result fields shown, in column order, then the DRAM accesses by tensor.
constexpr ResultField kShown[] = {
    kMacs,       kComputeCycles, kStallCycles, kLatencyCycles, kUtilization, kEnergyPj, kDramReads,
    kDramWrites, kGlbReads,      kGlbWrites,   kNocTransfers,  kRfReads,     kRfWrites};

std::vector<double> numbers(const double* fields, const std::array<double, 4>& dram_tensor) {
    std::vector<double> v;
    for (ResultField f : kShown) v.push_back(fields[f]);
    v.insert(v.end(), dram_tensor.begin(), dram_tensor.end());
    v.push_back(fields[kDramBytes]);
    return v;
}

std::array<double, 4> dram_by_tensor(const LayerResult& r) {
    const auto& A = r.accesses;
    return {A.reads[kDram][kWeight], A.reads[kDram][kInput], A.reads[kDram][kOutput],
            A.writes[kDram][kOutput]};
}

struct Line {
    std::string name;
    std::int64_t count;
    Status status;
    std::vector<double> v;
    const LayerResult* detail;  // nullptr for the total
};

Line row_line(const ReportRow& row) {
    double f[kNumResultFields];
    result_fields(row.result, f);
    return {row.name, row.count, row.result.status, numbers(f, dram_by_tensor(row.result)),
            &row.result};
}

// The network total: NetworkTotals (as evaluate(..., per_network=True)) plus the DRAM
// accesses by tensor summed with the count weights.
Line total_line(const Report& rep) {
    NetworkTotals totals;
    std::array<double, 4> dram{};
    for (const auto& row : rep.rows) {
        totals.add(row.result, static_cast<double>(row.count));
        const auto d = dram_by_tensor(row.result);
        for (std::size_t i = 0; i < d.size(); ++i) dram[i] += static_cast<double>(row.count) * d[i];
    }
    double f[kNumResultFields];
    totals.finish(rep.arch, f);
    return {"total", 1, totals.status(), numbers(f, dram), nullptr};
}

}  // namespace

bool Report::all_ok() const {
    for (const auto& r : rows) {
        if (r.result.status != Status::ok) return false;
    }
    return true;
}

Report make_report(const Arch& arch, const EnergyTable& table,
                   const std::vector<NamedLayer>& layers, const MapperOptions& mapper,
                   std::string workload, std::string preset) {
    Report rep{std::move(preset), std::move(workload), mapper, arch, table, {}};
    const DesignContext ctx(rep.arch, rep.table);
    for (const auto& nl : layers) {
        rep.rows.push_back({nl.name, nl.layer.count,
                            evaluate_layer(ctx, nl.layer, *glb_tilings(nl.layer), mapper)});
    }
    return rep;
}

const std::vector<std::string>& report_columns() {
    static const std::vector<std::string> cols = {"macs",
                                                  "compute_cycles",
                                                  "stall_cycles",
                                                  "latency_cycles",
                                                  "utilization",
                                                  "energy_pj",
                                                  "dram_reads",
                                                  "dram_writes",
                                                  "glb_reads",
                                                  "glb_writes",
                                                  "noc_transfers",
                                                  "rf_reads",
                                                  "rf_writes",
                                                  "dram_weight_reads",
                                                  "dram_input_reads",
                                                  "dram_output_reads",
                                                  "dram_output_writes",
                                                  "dram_bytes"};
    return cols;
}

void write_csv(std::ostream& os, const Report& rep) {
    os << "layer,count,status";
    for (const auto& c : report_columns()) os << "," << c;
    os << "\n";
    for (const auto& row : rep.rows) {
        std::string name = row.name;
        if (name.find_first_of(",\"") != std::string::npos) {
            std::string q = "\"";
            for (char ch : name) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
            name = q + "\"";
        }
        os << name << "," << row.count << "," << status_name(row.result.status);
        for (double v : row_line(row).v) os << "," << fmt_num(v);
        os << "\n";
    }
}

void write_table(std::ostream& os, const Report& rep) {
    const Arch& arch = rep.arch;
    os << "tldse-sim: " << printable(rep.workload) << " on ";
    if (!rep.preset.empty()) os << "preset " << rep.preset << ", ";
    os << arch.pe_rows << "x" << arch.pe_cols << " " << dataflow_name(arch.dataflow) << ", GLB "
       << fmt_num(arch.glb_bytes) << " B, DRAM " << fmt_num(arch.dram_bw) << " B/cycle, "
       << arch.weight_bits << "/" << arch.act_bits << "/" << arch.psum_bits << "-bit, "
       << fmt_num(arch.clock_mhz) << " MHz, energy table " << rep.table.name << ", area "
       << std::setprecision(4) << rep.table.area_um2(arch) / 1e6 << " mm^2, mapper "
       << mapper_mode_name(rep.mapper.mode) << "/" << objective_name(rep.mapper.objective) << "\n";
    const char* cols[] = {"layer",     "count",       "macs",  "compute_cyc",
                          "stall_cyc", "latency_cyc", "util",  "energy_pj",
                          "dram_rd",   "dram_wr",     "status"};
    os << std::left << std::setw(16) << cols[0] << std::right;
    for (int i = 1; i < 11; ++i) os << std::setw(i == 10 ? 14 : 13) << cols[i];
    os << "\n";
    auto print = [&](const Line& line) {
        const auto& v = line.v;
        std::ostringstream util;
        util << std::fixed << std::setprecision(3) << v[4];
        std::string shown = line.name.substr(0, 15);
        // Do not cut a UTF-8 character in half.
        while (!shown.empty() && shown.size() < line.name.size() &&
               (static_cast<unsigned char>(line.name[shown.size()]) & 0xC0) == 0x80) {
            shown.pop_back();
        }
        os << std::left << std::setw(16) << shown << std::right << std::setw(13) << line.count;
        for (int i = 0; i < 4; ++i) os << std::setw(13) << fmt_num(v[i]);
        os << std::setw(13) << (std::isnan(v[4]) ? "nan" : util.str()) << std::setw(13)
           << fmt_num(std::round(v[5])) << std::setw(13) << fmt_num(v[6]) << std::setw(13)
           << fmt_num(v[7]) << std::setw(14) << status_name(line.status) << "\n";
    };
    for (const auto& row : rep.rows) print(row_line(row));
    print(total_line(rep));
}

void write_json(std::ostream& out, const Report& rep) {
    std::ostringstream o;
    o << "{\n  \"workload\": \"" << json_escape(rep.workload) << "\",\n  \"preset\": ";
    if (rep.preset.empty())
        o << "null";
    else
        o << "\"" << json_escape(rep.preset) << "\"";
    o << ",\n  \"mapper\": {\"objective\": \"" << objective_name(rep.mapper.objective)
      << "\", \"mode\": \"" << mapper_mode_name(rep.mapper.mode) << "\"},\n  \"arch\": {";
    double cfg[kConfigWidth];
    rep.arch.to_row(cfg);
    for (int i = 0; i < kConfigWidth; ++i) {
        o << (i ? ", " : "") << "\"" << kConfigColumns[static_cast<std::size_t>(i)] << "\": ";
        if (i == 0)
            o << "\"" << dataflow_name(rep.arch.dataflow) << "\"";
        else
            o << json_num(cfg[i]);
    }
    o << "},\n  \"energy_table\": \"" << json_escape(rep.table.name)
      << "\",\n  \"area_um2\": " << json_num(rep.table.area_um2(rep.arch))
      << ",\n  \"layers\": [\n";
    auto emit = [&](const Line& line) {
        o << "    {\"layer\": \"" << json_escape(line.name) << "\", \"count\": " << line.count
          << ", \"status\": \"" << status_name(line.status) << "\"";
        for (std::size_t i = 0; i < line.v.size(); ++i) {
            o << ", \"" << report_columns()[i] << "\": " << json_num(line.v[i]);
        }
        if (const LayerResult* r = line.detail) {
            o << ", \"energy_breakdown_pj\": {\"mac\": " << json_num(r->mac_energy_pj)
              << ", \"leakage\": " << json_num(r->leakage_energy_pj);
            for (std::size_t l = 0; l < kLevelNames.size(); ++l) {
                for (std::size_t t = 0; t < kTensorNames.size(); ++t) {
                    o << ", \"" << kLevelNames[l] << "_" << kTensorNames[t]
                      << "\": " << json_num(r->energy_level_tensor_pj[l][t]);
                }
            }
            o << "}";
        }
        o << "}";
    };
    for (std::size_t i = 0; i < rep.rows.size(); ++i) {
        emit(row_line(rep.rows[i]));
        o << (i + 1 < rep.rows.size() ? ",\n" : "\n");
    }
    o << "  ],\n  \"total\":\n";
    emit(total_line(rep));
    o << "\n}\n";
    out << o.str();
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
