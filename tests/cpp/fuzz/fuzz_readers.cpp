#include "fuzz_readers.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "tldse/energy_table.hpp"
#include "tldse/io.hpp"
#include "tldse/presets.hpp"
#include "tldse/report.hpp"

namespace tldse_fuzz {

namespace {

using namespace tldse;

const char* const kName = "fuzz-input";

[[noreturn]] void broken(const std::string& what) {
    std::fprintf(stderr, "fuzz: broken invariant: %s\n", printable(what).c_str());
    std::abort();
}

void require(bool ok, const std::string& what) {
    if (!ok) broken(what);
}

// Every name and message the readers produce is inert, valid UTF-8.
void require_printable(const std::string& s, const char* what) {
    require(printable(s) == s, std::string(what) + " is not printable: " + s);
}

// The designs every parsed workload runs on: systolic, Eyeriss-like rs, a large rs array.
std::vector<Arch> designs() {
    Arch rs_large = preset("eyeriss");
    rs_large.pe_rows = rs_large.pe_cols = 256;
    return {Arch{}, preset("eyeriss"), rs_large};
}

// A small workload for designs and energy tables read from the input.
std::vector<NamedLayer> small_workload() {
    Layer conv;
    conv.k = 16;
    conv.c = 8;
    conv.p = conv.q = 7;
    conv.r = conv.s = 3;
    conv.pad_h = conv.pad_w = 1;
    return {{"conv", conv}, {"fc", Layer::gemm(4, 10, 32)}};
}

// Evaluates `layers` on `arch` and runs every writer; checks the report's shape.
void report_on(const Arch& arch, const EnergyTable& table, const std::vector<NamedLayer>& layers) {
    for (MapperOptions m :
         {MapperOptions{}, MapperOptions{Objective::latency, MapperMode::heuristic}}) {
        const Report rep = make_report(arch, table, layers, m, kName);
        const auto lines = report_lines(rep);
        require(lines.size() == layers.size() + 1, "one line per layer and the total");
        for (const auto& line : lines) {
            require(line.num.size() == report_schema().size(), "a value per column");
            for (const auto& t : line.text) require_printable(t, "a report cell");
        }
        std::ostringstream sink;
        write_csv(sink, rep);
        write_json(sink, rep);
        write_table(sink, rep, true);
        std::istringstream text(sink.str());
        for (std::string line; std::getline(text, line);) require_printable(line, "a report line");
    }
}

void run(Kind kind, const std::string& text) {
    std::istringstream in(text);
    switch (kind) {
        case Kind::topology: {
            std::vector<std::string> warnings;
            TopologyFormat fmt{};
            auto layers = read_topology(in, kName, &fmt, &warnings);
            require(!layers.empty(), "a topology has layers");
            for (const auto& nl : layers) {
                require_printable(nl.name, "a layer name");
                require(!nl.name.empty(), "a layer has a name");
                nl.layer.validate();  // throws nothing for what the reader accepted
            }
            for (const auto& w : warnings) require_printable(w, "a warning");
            if (layers.size() > 8) layers.resize(8);  // bounded work per input
            for (const Arch& a : designs()) report_on(a, EnergyTable{}, layers);
            break;
        }
        case Kind::cfg: {
            const ScaleSimConfig cfg = read_scalesim_config(in, kName);
            cfg.arch.validate();
            require(cfg.arch.dataflow != Dataflow::rs, "SCALE-Sim has no rs");
            require(cfg.calc_bandwidth == (cfg.arch.dram_bw == kUnlimitedDramBw),
                    "CALC is no DRAM limit");
            for (const auto& w : cfg.warnings) require_printable(w, "a warning");
            report_on(cfg.arch, EnergyTable{}, small_workload());
            break;
        }
        case Kind::arch: {
            const Arch a = read_arch_file(in, kName, Arch{});
            a.validate();
            report_on(a, EnergyTable{}, small_workload());
            break;
        }
        case Kind::energy: {
            const EnergyTable table = EnergyTable::from_stream(in, kName);
            table.validate();
            for (const Arch& a : designs()) report_on(a, table, small_workload());
            break;
        }
    }
}

}  // namespace

void fuzz_one(Kind kind, const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        run(kind, text);
    } catch (const std::invalid_argument& e) {
        // A rejected input: one message that names the input and is valid text.
        const std::string msg = e.what();
        require_printable(msg, "an error message");
        require(msg.rfind(kName, 0) == 0, "the error names the input: " + msg);
    }
    // Any other exception escapes: std::terminate, a crash for the fuzzer.
}

}  // namespace tldse_fuzz

#ifdef TLDSE_FUZZ_TARGET
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tldse_fuzz::fuzz_one(static_cast<tldse_fuzz::Kind>(TLDSE_FUZZ_TARGET), data, size);
    return 0;
}
#endif
