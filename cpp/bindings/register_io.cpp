// Bindings for the file readers shared with tldse-sim.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "ndarray.hpp"
#include "tldse/builtin_workloads.hpp"
#include "tldse/io.hpp"
#include "tldse/presets.hpp"

namespace tldse::bind {

namespace {

py::array_t<double> arch_row(const Arch& a) {
    py::array_t<double> row(kConfigWidth);
    a.to_row(row.mutable_data());
    return row;
}

// (names, int64 layer table) for a list of named layers.
py::tuple layer_table(const std::vector<NamedLayer>& layers) {
    py::array_t<std::int64_t> table(
        {static_cast<py::ssize_t>(layers.size()), static_cast<py::ssize_t>(kLayerWidth)});
    py::list names;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        layers[i].layer.to_row(table.mutable_data() + i * kLayerWidth);
        names.append(layers[i].name);
    }
    return py::make_tuple(names, table);
}

}  // namespace

void register_io(py::module_& m) {
    // Messages quote file names and values from the user: every ValueError raised by the
    // core is valid, inert UTF-8 (std::invalid_argument's text through printable()).
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const std::invalid_argument& e) {
            PyErr_SetString(PyExc_ValueError, printable(e.what()).c_str());
        }
    });
    m.def(
        "read_topology",
        [](const std::string& path) {
            TopologyFormat fmt;
            std::vector<std::string> warnings;
            const py::tuple nt = layer_table(read_topology(path, &fmt, &warnings));
            const char* f = fmt == TopologyFormat::scalesim_conv   ? "scalesim_conv"
                            : fmt == TopologyFormat::scalesim_gemm ? "scalesim_gemm"
                                                                   : "tldse";
            return py::make_tuple(nt[0], nt[1], f, warnings);
        },
        py::arg("path"),
        "Reads a SCALE-Sim conv/GEMM topology or a tldse layer CSV -> (names, table, format, "
        "warnings).");
    m.def(
        "read_scalesim_config",
        [](const std::string& path) {
            const ScaleSimConfig cfg = read_scalesim_config(path);
            return py::make_tuple(arch_row(cfg.arch), cfg.version, cfg.calc_bandwidth,
                                  cfg.warnings);
        },
        py::arg("path"),
        "Reads a SCALE-Sim v2/v3 .cfg -> (config row, version, CALC mode, warnings).");
    m.def(
        "set_arch_field",
        [](const CArray<double>& row, const std::string& key, const std::string& value) {
            if (rows_of(row, kConfigWidth, "row") != 1) {
                throw std::invalid_argument("row must be one config row");
            }
            Arch a = Arch::from_row(row.data());
            set_arch_field(a, key, value);
            return arch_row(a);
        },
        py::arg("row"), py::arg("key"), py::arg("value"),
        "One config row with one field set from text, by tldse-sim's --set rules.");
    m.def(
        "read_arch_file",
        [](const std::string& path, const CArray<double>& base) {
            if (rows_of(base, kConfigWidth, "base") != 1) {
                throw std::invalid_argument("base must be one config row");
            }
            return arch_row(read_arch_file(path, Arch::from_row(base.data())));
        },
        py::arg("path"), py::arg("base"),
        "Reads a tldse key = value architecture file over a base config row.");
    m.def(
        "presets",
        [] {
            py::list out;
            for (const auto& p : presets()) {
                out.append(py::make_tuple(p.name, p.description, p.source, arch_row(p.arch)));
            }
            return out;
        },
        "The accelerator presets -> [(name, description, source, config row)].");
    m.def(
        "builtin_workload",
        [](const std::string& name, std::int64_t batch) {
            return layer_table(builtin_workload(name, batch));
        },
        py::arg("name"), py::arg("batch") = 1,
        "A built-in network of tldse-sim --workload -> (names, int64 layer table).");
    m.def("builtin_workload_names", &builtin_workload_names,
          "Names of the built-in networks of tldse-sim --workload.");
}

}  // namespace tldse::bind
