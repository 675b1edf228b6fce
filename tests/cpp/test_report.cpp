// The report (report.hpp): its schema, the total row, number formatting, the mapping
// text and SCALE-Sim's report files, against hand-computed values and the batch API.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "tldse/batch.hpp"
#include "tldse/builtin_workloads.hpp"
#include "tldse/presets.hpp"
#include "tldse/report.hpp"

#include "check.hpp"
#include "fixtures.hpp"

using namespace tldse;

namespace {

std::size_t col(const char* name) {
    const int i = report_column_index(name);
    CHECK(i >= 0);
    return static_cast<std::size_t>(i);
}

}  // namespace

TEST_CASE(report_schema_columns) {
    const auto& s = report_schema();
    CHECK_EQ(s.size(), std::size_t{95});
    CHECK_EQ(s.front().name, std::string("layer"));
    CHECK_EQ(s.back().name, std::string("mapping"));
    for (std::size_t i = 0; i < s.size(); ++i) {
        SECTION(s[i].name);
        CHECK(!s[i].doc.empty());
        CHECK_EQ(report_column_index(s[i].name), static_cast<int>(i));  // names unique
    }
    CHECK(s[col("dram_weight_pj")].kind == ColumnKind::sum);
    CHECK(s[col("utilization")].kind == ColumnKind::ratio);
    CHECK(s[col("glb_area_um2")].kind == ColumnKind::design);
    CHECK(s[col("rs_p")].kind == ColumnKind::mapping);
    CHECK_EQ(report_column_index("nope"), -1);
}

TEST_CASE(format_number_cases) {
    CHECK_EQ(format_number(391), std::string("391"));
    CHECK_EQ(format_number(-0.0), std::string("0"));
    CHECK_EQ(format_number(1e15), std::string("1000000000000000"));
    CHECK_EQ(format_number(0.23), std::string("0.23"));
    CHECK_EQ(format_number(9007199254740992.0), std::string("9007199254740992"));
    CHECK_EQ(format_number(1.5e300), std::string("1.5e+300"));
    CHECK_EQ(format_number(std::nan("")), std::string("nan"));
    // shortest text that reads back to the same double
    for (double v : {0.1 + 0.2, 1.0 / 3.0, 29560586.240000002, 6.02214076e23}) {
        CHECK_EQ(std::stod(format_number(v)), v);
    }
}

TEST_CASE(report_total_row) {
    const Arch arch = preset("eyeriss");
    const auto layers = builtin_workload("alexnet", 1);
    const Report rep = make_report(arch, EnergyTable{}, layers, {}, "alexnet");
    CHECK_EQ(rep.preset(), std::string("eyeriss"));
    const auto lines = report_lines(rep);
    CHECK_EQ(lines.size(), layers.size() + 1);
    const ReportLine& total = lines.back();
    CHECK_EQ(total.text[col("layer")], std::string("total"));
    CHECK_EQ(total.text[col("status")], std::string("ok"));
    // sum columns: count-weighted sums; shares: 1; the design's area on every row
    double energy = 0, shares = 0, macs = 0;
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
        const double n = lines[i].num[col("count")];
        energy += n * lines[i].num[col("dram_weight_pj")];
        shares += lines[i].num[col("latency_share")];
        macs += n * lines[i].num[col("macs")];
        CHECK_EQ(lines[i].num[col("area_um2")], EnergyTable{}.area_um2(arch));
        CHECK(!lines[i].text[col("mapping")].empty());
    }
    CHECK_NEAR(total.num[col("dram_weight_pj")], energy);
    CHECK_NEAR(shares, 1.0);
    CHECK_EQ(total.num[col("macs")], macs);
    CHECK_EQ(total.num[col("latency_share")], 1.0);
    CHECK(std::isnan(total.num[col("rs_p")]));
    // the area breakdown adds up
    const auto area = EnergyTable{}.area_breakdown_um2(arch);
    CHECK_NEAR(area.mac + area.rf + area.noc + area.glb, EnergyTable{}.area_um2(arch));
    // A design where a layer does not fit: the total is NaN but MACs, and names the status.
    Arch tiny = arch;
    tiny.glb_bytes = 64;
    const auto bad = report_lines(make_report(tiny, EnergyTable{}, layers, {}, "alexnet"));
    CHECK_EQ(bad.back().text[col("status")], std::string("does_not_fit"));
    CHECK(std::isnan(bad.back().num[col("energy_pj")]));
    CHECK_EQ(bad.back().num[col("macs")], macs);
    CHECK(bad.back().text[col("bound")].empty());
}

