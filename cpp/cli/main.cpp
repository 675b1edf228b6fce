// tldse-sim: parse arguments -> read files -> evaluate every layer -> table / CSV / JSON.
#include <cctype>
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
#include "tldse/builtin_workloads.hpp"
#include "tldse/cost_model.hpp"
#include "tldse/energy_table.hpp"
#include "tldse/io.hpp"
#include "tldse/presets.hpp"

namespace {

const char* kUsage = R"(usage: tldse-sim (--workload NAME | --topology FILE)
                 [--preset NAME | --config FILE.cfg | --arch FILE] [options]
       tldse-sim --list-presets | --list-workloads

Evaluates every layer of a workload on one accelerator design with the tldse analytical
model and prints one row per layer.

workload (exactly one):
  --workload NAME     a built-in network (see --list-workloads): alexnet, alexnet-conv,
                      vgg16, resnet18, resnet50; the same layer tables as the Python
                      zoo (tldse.workloads.get). Case, '-' and '_' are ignored.
  --topology FILE     a SCALE-Sim conv topology (header 'Layer name, IFMAP Height, IFMAP
                      Width, Filter Height, Filter Width, Channels, Num Filter,
                      Strides'), a SCALE-Sim GEMM topology ('Layer, M, N, K'), or a tldse
                      layer CSV (columns name, kind, n, k, c, p, q, r, s, stride_h,
                      stride_w, pad_h, pad_w, dil_h, dil_w, groups, count)
  --batch N           batch size (N >= 1): with --workload, the network at batch N
                      (default 1); with --topology, sets n of every layer (default: as
                      in the file)

architecture (at most one base; default 16x16 ws, 64 B RF, 128 KiB GLB, 16 B/cycle
DRAM, 256 B/cycle GLB, 8/8/32-bit, 1 GHz):
  --preset NAME       a published design (see --list-presets): eyeriss, tpu-v1, nvdla,
                      shidiannao; every number and its source is in docs/presets.md
  --config FILE       a SCALE-Sim .cfg: [architecture_presets] ArrayHeight, ArrayWidth,
                      IfmapSramSzkB, FilterSramSzkB, OfmapSramSzkB, Dataflow, Bandwidth
                      (words/cycle). Words are 8 bits; the three SRAMs become the three
                      global-buffer partitions.
  --arch FILE         a tldse architecture file: 'key = value' lines with the keys of
                      --set below (unset keys keep their defaults)
  --set KEY=VALUE     override one field of the base (repeatable; applied after
                      --preset/--config/--arch): dataflow (ws|os|is|rs), pe_rows,
                      pe_cols, rf_bytes, rf_input_bytes, rf_weight_bytes,
                      rf_output_bytes, glb_bytes, glb_input_bytes, glb_weight_bytes,
                      glb_output_bytes, dram_bw_bytes_per_cycle, glb_bw_bytes_per_cycle,
                      multicast, weight_bits, act_bits, psum_bits, clock_mhz
  --energy-table T    horowitz45 (default: 45 nm, Horowitz ISSCC 2014), eyeriss
                      (normalised MAC 1, RF 1, NoC 2, buffer 6, DRAM 200), or a file of
                      'key = value' lines overriding horowitz45 entries

mapper:
  --objective O       what the mapper minimises per layer: latency, energy or edp
                      (default edp, energy x delay)
  --mapper M          heuristic (default) or exhaustive search over the mappings

output:
  --format F          table (default), csv or json
  --list-presets      print the presets (name, description, source) and exit
  --list-workloads    print the built-in workloads and exit
  -h, --help          show this help

columns (one row per layer; counts are element accesses, summed over all tensors):
  layer, count, status (ok, invalid_config, does_not_fit, unsupported), macs,
  compute_cycles (array fill/drain included; equals SCALE-Sim v2's total cycles for
  ws/os/is), stall_cycles (latency - compute),
  latency_cycles = max(compute, ceil(DRAM bytes / DRAM bandwidth),
  ceil(GLB bytes / GLB bandwidth)),
  utilization = macs / ((compute_cycles + 1) x PEs), energy_pj, dram_reads, dram_writes,
  glb_reads, glb_writes, noc_transfers, rf_reads, rf_writes, dram_weight_reads,
  dram_input_reads, dram_output_reads, dram_output_writes, dram_bytes.
  json adds the architecture, the preset, the mapper options, the area and
  per-level/per-tensor energy.
  Per-layer values are for one occurrence; the total row weights each layer by its count.

examples:
  tldse-sim --preset eyeriss --workload alexnet --batch 4
  tldse-sim --preset tpu-v1 --set glb_bytes=8388608 --workload resnet50 --format csv
  tldse-sim --config scale.cfg --topology layers.csv --objective latency

exit status: 0 on success (a layer that is infeasible or not modelled on the design is
reported with a non-ok status), 2 on bad arguments or malformed input files.
)";

// What was asked for, echoed in the table header and the JSON output.
struct Setup {
    std::string preset;    // "" when no --preset
    std::string workload;  // the --workload name or the --topology path
    tldse::MapperOptions mapper;
};

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
    double busy = 0;  // per layer: see tldse::busy_cycles
    for (const auto& row : rows) {
        busy += static_cast<double>(row.count) * tldse::busy_cycles(arch, row.r.compute_cycles);
    }
    t.r.utilization = sum[0] / (busy * static_cast<double>(arch.num_pes()));
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
                 const tldse::EnergyTable& table, const Setup& setup) {
    std::cout << "tldse-sim: " << tldse::printable(setup.workload) << " on ";
    if (!setup.preset.empty()) std::cout << "preset " << setup.preset << ", ";
    std::cout << arch.pe_rows << "x" << arch.pe_cols << " "
              << tldse::dataflow_name(arch.dataflow) << ", GLB " << fmt_num(arch.glb_bytes)
              << " B, DRAM " << fmt_num(arch.dram_bw) << " B/cycle, " << arch.weight_bits << "/"
              << arch.act_bits << "/" << arch.psum_bits << "-bit, " << fmt_num(arch.clock_mhz)
              << " MHz, energy table " << table.name << ", area " << std::setprecision(4)
              << table.area_um2(arch) / 1e6 << " mm^2, mapper "
              << tldse::mapper_mode_name(setup.mapper.mode) << "/"
              << tldse::objective_name(setup.mapper.objective) << "\n";
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
                const tldse::EnergyTable& table, const Setup& setup) {
    std::ostringstream o;
    o << "{\n  \"workload\": \"" << json_escape(setup.workload) << "\",\n  \"preset\": ";
    if (setup.preset.empty()) o << "null";
    else o << "\"" << json_escape(setup.preset) << "\"";
    o << ",\n  \"mapper\": {\"objective\": \"" << tldse::objective_name(setup.mapper.objective)
      << "\", \"mode\": \"" << tldse::mapper_mode_name(setup.mapper.mode) << "\"},\n  \"arch\": {";
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

std::int64_t parse_batch(const std::string& text) {
    const bool digits = !text.empty() && text.size() <= 10 &&
                        text.find_first_not_of("0123456789") == std::string::npos;
    const long long v = digits ? std::stoll(text) : 0;
    if (v < 1 || v >= 2147483648LL) {
        throw std::invalid_argument("--batch must be a whole number in [1, 2^31), got '" +
                                    tldse::printable(text) + "'");
    }
    return static_cast<std::int64_t>(v);
}

void list_presets() {
    for (const auto& p : tldse::presets()) {
        std::cout << std::left << std::setw(12) << p.name << p.description << "\n"
                  << std::setw(12) << "" << "source: " << p.source << "\n";
    }
}

void list_workloads() {
    for (const auto& name : tldse::builtin_workload_names()) {
        const auto layers = tldse::builtin_workload(name, 1);
        double macs = 0;
        for (const auto& nl : layers) {
            macs += nl.layer.macs() * static_cast<double>(nl.layer.count);
        }
        std::ostringstream m;
        m << std::fixed << std::setprecision(1) << macs / 1e6;
        std::cout << std::left << std::setw(14) << name << std::right << std::setw(4)
                  << layers.size() << " layers, " << m.str() << " MMACs at batch 1\n";
    }
}

int run(int argc, char** argv) {
    std::string topology, workload, preset, config, arch_file, batch_text;
    std::string energy = "horowitz45", format = "table", objective, mapper;
    bool want_presets = false, want_workloads = false;
    std::vector<std::string> sets;
    auto value = [&](int& i, const std::string& flag) -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
        return argv[++i];
    };
    // A flag given twice is an error rather than a silent last-one-wins.
    auto once = [&](int& i, const std::string& flag, std::string& slot) {
        const std::string v = value(i, flag);
        if (!slot.empty()) throw std::invalid_argument(flag + " given more than once");
        if (v.empty()) throw std::invalid_argument(flag + " needs a non-empty value");
        slot = v;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::cout << kUsage;
            return 0;
        } else if (a == "--topology") once(i, a, topology);
        else if (a == "--workload") once(i, a, workload);
        else if (a == "--batch") once(i, a, batch_text);
        else if (a == "--preset") once(i, a, preset);
        else if (a == "--config") once(i, a, config);
        else if (a == "--arch") once(i, a, arch_file);
        else if (a == "--set") sets.push_back(value(i, a));
        else if (a == "--energy-table") energy = value(i, a);
        else if (a == "--format") format = value(i, a);
        else if (a == "--objective") once(i, a, objective);
        else if (a == "--mapper") once(i, a, mapper);
        else if (a == "--list-presets") want_presets = true;
        else if (a == "--list-workloads") want_workloads = true;
        else {
            throw std::invalid_argument("unknown argument '" + tldse::printable(a) +
                                        "' (see --help)");
        }
    }
    if (want_presets || want_workloads) {
        if (want_presets) list_presets();
        if (want_workloads) list_workloads();
        return 0;
    }
    if (!topology.empty() && !workload.empty()) {
        throw std::invalid_argument("give either --workload or --topology, not both");
    }
    if (topology.empty() && workload.empty()) {
        throw std::invalid_argument("give --workload NAME or --topology FILE (see --help)");
    }
    std::string bases;  // the base-architecture flags given
    int n_bases = 0;
    for (auto [flag, v] : {std::pair<const char*, const std::string*>{"--preset", &preset},
                           {"--config", &config},
                           {"--arch", &arch_file}}) {
        if (v->empty()) continue;
        bases += std::string(n_bases++ ? " and " : "") + flag;
    }
    if (n_bases > 1) {
        throw std::invalid_argument("give at most one of --preset, --config, --arch (got " +
                                    bases + ")");
    }
    if (format != "table" && format != "csv" && format != "json") {
        throw std::invalid_argument("--format must be table, csv or json, got '" +
                                    tldse::printable(format) + "'");
    }
    Setup setup;
    if (!objective.empty()) setup.mapper.objective = tldse::parse_objective(objective);
    if (!mapper.empty()) setup.mapper.mode = tldse::parse_mapper_mode(mapper);
    const std::int64_t batch = batch_text.empty() ? 0 : parse_batch(batch_text);

    // The design: a base (default, preset, SCALE-Sim config or arch file), then --set.
    tldse::Arch arch;
    if (!preset.empty()) {
        arch = tldse::preset(preset);
        for (char& ch : preset) {
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        setup.preset = preset;
    }
    if (!config.empty()) arch = tldse::read_scalesim_config(config);
    if (!arch_file.empty()) arch = tldse::read_arch_file(arch_file, arch);
    for (const auto& s : sets) {
        const auto eq = s.find('=');
        if (eq == std::string::npos) {
            throw std::invalid_argument("--set expects KEY=VALUE, got '" + tldse::printable(s) +
                                        "'");
        }
        tldse::set_arch_field(arch, s.substr(0, eq), s.substr(eq + 1));
    }
    arch.validate();
    if (const char* why = arch.infeasibility()) {
        throw std::invalid_argument(std::string("infeasible architecture: ") + why);
    }
    tldse::EnergyTable table;
    if (energy == "horowitz45" || energy == "default" || energy == "eyeriss") {
        table = tldse::EnergyTable::by_name(energy);
    } else {
        table = tldse::EnergyTable::from_file(energy);
    }

    // The workload: a built-in network or a topology file.
    std::vector<tldse::NamedLayer> layers;
    if (!workload.empty()) {
        layers = tldse::builtin_workload(workload, batch > 0 ? batch : 1);
        setup.workload = workload;
    } else {
        layers = tldse::read_topology(topology);
        setup.workload = topology;
        if (batch > 0) {
            for (auto& nl : layers) {
                nl.layer.n = batch;
                try {
                    nl.layer.validate();
                } catch (const std::invalid_argument& e) {
                    throw std::invalid_argument("--batch " + std::to_string(batch) + ": layer '" +
                                                nl.name + "': " + e.what());
                }
            }
        }
    }

    std::vector<Row> rows;
    rows.reserve(layers.size());
    const tldse::GlbCapacity cap = tldse::GlbCapacity::of(arch);
    bool not_ok = false;
    for (const auto& nl : layers) {
        Row row{nl.name, nl.layer.count,
                tldse::evaluate_layer(arch, nl.layer, table, setup.mapper), 0};
        row.dram_bytes = row.r.status == tldse::Status::ok ? cap.dram_bytes(row.r.tiling)
                                                           : std::nan("");
        not_ok |= row.r.status != tldse::Status::ok;
        rows.push_back(std::move(row));
    }
    if (format == "csv") print_csv(rows);
    else if (format == "json") print_json(rows, arch, table, setup);
    else print_table(rows, arch, table, setup);
    if (not_ok) {
        std::cerr << "tldse-sim: warning: some layers have no result on this design "
                     "(does_not_fit or unsupported; see the status column)\n";
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
