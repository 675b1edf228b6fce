// tldse-sim: parse arguments -> read files -> evaluate every layer -> table / CSV / JSON.
#include <cctype>
#include <exception>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tldse/arch.hpp"
#include "tldse/builtin_workloads.hpp"
#include "tldse/energy_table.hpp"
#include "tldse/io.hpp"
#include "tldse/mapper.hpp"
#include "tldse/presets.hpp"
#include "tldse/report.hpp"

namespace {

const char* kUsageTemplate = R"(usage: tldse-sim (--workload NAME | --topology FILE)
                 [--preset NAME | --config FILE.cfg | --arch FILE] [options]
       tldse-sim --list-presets | --list-workloads

Evaluates every layer of a workload on one accelerator design with the tldse analytical
model and prints one row per layer.

workload (exactly one):
  --workload NAME     a built-in network (see --list-workloads): alexnet,
                      bert_base, efficientnet_b0, gpt2, mobilenet_v2, resnet18,
                      resnet50, vgg16, vit_b16: the Python zoo's networks at their
                      default options (tldse.workloads.get). Case, '-' and '_' are
                      ignored.
  --topology FILE     a SCALE-Sim conv topology (header 'Layer name, IFMAP Height, IFMAP
                      Width, Filter Height, Filter Width, Channels, Num Filter,
                      Strides'), a SCALE-Sim GEMM topology ('Layer, M, N, K'), or a
                      tldse layer CSV (columns name, kind, n, k, c, p, q, r, s,
                      stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups, count);
                      SCALE-Sim's all-empty rows are skipped, 'DP' rows are depthwise
  --batch N           batch size (N >= 1): with --workload, the network at batch N
                      (default 1); with --topology, sets n of every layer (default: as
                      in the file)

architecture (at most one base; default 16x16 ws, 64 B RF, 128 KiB GLB, 16 B/cycle
DRAM, 256 B/cycle GLB, 8/8/32-bit, 1 GHz):
  --preset NAME       a published design (see --list-presets): eyeriss, tpu-v1, nvdla,
                      shidiannao; every number and its source is in docs/presets.md
  --config FILE       a SCALE-Sim v2 or v3 .cfg: [architecture_presets] ArrayHeight,
                      ArrayWidth, IfmapSramSzkB, FilterSramSzkB, OfmapSramSzkB,
                      Dataflow, Bandwidth (words/cycle), v3's [layout] bank bandwidths,
                      [run_presets] InterfaceBandwidth (CALC: no DRAM limit). Words are
                      8 bits; the three SRAMs become the three global-buffer
                      partitions; SCALE-Sim's per-buffer DRAM ports become one shared
                      port (a warning says so; docs/model.md, "SCALE-Sim files").
  --arch FILE         a tldse architecture file: 'key = value' lines with the keys of
                      --set below (unset keys keep their defaults)
  --set KEY=VALUE     override one field of the base (repeatable; applied after
                      --preset/--config/--arch): @FIELDS@
  --energy-table T    horowitz45 (default: 45 nm, Horowitz ISSCC 2014), eyeriss
                      (normalised MAC 1, RF 1, NoC 2, buffer 6, DRAM 200), or a file of
                      'key = value' lines overriding horowitz45 entries

mapper:
  --objective O       what the mapper minimises per layer: latency, energy or edp
                      (default edp, energy x delay)
  --mapper M          heuristic (default) or exhaustive search over the mappings

output:
  --format F          table (default), csv or json: the same columns as tldse simulate
                      --format and tldse.simulate(...).to_pandas()
  --mapping           with the table, print each layer's mapping as a loop nest
  --reports DIR       also write SCALE-Sim's COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv
                      and DETAILED_ACCESS_REPORT.csv (its column names, tldse's numbers)
  --list-presets      print the presets (name, description, source) and exit
  --list-workloads    print the built-in workloads and exit
  -h, --help          show this help

columns (docs/model.md, "The report"; one row per layer, then the total):
  layer, count, status (ok, invalid_config, does_not_fit, nonfinite_area,
  nonfinite_latency, nonfinite_energy), bound (compute, dram or glb: the largest term
  of latency_cycles = max(compute_cycles, dram_cycles, glb_cycles)), macs,
  latency_cycles, compute_cycles (array fill/drain included; equals SCALE-Sim's total
  cycles for ws/os/is), stall_cycles (latency - compute) and by cause
  (dram_stall_cycles, glb_stall_cycles), dram_cycles, glb_cycles, utilization,
  mapping_efficiency, latency_share; energy_pj, energy_share and by level (mac_, rf_,
  noc_, glb_, dram_, leakage_energy_pj), by tensor (weight_, input_, output_energy_pj)
  and by both (dram_weight_pj, ...); accesses in elements by level (dram_reads, ...)
  and by level and tensor (dram_weight_reads, ...); dram_bytes by tensor; the design's
  area by component (area_um2, mac_, rf_, noc_, glb_area_um2); the mapping (GLB tile
  sizes and trips, loop_order, the rs mapping and shape, and the loop nest as text).
  Per-layer values are for one occurrence; the total row weights each layer by its
  count. json adds the architecture, the preset it equals, the mapper options and the
  area breakdown.

examples:
  tldse-sim --preset eyeriss --workload alexnet --batch 4
  tldse-sim --preset tpu-v1 --set glb_bytes=8388608 --workload resnet50 --format csv
  tldse-sim --config scale.cfg --topology layers.csv --objective latency

exit status: 0 on success (a layer that is infeasible or not modelled on the design is
reported with a non-ok status), 2 on bad arguments or malformed input files.
)";

// The usage text with the --set keys from the schema (dataflow also as ws|os|is|rs).
std::string usage() {
    std::string text = kUsageTemplate, fields, line;
    const std::string indent(22, ' ');
    std::size_t width = std::string("--preset/--config/--arch): ").size() + 22;
    for (std::size_t i = 0; i < tldse::kConfigColumns.size(); ++i) {
        std::string item = tldse::kConfigColumns[i];
        if (item == "dataflow") item += " (ws|os|is|rs)";
        item += i + 1 < tldse::kConfigColumns.size() ? "," : "";
        if (width + item.size() + 1 > 88) {
            fields += "\n" + indent;
            width = indent.size();
        } else if (i > 0) {
            fields += " ";
            ++width;
        }
        fields += item;
        width += item.size();
    }
    return text.replace(text.find("@FIELDS@"), 8, fields);
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

int run(int argc, char** argv) {
    std::string topology, workload, preset, config, arch_file, batch_text;
    std::string energy = "horowitz45", format = "table", objective, mapper, reports_dir;
    bool want_presets = false, want_workloads = false, show_mapping = false;
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
            std::cout << usage();
            return 0;
        } else if (a == "--topology")
            once(i, a, topology);
        else if (a == "--workload")
            once(i, a, workload);
        else if (a == "--batch")
            once(i, a, batch_text);
        else if (a == "--preset")
            once(i, a, preset);
        else if (a == "--config")
            once(i, a, config);
        else if (a == "--arch")
            once(i, a, arch_file);
        else if (a == "--set")
            sets.push_back(value(i, a));
        else if (a == "--energy-table")
            energy = value(i, a);
        else if (a == "--format")
            format = value(i, a);
        else if (a == "--objective")
            once(i, a, objective);
        else if (a == "--mapper")
            once(i, a, mapper);
        else if (a == "--reports")
            once(i, a, reports_dir);
        else if (a == "--mapping")
            show_mapping = true;
        else if (a == "--list-presets")
            want_presets = true;
        else if (a == "--list-workloads")
            want_workloads = true;
        else {
            throw std::invalid_argument("unknown argument '" + tldse::printable(a) +
                                        "' (see --help)");
        }
    }
    if (want_presets || want_workloads) {
        if (want_presets) tldse::write_preset_list(std::cout);
        if (want_workloads) tldse::write_workload_list(std::cout);
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
        throw std::invalid_argument("give at most one of --preset, --config, --arch (got " + bases +
                                    ")");
    }
    if (format != "table" && format != "csv" && format != "json") {
        throw std::invalid_argument("--format must be table, csv or json, got '" +
                                    tldse::printable(format) + "'");
    }
    tldse::MapperOptions mapper_opts;
    if (!objective.empty()) mapper_opts.objective = tldse::parse_objective(objective);
    if (!mapper.empty()) mapper_opts.mode = tldse::parse_mapper_mode(mapper);
    const std::int64_t batch = batch_text.empty() ? 0 : parse_batch(batch_text);

    // The design: a base (default, preset, SCALE-Sim config or arch file), then --set.
    tldse::Arch arch;
    if (!preset.empty()) {
        arch = tldse::preset(preset);
    }
    std::vector<std::string> warnings;  // where tldse reads a SCALE-Sim file differently
    if (!config.empty()) {
        tldse::ScaleSimConfig cfg = tldse::read_scalesim_config(config);
        arch = cfg.arch;
        warnings.insert(warnings.end(), cfg.warnings.begin(), cfg.warnings.end());
    }
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
    } else {
        layers = tldse::read_topology(topology, nullptr, &warnings);
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

    for (const auto& w : warnings) std::cerr << "tldse-sim: warning: " << w << "\n";
    const tldse::Report report = tldse::make_report(arch, table, layers, mapper_opts,
                                                    workload.empty() ? topology : workload);
    if (format == "csv")
        tldse::write_csv(std::cout, report);
    else if (format == "json")
        tldse::write_json(std::cout, report);
    else
        tldse::write_table(std::cout, report, show_mapping);
    if (!reports_dir.empty()) {
        for (const auto& path : tldse::write_scalesim_reports(reports_dir, report)) {
            std::cerr << "tldse-sim: wrote " << tldse::printable(path) << "\n";
        }
    }
    if (!report.all_ok()) {  // how many layers failed, by status
        std::map<std::string, int> failed;
        for (const auto& row : report.rows) {
            if (row.result.status != tldse::Status::ok)
                ++failed[tldse::status_name(row.result.status)];
        }
        std::string what;
        for (const auto& [name, n] : failed) {
            what += (what.empty() ? "" : ", ") + std::to_string(n) + " " + name;
        }
        std::cerr << "tldse-sim: warning: some layers have no result on this design (" << what
                  << "; see the status column)\n";
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "tldse-sim: error: " << tldse::printable(e.what()) << "\n";
        return 2;
    } catch (...) {
        std::cerr << "tldse-sim: error: unexpected failure\n";
        return 2;
    }
}
