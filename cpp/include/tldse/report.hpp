// The "simulate one design" report: one design on one workload, every layer and the
// total, in one column schema shared by tldse-sim (table, CSV, JSON), tldse simulate,
// tldse.simulate() and the per-layer breakdowns of sweeps and explore (docs/model.md,
// "The report"). Every number comes from the cost model's LayerResult of the layer.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "tldse/arch.hpp"
#include "tldse/cost_model.hpp"
#include "tldse/energy_table.hpp"
#include "tldse/io.hpp"
#include "tldse/mapper.hpp"

namespace tldse {

// How a column's total row is formed.
enum class ColumnKind : std::int32_t {
    text = 0,     // words (layer, status, bound, mapping)
    count = 1,    // the layer's count; the total is the number of layer occurrences
    sum = 2,      // per occurrence; the total weights each layer by its count
    ratio = 3,    // a fraction whose total is the network's own (utilization, ...)
    share = 4,    // the layer's share of the network total (count included); total 1
    design = 5,   // a property of the design, the same on every row and in the total
    mapping = 6,  // the chosen mapping (tile sizes, ...); no total (NaN)
};
inline constexpr std::array<const char*, 7> kColumnKindNames = {
    "text", "count", "sum", "ratio", "share", "design", "mapping"};

struct ReportColumn {
    std::string name;
    ColumnKind kind;
    std::string doc;
};

// The columns, in order (the same for every design and workload).
const std::vector<ReportColumn>& report_schema();
// The index of a column by name; -1 when there is none.
int report_column_index(const std::string& name);

struct ReportRow {
    std::string name;
    Layer layer;
    LayerResult result;
};

struct Report {
    std::string workload;  // the workload's name or file
    MapperOptions mapper;
    Arch arch;
    EnergyTable table;
    std::vector<ReportRow> rows;

    bool all_ok() const;
    // The preset the design equals, or "" (JSON's "preset", the table's header).
    std::string preset() const;
};

// Evaluates every layer on the design (one DesignContext for all of them).
Report make_report(const Arch& arch, const EnergyTable& table,
                   const std::vector<NamedLayer>& layers, const MapperOptions& mapper,
                   std::string workload);

// One row of the report: per column a number (NaN where none) and a text ("" where none).
struct ReportLine {
    std::vector<double> num;
    std::vector<std::string> text;
};
// Every layer's line, then the total's (rows.size() + 1 lines).
std::vector<ReportLine> report_lines(const Report& report);

// report_lines of every design on one workload, designs shared among `threads` threads
// (0: all cores): the per-layer breakdowns of sweeps and explore.
std::vector<std::vector<ReportLine>> report_lines_batch(const std::vector<Arch>& archs,
                                                        const EnergyTable& table,
                                                        const std::vector<NamedLayer>& layers,
                                                        const MapperOptions& mapper, int threads);

// The chosen mapping of a layer as a loop nest, outer to inner: the GLB tile loops (DRAM
// -> GLB) with their trip counts and tile sizes, the spatial mapping on the array and,
// for rs, what each PE holds. One line (the `mapping` column) or indented lines.
std::string mapping_text(const Arch& arch, const Layer& layer, const LayerResult& result,
                         bool multiline);

// Numbers as the writers print them: whole numbers below 2^53 without a decimal point,
// others in the shortest form that reads back to the same double; NaN as `nan`.
std::string format_number(double v);

void write_csv(std::ostream& os, const Report& report);
void write_json(std::ostream& os, const Report& report);
// The table: a header naming the design, one row per layer and the total; with
// `mappings`, each layer's loop nest after it.
void write_table(std::ostream& os, const Report& report, bool mappings = false);

// SCALE-Sim 3.0.0's three report files in `dir` (created if missing; each file written
// whole or not at all): COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and
// DETAILED_ACCESS_REPORT.csv, with SCALE-Sim's column names and tldse's numbers
// (docs/model.md, "SCALE-Sim report files"). Returns the paths written.
std::vector<std::string> write_scalesim_reports(const std::string& dir, const Report& report);

// tldse-sim --list-presets and --list-workloads: one entry per preset (name, description,
// source) and per built-in network (name, layers, MACs at batch 1).
void write_preset_list(std::ostream& os);
void write_workload_list(std::ostream& os);

}  // namespace tldse
