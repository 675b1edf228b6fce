// Bindings for the one-design report (report.hpp): its column schema, the Report object
// behind tldse.simulate() and the batched per-layer breakdown of sweeps and explore.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <sstream>

#include "ndarray.hpp"
#include "tldse/io.hpp"
#include "tldse/report.hpp"

namespace tldse::bind {

namespace {

std::vector<NamedLayer> named_layers(const std::vector<std::string>& names,
                                     const CArray<double>& table) {
    const std::vector<Layer> layers = layers_from(table);
    if (names.size() != layers.size()) {
        throw std::invalid_argument("names: " + std::to_string(names.size()) + " names for " +
                                    std::to_string(layers.size()) + " layers");
    }
    if (layers.empty()) throw std::invalid_argument("layers: the layer table has no rows");
    std::vector<NamedLayer> out;
    for (std::size_t i = 0; i < layers.size(); ++i) out.push_back({printable(names[i]), layers[i]});
    return out;
}

MapperOptions mapper_options(const std::string& objective, const std::string& mapper) {
    return {parse_objective(objective), parse_mapper_mode(mapper)};
}

// Columns of some report lines as a dict: numbers as float64 arrays, words as lists.
py::dict columns_of(const std::vector<const ReportLine*>& lines) {
    const auto& schema = report_schema();
    py::dict d;
    for (std::size_t c = 0; c < schema.size(); ++c) {
        if (schema[c].kind == ColumnKind::text) {
            py::list words;
            for (const ReportLine* line : lines) words.append(py::str(line->text[c]));
            d[py::str(schema[c].name)] = words;
        } else {
            py::array_t<double> values(static_cast<py::ssize_t>(lines.size()));
            double* out = values.mutable_data();
            for (std::size_t i = 0; i < lines.size(); ++i) out[i] = lines[i]->num[c];
            d[py::str(schema[c].name)] = values;
        }
    }
    return d;
}

// A Report and its lines (computed once).
struct PyReport {
    Report report;
    std::vector<ReportLine> lines;
    explicit PyReport(Report r) : report(std::move(r)), lines(report_lines(report)) {}
};

PyReport simulate(const CArray<double>& config, const std::vector<std::string>& names,
                  const CArray<double>& layers, const EnergyTable& table,
                  const std::string& objective, const std::string& mapper,
                  const std::string& workload) {
    const auto archs = configs_from(config);
    if (archs.size() != 1) throw std::invalid_argument("simulate takes one config row");
    const auto named = named_layers(names, layers);
    const MapperOptions opts = mapper_options(objective, mapper);
    const EnergyTable tab = table;
    py::gil_scoped_release release;
    return PyReport(make_report(archs[0], tab, named, opts, workload));
}

}  // namespace

void register_report(py::module_& m) {
    m.def(
        "report_columns",
        [] {
            py::list out;
            for (const auto& c : report_schema()) {
                out.append(py::make_tuple(
                    c.name, kColumnKindNames[static_cast<std::size_t>(c.kind)], c.doc));
            }
            return py::tuple(out);
        },
        "The report's columns in order: (name, kind, doc); kinds: text, count, sum, ratio, "
        "share, design, mapping (how the total row is formed).");
    py::class_<PyReport>(m, "Report", "One design on one workload: every layer and the total.")
        .def_property_readonly("workload", [](const PyReport& r) { return r.report.workload; })
        .def_property_readonly("preset", [](const PyReport& r) { return r.report.preset(); })
        .def_property_readonly("layer_count",
                               [](const PyReport& r) { return r.report.rows.size(); })
        .def(
            "columns",
            [](const PyReport& r) {
                std::vector<const ReportLine*> rows;
                for (std::size_t i = 0; i + 1 < r.lines.size(); ++i) rows.push_back(&r.lines[i]);
                return columns_of(rows);
            },
            "Every column, one value per layer (numbers as float64 arrays, words as lists).")
        .def(
            "total",
            [](const PyReport& r) {
                const auto& schema = report_schema();
                const ReportLine& t = r.lines.back();
                py::dict d;
                for (std::size_t c = 0; c < schema.size(); ++c) {
                    if (schema[c].kind == ColumnKind::text) {
                        d[py::str(schema[c].name)] = py::str(t.text[c]);
                    } else {
                        d[py::str(schema[c].name)] = t.num[c];
                    }
                }
                return d;
            },
            "The total row: every column.")
        .def("to_csv",
             [](const PyReport& r) {
                 std::ostringstream o;
                 write_csv(o, r.report);
                 return o.str();
             })
        .def("to_json",
             [](const PyReport& r) {
                 std::ostringstream o;
                 write_json(o, r.report);
                 return o.str();
             })
        .def(
            "to_table",
            [](const PyReport& r, bool mapping) {
                std::ostringstream o;
                write_table(o, r.report, mapping);
                return o.str();
            },
            py::arg("mapping") = false)
        .def(
            "mapping_text",
            [](const PyReport& r, std::int64_t i, bool multiline) {
                if (i < 0 || i >= static_cast<std::int64_t>(r.report.rows.size())) {
                    throw std::invalid_argument("layer index " + std::to_string(i) +
                                                " out of range");
                }
                const ReportRow& row = r.report.rows[static_cast<std::size_t>(i)];
                return mapping_text(r.report.arch, row.layer, row.result, multiline);
            },
            py::arg("index"), py::arg("multiline") = true)
        .def(
            "write_scalesim_reports",
            [](const PyReport& r, const std::string& dir) {
                return write_scalesim_reports(dir, r.report);
            },
            py::arg("dir"),
            "Writes SCALE-Sim's COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and "
            "DETAILED_ACCESS_REPORT.csv in dir; returns their paths.")
        .def(py::pickle(
            // The inputs; unpickling simulates again (the model is deterministic).
            [](const PyReport& r) {
                const Report& rep = r.report;
                py::array_t<double> row(kConfigWidth);
                rep.arch.to_row(row.mutable_data());
                py::array_t<double> layers(
                    {static_cast<py::ssize_t>(rep.rows.size()), py::ssize_t{kLayerWidth}});
                py::list names;
                std::int64_t cells[kLayerWidth];
                for (std::size_t i = 0; i < rep.rows.size(); ++i) {
                    rep.rows[i].layer.to_row(cells);
                    for (int j = 0; j < kLayerWidth; ++j) {
                        layers.mutable_data()[i * kLayerWidth + static_cast<std::size_t>(j)] =
                            static_cast<double>(cells[j]);
                    }
                    names.append(rep.rows[i].name);
                }
                py::list energy;
                for (double v : rep.table.values()) energy.append(v);
                return py::make_tuple(row, names, layers, rep.table.name, energy,
                                      objective_name(rep.mapper.objective),
                                      mapper_mode_name(rep.mapper.mode), rep.workload);
            },
            [](const py::tuple& s) {
                if (s.size() != 8) throw std::invalid_argument("Report state: expected 8 items");
                EnergyTable table;
                table.name = s[3].cast<std::string>();
                const auto values = s[4].cast<std::vector<double>>();
                if (values.size() != kEnergyFields.size()) {
                    throw std::invalid_argument("Report state: wrong energy-table size");
                }
                for (std::size_t i = 0; i < values.size(); ++i) {
                    table.set(kEnergyFields[i].name, values[i]);
                }
                return simulate(s[0].cast<CArray<double>>(), s[1].cast<std::vector<std::string>>(),
                                s[2].cast<CArray<double>>(), table, s[5].cast<std::string>(),
                                s[6].cast<std::string>(), s[7].cast<std::string>());
            }));
    m.def("simulate", &simulate, py::arg("config"), py::arg("names"), py::arg("layers"),
          py::arg("table"), py::arg("objective") = "edp", py::arg("mapper") = "heuristic",
          py::arg("workload") = "",
          "One design (a config row) on named layers -> Report (the GIL is released).");
    m.def(
        "report_breakdown",
        [](const CArray<double>& configs, const std::vector<std::string>& names,
           const CArray<double>& layers, const EnergyTable& table, const std::string& objective,
           const std::string& mapper, int threads) {
            const auto archs = configs_from(configs);
            const auto named = named_layers(names, layers);
            const MapperOptions opts = mapper_options(objective, mapper);
            const EnergyTable tab = table;
            std::vector<std::vector<ReportLine>> all;
            {
                py::gil_scoped_release release;
                all = report_lines_batch(archs, tab, named, opts, threads);
            }
            std::vector<const ReportLine*> rows;  // design-major, layers only
            for (const auto& lines : all) {
                for (std::size_t i = 0; i + 1 < lines.size(); ++i) rows.push_back(&lines[i]);
            }
            return columns_of(rows);
        },
        py::arg("configs"), py::arg("names"), py::arg("layers"), py::arg("table"),
        py::arg("objective") = "edp", py::arg("mapper") = "heuristic", py::arg("threads") = 0,
        "The report columns of every (design, layer) pair, design-major (n_designs x "
        "n_layers values per column), designs on C++ threads.");
}

}  // namespace tldse::bind