TEST_CASE(report_lines_batch_equals_single) {
    const auto layers = builtin_workload("resnet18", 1);
    std::vector<Arch> archs = {Arch{}, preset("eyeriss"), preset("tpu-v1"), preset("shidiannao")};
    const auto batch = report_lines_batch(archs, EnergyTable{}, layers, {}, 2);
    CHECK_EQ(batch.size(), archs.size());
    for (std::size_t d = 0; d < archs.size(); ++d) {
        const auto one = report_lines(make_report(archs[d], EnergyTable{}, layers, {}, ""));
        CHECK_EQ(batch[d].size(), one.size());
        for (std::size_t i = 0; i < one.size(); ++i) {
            CHECK(batch[d][i].text == one[i].text);
            for (std::size_t c = 0; c < one[i].num.size(); ++c) {
                const double a = batch[d][i].num[c], b = one[i].num[c];
                CHECK(a == b || (std::isnan(a) && std::isnan(b)));
            }
        }
    }
    CHECK_THROWS(report_lines_batch(archs, EnergyTable{}, layers, {}, -1), "threads");
}

TEST_CASE(mapping_efficiency_and_text) {
    // os on 32x32, 64 pixels x 40 filters (a 10x10 input, 3x3 filter, 4 channels):
    // 64 x 40 / (2 x 32 x 2 x 32) = 0.625, SCALE-Sim 3.0.0's "Mapping Efficiency" 62.5.
    Arch a;
    a.dataflow = Dataflow::os;
    a.pe_rows = a.pe_cols = 32;
    a.glb_bytes = 1 << 20;
    const Layer L = fixtures::conv(1, 40, 4, 8, 8, 3, 3);
    const Report rep = make_report(a, EnergyTable{}, {{"c1", L}}, {}, "t");
    const auto lines = report_lines(rep);
    CHECK_EQ(lines[0].num[col("mapping_efficiency")], 0.625);
    CHECK_EQ(lines[0].num[col("compute_cycles")], 391.0);  // 4 x (32 + 32 + 36 - 2) - 1
    const std::string text = lines[0].text[col("mapping")];
    CHECK(text.find("os 32x32: 64 pixels (N x P x Q) on the rows in 2 folds, 40 filters (K/g) "
                    "on the columns in 2 folds, 36 window values (C/g x R x S) streamed") !=
          std::string::npos);
    const std::string nest = mapping_text(a, L, rep.rows[0].result, true);
    CHECK(nest.rfind("DRAM -> GLB (os on 32x32), outer to inner:\n  for ", 0) == 0);
}

TEST_CASE(scalesim_report_files) {
    Arch a;
    a.dataflow = Dataflow::os;
    a.pe_rows = a.pe_cols = 32;
    a.glb_bytes = 1 << 20;
    const Report rep =
        make_report(a, EnergyTable{}, {{"c1", fixtures::conv(1, 40, 4, 8, 8, 3, 3)}}, {}, "t");
    const std::string dir =
        (std::filesystem::temp_directory_path() / ("tldse-reports-" + std::to_string(getpid())))
            .string();
    const auto paths = write_scalesim_reports(dir, rep);
    CHECK_EQ(paths.size(), std::size_t{3});
    std::ifstream in(dir + "/COMPUTE_REPORT.csv");
    std::string header, row;
    std::getline(in, header);
    std::getline(in, row);
    CHECK_EQ(header, std::string("LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall "
                                 "Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,"));
    // SCALE-Sim 3.0.0 on this layer: 0, 667, 391, 0, 23.017902813299234, 62.5,
    // 22.95918367346939 (it adds 276 prefetch cycles that tldse does not model).
    CHECK_EQ(row, std::string("0, 391, 391, 0, 23.017902813299234, 62.5, 22.95918367346939,"));
    std::filesystem::remove_all(dir);
    CHECK_THROWS(write_scalesim_reports("/proc/no/such/dir", rep), "cannot create");
}
