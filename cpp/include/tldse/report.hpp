// Per-layer reports of one design on one workload (what tldse-sim prints): rows, the
// network total and the table, CSV and JSON writers.
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

struct ReportRow {
    std::string name;
    std::int64_t count = 1;
    LayerResult result;
};

struct Report {
    std::string preset;    // "" when the design is not a preset
    std::string workload;  // the workload's name or file
    MapperOptions mapper;
    Arch arch;
    EnergyTable table;
    std::vector<ReportRow> rows;

    bool all_ok() const;
};

// Evaluates every layer on the design (one DesignContext for all of them).
Report make_report(const Arch& arch, const EnergyTable& table,
                   const std::vector<NamedLayer>& layers, const MapperOptions& mapper,
                   std::string workload, std::string preset = "");

// The numeric columns of a row, after layer, count and status.
const std::vector<std::string>& report_columns();

void write_csv(std::ostream& os, const Report& report);
void write_table(std::ostream& os, const Report& report);
void write_json(std::ostream& os, const Report& report);

// tldse-sim --list-presets and --list-workloads: one entry per preset (name, description,
// source) and per built-in network (name, layers, MACs at batch 1).
void write_preset_list(std::ostream& os);
void write_workload_list(std::ostream& os);

}  // namespace tldse
