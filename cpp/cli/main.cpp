// tldse-sim: parse arguments -> read files -> evaluate every layer -> table / CSV / JSON.
#include <cmath>
#include <cstdio>
#include <exception>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tldse/arch.hpp"
#include "tldse/cost_model.hpp"
#include "tldse/energy_table.hpp"
#include "tldse/io.hpp"

namespace {

const char* kUsage = R"(usage: tldse-sim --topology FILE [--config FILE.cfg | --arch FILE] [options]

Evaluates every layer of a workload on one accelerator design with the tldse analytical
model and prints one row per layer.

inputs:
  --topology FILE     workload: a SCALE-Sim conv topology (header 'Layer name, IFMAP
                      Height, IFMAP Width, Filter Height, Filter Width, Channels, Num
                      Filter, Strides'), a SCALE-Sim GEMM topology ('Layer, M, N, K'), or
                      a tldse layer CSV (columns name, kind, n, k, c, p, q, r, s,
                      stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups, count)
  --config FILE       a SCALE-Sim .cfg: [architecture_presets] ArrayHeight, ArrayWidth,
                      IfmapSramSzkB, FilterSramSzkB, OfmapSramSzkB, Dataflow, Bandwidth
                      (words/cycle). Words are 8 bits; the three SRAMs become the three
                      global-buffer partitions.
  --arch FILE         a tldse architecture file: 'key = value' lines with the keys of
                      --set below (unset keys keep their defaults)
  --set KEY=VALUE     override one architecture field (repeatable): dataflow (ws|os|is),
                      pe_rows, pe_cols, rf_bytes, rf_input_bytes, rf_weight_bytes,
                      rf_output_bytes, glb_bytes, glb_input_bytes,
                      glb_weight_bytes, glb_output_bytes, dram_bw_bytes_per_cycle,
                      glb_bw_bytes_per_cycle, multicast, weight_bits, act_bits,
                      psum_bits, clock_mhz
  --energy-table T    horowitz45 (default: 45 nm, Horowitz ISSCC 2014), eyeriss
                      (normalised MAC 1, RF 1, NoC 2, buffer 6, DRAM 200), or a file of
                      'key = value' lines overriding horowitz45 entries

output:
  --format F          table (default), csv or json
  -h, --help          show this help

columns (one row per layer; counts are element accesses, summed over all tensors):
  layer, count, status, macs, compute_cycles (array fill/drain included; equals
  SCALE-Sim v2's total cycles for ws/os/is), stall_cycles (latency - compute),
  latency_cycles = max(compute, ceil(DRAM bytes / DRAM bandwidth),
  ceil(GLB bytes / GLB bandwidth)),
  utilization = macs / ((compute_cycles + 1) x PEs), energy_pj, dram_reads, dram_writes,
  glb_reads, glb_writes, noc_transfers, rf_reads, rf_writes, dram_weight_reads,
  dram_input_reads, dram_output_reads, dram_output_writes, dram_bytes.
  json adds the architecture, the area and per-level/per-tensor energy.
  Per-layer values are for one occurrence; the total row weights each layer by its count.

exit status: 0 on success (infeasible layers are reported with a non-ok status),
2 on bad arguments or malformed input files.
)";

struct Row {
    std::string name;
    std::int64_t count;
    tldse::LayerResult r;
    double dram_bytes;
};

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

const std::vector<std::string> kColumns = {
    "layer", "count", "status", "macs", "compute_cycles", "stall_cycles", "latency_cycles",
    "utilization", "energy_pj", "dram_reads", "dram_writes", "glb_reads", "glb_writes",
    "noc_transfers", "rf_reads", "rf_writes", "dram_weight_reads", "dram_input_reads",
    "dram_output_reads", "dram_output_writes", "dram_bytes"};

std::vector<double> numbers(const Row& row) {
    const auto& r = row.r;
    const auto& A = r.accesses;
    using tldse::kDram;
    return {r.macs,
            r.compute_cycles,
            r.stall_cycles,
            r.latency_cycles,
            r.utilization,
            r.energy_pj,
            A.level_reads(tldse::kDram),
            A.level_writes(tldse::kDram),
            A.level_reads(tldse::kGlb),
            A.level_writes(tldse::kGlb),
            A.level_reads(tldse::kNoc) + A.level_writes(tldse::kNoc),
            A.level_reads(tldse::kRf),
            A.level_writes(tldse::kRf),
            A.reads[kDram][tldse::kWeight],
            A.reads[kDram][tldse::kInput],
            A.reads[kDram][tldse::kOutput],
            A.writes[kDram][tldse::kOutput],
            row.dram_bytes};
}

Row total_row(const std::vector<Row>& rows, const tldse::Arch& arch) {
    Row t{"total", 1, {}, 0};
    t.r.status = tldse::Status::ok;
    std::vector<double> sum(numbers(t).size(), 0.0);
    for (const auto& row : rows) {
        if (row.r.status != tldse::Status::ok) t.r.status = row.r.status;
        auto v = numbers(row);
        for (std::size_t i = 0; i < v.size(); ++i) sum[i] += v[i] * static_cast<double>(row.count);
    }
    // Rebuild a LayerResult-shaped view of the sums for printing.
    t.r.macs = sum[0];
    t.r.compute_cycles = sum[1];
    t.r.stall_cycles = sum[2];
    t.r.latency_cycles = sum[3];
    double layers_run = 0;
    for (const auto& row : rows) layers_run += static_cast<double>(row.count);
    t.r.utilization = sum[0] / ((sum[1] + layers_run) * static_cast<double>(arch.num_pes()));
    t.r.energy_pj = sum[5];
    t.r.accesses.reads[tldse::kDram] = {sum[13], sum[14], sum[15]};
    t.r.accesses.writes[tldse::kDram] = {0, 0, sum[16]};
    t.r.accesses.reads[tldse::kGlb] = {sum[8], 0, 0};
    t.r.accesses.writes[tldse::kGlb] = {sum[9], 0, 0};
    t.r.accesses.reads[tldse::kNoc] = {sum[10], 0, 0};
    t.r.accesses.reads[tldse::kRf] = {sum[11], 0, 0};
    t.r.accesses.writes[tldse::kRf] = {sum[12], 0, 0};
    t.dram_bytes = sum[17];
    return t;
}

void print_csv(const std::vector<Row>& rows) {
    for (std::size_t i = 0; i < kColumns.size(); ++i) std::cout << (i ? "," : "") << kColumns[i];
    std::cout << "\n";
    for (const auto& row : rows) {
        std::string name = row.name;
        if (name.find_first_of(",\"") != std::string::npos) {
            std::string q = "\"";
            for (char ch : name) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
            name = q + "\"";
        }
        std::cout << name << "," << row.count << "," << tldse::status_name(row.r.status);
        for (double v : numbers(row)) std::cout << "," << fmt_num(v);
        std::cout << "\n";
    }
}

void print_table(const std::vector<Row>& rows, const tldse::Arch& arch,
                 const tldse::EnergyTable& table) {
    std::cout << "tldse-sim: " << arch.pe_rows << "x" << arch.pe_cols << " "
              << tldse::dataflow_name(arch.dataflow) << ", GLB " << fmt_num(arch.glb_bytes)
              << " B, DRAM " << fmt_num(arch.dram_bw) << " B/cycle, " << arch.weight_bits << "/"
              << arch.act_bits << "/" << arch.psum_bits << "-bit, energy table " << table.name
              << ", area " << std::setprecision(4) << table.area_um2(arch) / 1e6 << " mm^2\n";
    const char* cols[] = {"layer", "count", "macs", "compute_cyc", "stall_cyc", "latency_cyc",
                          "util", "energy_pj", "dram_rd", "dram_wr", "status"};
    std::cout << std::left << std::setw(16) << cols[0] << std::right;
    for (int i = 1; i < 11; ++i) std::cout << std::setw(i == 10 ? 14 : 13) << cols[i];
    std::cout << "\n";
    auto print = [&](const Row& row) {
        auto v = numbers(row);
        std::ostringstream util;
        util << std::fixed << std::setprecision(3) << v[4];
        std::string shown = row.name.substr(0, 15);
        // Do not cut a UTF-8 character in half.
        while (!shown.empty() && shown.size() < row.name.size() &&
               (static_cast<unsigned char>(row.name[shown.size()]) & 0xC0) == 0x80) {
            shown.pop_back();
        }
        std::cout << std::left << std::setw(16) << shown << std::right
                  << std::setw(13) << row.count << std::setw(13) << fmt_num(v[0]) << std::setw(13)
                  << fmt_num(v[1]) << std::setw(13) << fmt_num(v[2]) << std::setw(13)
                  << fmt_num(v[3]) << std::setw(13) << (std::isnan(v[4]) ? "nan" : util.str())
                  << std::setw(13) << fmt_num(std::round(v[5])) << std::setw(13) << fmt_num(v[6])
                  << std::setw(13) << fmt_num(v[7]) << std::setw(14)
                  << tldse::status_name(row.r.status) << "\n";
    };
    for (const auto& row : rows) print(row);
    print(total_row(rows, arch));
}

void print_json(const std::vector<Row>& rows, const tldse::Arch& arch,
                const tldse::EnergyTable& table) {
    std::ostringstream o;
    o << "{\n  \"arch\": {";
    double cfg[tldse::kConfigWidth];
    arch.to_row(cfg);
    for (int i = 0; i < tldse::kConfigWidth; ++i) {
        o << (i ? ", " : "") << "\"" << tldse::kConfigColumns[static_cast<std::size_t>(i)] << "\": ";
        if (i == 0) o << "\"" << tldse::dataflow_name(arch.dataflow) << "\"";
        else o << json_num(cfg[i]);
    }
    o << "},\n  \"energy_table\": \"" << json_escape(table.name) << "\",\n  \"area_um2\": "
      << json_num(table.area_um2(arch)) << ",\n  \"layers\": [\n";
    auto emit = [&](const Row& row, bool detail) {
        o << "    {\"layer\": \"" << json_escape(row.name) << "\", \"count\": " << row.count
          << ", \"status\": \"" << tldse::status_name(row.r.status) << "\"";
        auto v = numbers(row);
        for (std::size_t i = 0; i < v.size(); ++i) {
            o << ", \"" << kColumns[i + 3] << "\": " << json_num(v[i]);
        }
        if (detail) {
            o << ", \"energy_breakdown_pj\": {\"mac\": " << json_num(row.r.mac_energy_pj)
              << ", \"leakage\": " << json_num(row.r.leakage_energy_pj);
            for (int l = 0; l < 4; ++l) {
                for (int t = 0; t < 3; ++t) {
                    o << ", \"" << tldse::kLevelNames[static_cast<std::size_t>(l)] << "_"
                      << tldse::kTensorNames[static_cast<std::size_t>(t)] << "\": "
                      << json_num(row.r.energy_level_tensor_pj[static_cast<std::size_t>(l)]
                                                              [static_cast<std::size_t>(t)]);
                }
            }
            o << "}";
        }
        o << "}";
    };
    for (std::size_t i = 0; i < rows.size(); ++i) {
        emit(rows[i], true);
        o << (i + 1 < rows.size() ? ",\n" : "\n");
    }
    o << "  ],\n  \"total\":\n";
    emit(total_row(rows, arch), false);
    o << "\n}\n";
    std::cout << o.str();
}

int run(int argc, char** argv) {
    std::string topology, config, arch_file, energy = "horowitz45", format = "table";
    std::vector<std::string> sets;
    auto value = [&](int& i, const std::string& flag) -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
        return argv[++i];
    };
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::cout << kUsage;
            return 0;
        } else if (a == "--topology") topology = value(i, a);
        else if (a == "--config") config = value(i, a);
        else if (a == "--arch") arch_file = value(i, a);
        else if (a == "--set") sets.push_back(value(i, a));
        else if (a == "--energy-table") energy = value(i, a);
        else if (a == "--format") format = value(i, a);
        else throw std::invalid_argument("unknown argument '" + a + "' (see --help)");
    }
    if (topology.empty()) throw std::invalid_argument("--topology is required (see --help)");
    if (!config.empty() && !arch_file.empty()) {
        throw std::invalid_argument("give either --config or --arch, not both");
    }
    if (format != "table" && format != "csv" && format != "json") {
        throw std::invalid_argument("--format must be table, csv or json, got '" + format + "'");
    }
    tldse::Arch arch;
    if (!config.empty()) arch = tldse::read_scalesim_config(config);
    if (!arch_file.empty()) arch = tldse::read_arch_file(arch_file, arch);
    for (const auto& s : sets) {
        const auto eq = s.find('=');
        if (eq == std::string::npos) throw std::invalid_argument("--set expects KEY=VALUE, got '" + s + "'");
        tldse::set_arch_field(arch, s.substr(0, eq), s.substr(eq + 1));
    }
    arch.validate();
    if (const char* why = arch.infeasibility()) {
        throw std::invalid_argument(std::string("infeasible architecture: ") + why);
    }
    if (arch.dataflow == tldse::Dataflow::rs) {
        throw std::invalid_argument("dataflow rs is not modelled yet (use ws, os or is)");
    }
    tldse::EnergyTable table;
    if (energy == "horowitz45" || energy == "default" || energy == "eyeriss") {
        table = tldse::EnergyTable::by_name(energy);
    } else {
        table = tldse::EnergyTable::from_file(energy);
    }
    const auto layers = tldse::read_topology(topology);
    std::vector<Row> rows;
    rows.reserve(layers.size());
    const tldse::GlbCapacity cap = tldse::GlbCapacity::of(arch);
    bool infeasible = false;
    for (const auto& nl : layers) {
        Row row{nl.name, nl.layer.count, tldse::evaluate_layer(arch, nl.layer, table), 0};
        row.dram_bytes = row.r.status == tldse::Status::ok ? cap.dram_bytes(row.r.tiling)
                                                           : std::nan("");
        infeasible |= row.r.status != tldse::Status::ok;
        rows.push_back(std::move(row));
    }
    if (format == "csv") print_csv(rows);
    else if (format == "json") print_json(rows, arch, table);
    else print_table(rows, arch, table);
    if (infeasible) {
        std::cerr << "tldse-sim: warning: some layers fit no tiling of the buffers "
                     "(status column)\n";
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "tldse-sim: error: " << e.what() << "\n";
        return 2;
    } catch (...) {
        std::cerr << "tldse-sim: error: unexpected failure\n";
        return 2;
    }
}
