// Setting up a run: presets, --set overrides (set_arch_field), the built-in networks and
// the report's network total.
#include <cmath>
#include <sstream>
#include <string>

#include "check.hpp"
#include "fixtures.hpp"
#include "tldse/batch.hpp"
#include "tldse/builtin_workloads.hpp"
#include "tldse/io.hpp"
#include "tldse/presets.hpp"
#include "tldse/report.hpp"

using namespace tldse;

TEST_CASE(presets_feasible) {
    CHECK_EQ(presets().size(), std::size_t{4});
    for (const auto& p : presets()) {
        SECTION(p.name);
        CHECK(p.arch.infeasibility() == nullptr);
        CHECK(!p.description.empty() && !p.source.empty());
        CHECK_EQ(preset(p.name).pe_rows, p.arch.pe_rows);
    }
    const Arch e = preset("EyeRiss");  // case-insensitive
    CHECK(e.dataflow == Dataflow::rs);
    CHECK_EQ(e.pe_rows * e.pe_cols, 168);
    CHECK_EQ(e.rf_bytes, 520.0);
    CHECK_THROWS(preset("tpu"), "unknown preset 'tpu'", "eyeriss", "tpu-v1", "nvdla", "shidiannao");
}

TEST_CASE(set_arch_field_every_field) {
    Arch a;
    set_arch_field(a, "dataflow", "RS");
    CHECK(a.dataflow == Dataflow::rs);
    set_arch_field(a, " PE_rows ", "12");
    CHECK_EQ(a.pe_rows, 12);
    set_arch_field(a, "pe_cols", "14");
    CHECK_EQ(a.pe_cols, 14);
    // Byte counts take whole numbers, bandwidths and the clock any number.
    const char* fields[] = {"rf_bytes",
                            "rf_input_bytes",
                            "rf_weight_bytes",
                            "rf_output_bytes",
                            "glb_bytes",
                            "glb_input_bytes",
                            "glb_weight_bytes",
                            "glb_output_bytes",
                            "dram_bw_bytes_per_cycle",
                            "glb_bw_bytes_per_cycle",
                            "clock_mhz"};
    double v = 1;
    for (const char* f : fields) {
        SECTION(f);
        const bool whole = std::string(f).find("_bytes") != std::string::npos &&
                           std::string(f).find("per_cycle") == std::string::npos;
        const double x = whole ? v : v + 0.5;
        set_arch_field(a, f, std::to_string(x));
        double row[kConfigWidth];
        a.to_row(row);
        int col = 0;
        while (std::string(kConfigColumns[static_cast<std::size_t>(col)]) != f) ++col;
        CHECK_EQ(row[col], x);
        if (whole) CHECK_THROWS(set_arch_field(a, f, "1.5"), f, "whole");
        CHECK_THROWS(set_arch_field(a, f, "-1"), f);
        CHECK_THROWS(set_arch_field(a, f, "lots"), f);
        v += 1;
    }
    for (const char* f : {"weight_bits", "act_bits", "psum_bits"}) {
        SECTION(f);
        set_arch_field(a, f, "16");
        CHECK_THROWS(set_arch_field(a, f, "8.5"), f, "whole");
    }
    CHECK_EQ(a.weight_bits + a.act_bits + a.psum_bits, 48);
    set_arch_field(a, "multicast", "off");
    CHECK(!a.multicast);
    set_arch_field(a, "multicast", "TRUE");
    CHECK(a.multicast);
    CHECK_THROWS(set_arch_field(a, "multicast", "maybe"), "multicast");
    CHECK_THROWS(set_arch_field(a, "dataflow", "xs"), "dataflow", "ws, os, is or rs");
    CHECK_THROWS(set_arch_field(a, "pe_count", "4"), "unknown architecture field 'pe_count'",
                 "glb_bytes");
    CHECK_THROWS(set_arch_field(a, "pe_rows", "4294967296"), "pe_rows");
}

TEST_CASE(builtin_networks) {
    const auto names = builtin_workload_names();
    CHECK_EQ(names.size(), std::size_t{9});
    CHECK_EQ(names.front(), std::string("alexnet"));
    for (const auto& name : names) {
        SECTION(name);
        const auto one = builtin_workload(name, 1), four = builtin_workload(name, 4);
        CHECK_EQ(one.size(), four.size());
        double macs1 = 0, macs4 = 0;
        for (std::size_t i = 0; i < one.size(); ++i) {
            macs1 += one[i].layer.macs() * static_cast<double>(one[i].layer.count);
            macs4 += four[i].layer.macs() * static_cast<double>(four[i].layer.count);
        }
        CHECK_EQ(macs4, 4 * macs1);  // every MAC scales with the batch
        CHECK(!builtin_workload_description(name).empty());
    }
    // Published MAC counts (the zoo's docstrings): ResNet-50 4.09 G, MobileNetV2 300 M.
    double macs = 0;
    for (const auto& nl : builtin_workload("resnet-50")) {
        macs += nl.layer.macs() * static_cast<double>(nl.layer.count);
    }
    CHECK(std::fabs(macs / 4.09e9 - 1) < 0.01);
    CHECK_THROWS(builtin_workload("lenet"), "unknown workload 'lenet'", "vit_b16");
    CHECK_THROWS(builtin_workload("alexnet", 0), "batch");
}

TEST_CASE(report_total) {
    Arch a = preset("nvdla");
    const auto layers = builtin_workload("alexnet", 2);
    const Report rep = make_report(a, EnergyTable{}, layers, {}, "alexnet");
    CHECK(rep.all_ok());
    std::ostringstream csv;
    write_csv(csv, rep);
    std::string line;
    std::istringstream in(csv.str());
    std::getline(in, line);
    CHECK_EQ(line.substr(0, 30), std::string("layer,count,status,bound,macs,"));
    int rows = 0;
    while (std::getline(in, line)) ++rows;
    CHECK_EQ(rows, 9);  // 8 layers and the total
    // The table's total row is the batch API's per-network reduction.
    std::vector<Layer> plain;
    for (const auto& nl : layers) plain.push_back(nl.layer);
    std::vector<double> values(kNumResultFields);
    std::int32_t status = -1;
    double area = 0;
    evaluate_batch_into({a}, plain, EnergyTable{}, 1, true, {values.data(), &status, &area});
    NetworkTotals t;
    for (const auto& row : rep.rows) t.add(row.result, static_cast<double>(row.layer.count));
    double v[kNumResultFields];
    t.finish(a, v);
    for (int f = 0; f < kNumResultFields; ++f) CHECK_EQ(v[f], values[static_cast<std::size_t>(f)]);
    CHECK_EQ(status, 0);
}
