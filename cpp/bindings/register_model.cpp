// Bindings for the cost model: energy tables, batch evaluation, single-layer detail.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "ndarray.hpp"
#include "tldse/arch.hpp"
#include "tldse/batch.hpp"
#include "tldse/cost_model.hpp"
#include "tldse/energy_table.hpp"
#include "tldse/glb_tiling.hpp"
#include "tldse/mapper.hpp"
#include "tldse/rs_mapspace.hpp"
#include "tldse/status.hpp"

namespace tldse::bind {

namespace {

template <typename Seq>
py::tuple names(const Seq& seq) {
    py::tuple t(seq.size());
    for (std::size_t i = 0; i < seq.size(); ++i) t[i] = py::str(seq[i]);
    return t;
}

// Extended fields returned as int64 (-1 where the status is not ok).
bool integer_field(int f) {
    return f == kBound || f == kRowTiles || f == kFilterTiles || f == kChannelTiles ||
           f == kLoopOrder || f == kRsP || f == kRsQ || f == kRsTf || f == kRsTc;
}

py::dict evaluate(const CArray<double>& configs, const CArray<double>& layers,
                  const EnergyTable& table, int threads, bool per_network,
                  const std::string& objective, const std::string& mapper, bool extended) {
    const MapperOptions opts{parse_objective(objective), parse_mapper_mode(mapper)};
    auto archs = configs_from(configs);
    auto lays = layers_from(layers);
    if (lays.empty()) throw std::invalid_argument("layers: the layer table has no rows");
    const EnergyTable tab = table;  // a private copy: C++ threads read it without the GIL
    const py::ssize_t nc = static_cast<py::ssize_t>(archs.size());
    const py::ssize_t nl = per_network ? 1 : static_cast<py::ssize_t>(lays.size());
    // Allocate the result arrays first so that C++ writes into them directly.
    py::array_t<double> values({static_cast<py::ssize_t>(kNumResultFields), nc, nl});
    py::array_t<std::int32_t> status({nc, nl});
    py::array_t<double> area(nc);
    if (extended && per_network) {
        throw std::invalid_argument(
            "extended outputs are per (design, layer): use per_network=False");
    }
    check_threads(threads);
    py::array_t<double> ext(std::vector<py::ssize_t>{extended ? kNumExtendedFields : 0, nc, nl});
    const BatchView view{values.mutable_data(), status.mutable_data(), area.mutable_data(),
                         extended ? ext.mutable_data() : nullptr};
    {
        py::gil_scoped_release release;
        evaluate_batch_into(archs, lays, tab, threads, per_network, view, opts);
    }
    py::dict d;
    for (int f = 0; f < kNumResultFields; ++f) {
        py::array field = values[py::int_(f)];  // a view, no copy
        d[kResultFields[static_cast<std::size_t>(f)]] =
            per_network ? field.attr("reshape")(nc) : field;
    }
    d["status"] = per_network ? status.attr("reshape")(nc) : py::object(status);
    d["area_um2"] = area;
    if (extended) {
        const py::object nan_to_num = py::module_::import("numpy").attr("nan_to_num");
        for (int f = 0; f < kNumExtendedFields; ++f) {
            py::array field = ext[py::int_(f)];
            d[kExtendedFields[static_cast<std::size_t>(f)]] =
                integer_field(f) ? nan_to_num(field, py::arg("nan") = -1).attr("astype")("int64")
                                 : py::object(field);
        }
    }
    return d;
}

py::dict evaluate_one(const CArray<double>& config, const CArray<double>& layer,
                      const EnergyTable& table, const std::string& objective,
                      const std::string& mapper) {
    auto archs = configs_from(config);
    auto lays = layers_from(layer);
    if (archs.size() != 1 || lays.size() != 1) {
        throw std::invalid_argument("evaluate_layer takes one config row and one layer row");
    }
    const MapperOptions opts{parse_objective(objective), parse_mapper_mode(mapper)};
    const EnergyTable tab = table;
    LayerResult r;
    {
        py::gil_scoped_release release;  // an exhaustive rs search can take a while
        r = evaluate_layer(archs[0], lays[0], tab, opts);
    }
    py::dict d;
    d["status"] = static_cast<int>(r.status);
    d["macs"] = r.macs;
    d["compute_cycles"] = r.compute_cycles;
    d["stall_cycles"] = r.stall_cycles;
    d["latency_cycles"] = r.latency_cycles;
    d["utilization"] = r.utilization;
    d["energy_pj"] = r.energy_pj;
    d["mac_energy_pj"] = r.mac_energy_pj;
    d["leakage_energy_pj"] = r.leakage_energy_pj;
    d["area_um2"] = table.area_um2(archs[0]);
    py::dict acc, energy;
    for (int l = 0; l < 4; ++l) {
        for (int t = 0; t < 3; ++t) {
            const std::string key = std::string(kLevelNames[static_cast<std::size_t>(l)]) + "_" +
                                    kTensorNames[static_cast<std::size_t>(t)];
            acc[py::str(key + "_reads")] =
                r.accesses.reads[static_cast<std::size_t>(l)][static_cast<std::size_t>(t)];
            acc[py::str(key + "_writes")] =
                r.accesses.writes[static_cast<std::size_t>(l)][static_cast<std::size_t>(t)];
            energy[py::str(key + "_pj")] =
                r.energy_level_tensor_pj[static_cast<std::size_t>(l)][static_cast<std::size_t>(t)];
        }
    }
    d["accesses"] = acc;
    d["energy_breakdown"] = energy;
    const GlbTile& t = r.tiling;
    static const char* loop_names[3] = {"rows", "filters", "channels"};
    py::list order;
    for (auto o : t.order) order.append(loop_names[o]);
    d["tiling"] = py::dict(py::arg("rows") = t.rows, py::arg("filters") = t.filters,
                           py::arg("channels") = t.channels, py::arg("order") = order);
    if (archs[0].dataflow == Dataflow::rs && r.status == Status::ok) {
        const RsShape sh = rs_shape(archs[0], lays[0]);
        d["rs_mapping"] =
            py::dict(py::arg("p") = r.rs.p, py::arg("q") = r.rs.q, py::arg("tf") = r.rs.tf,
                     py::arg("tc") = r.rs.tc, py::arg("r_eff") = sh.r_eff,
                     py::arg("r_fold") = sh.r_fold, py::arg("e_pass") = sh.e_pass,
                     py::arg("e_fold") = sh.e_fold, py::arg("replicas") = sh.replicas);
    }
    return d;
}

}  // namespace

void register_model(py::module_& m) {
    m.attr("config_columns") = names(kConfigColumns);
    py::class_<FieldInfo>(m, "FieldInfo", "One field of the config table or the energy table.")
        .def_property_readonly("name", [](const FieldInfo& f) { return std::string(f.name); })
        .def_property_readonly(
            "type", [](const FieldInfo& f) { return std::string(field_type_name(f.type)); })
        .def_readonly("default", &FieldInfo::default_value)
        .def_readonly("min", &FieldInfo::min)
        .def_readonly("max", &FieldInfo::max)
        .def_property_readonly("doc", [](const FieldInfo& f) { return std::string(f.doc); })
        .def("__repr__", [](const FieldInfo& f) {
            return std::string("FieldInfo(") + f.name + ", " + field_type_name(f.type) + ")";
        });
    m.def(
        "config_fields",
        [] {
            py::tuple t(kConfigFields.size());
            for (std::size_t i = 0; i < kConfigFields.size(); ++i) t[i] = kConfigFields[i];
            return t;
        },
        "The config-table columns in order: name, type (int, float, bool, enum), default, "
        "min, max and doc of each.");
    m.def(
        "energy_fields",
        [] {
            py::tuple t(kEnergyFields.size());
            for (std::size_t i = 0; i < kEnergyFields.size(); ++i) t[i] = kEnergyFields[i];
            return t;
        },
        "The energy-table fields: name, type, default (horowitz45), min, max and doc.");
    m.attr("layer_columns") = names(kLayerColumns);
    m.attr("result_fields") = names(kResultFields);
    m.attr("status_names") = names(kStatusNames);
    m.attr("dataflows") = py::make_tuple("ws", "os", "is", "rs");

    py::class_<EnergyTable> table_class(m, "EnergyTable",
                                        "Energy per action and area per component.");
    table_class
        .def(py::init([](const std::string& name) { return EnergyTable::by_name(name); }),
             py::arg("name") = "horowitz45")
        .def_static("from_file", &EnergyTable::from_file, py::arg("path"))
        .def("__copy__", [](const EnergyTable& t) { return t; })
        .def(
            "__deepcopy__", [](const EnergyTable& t, py::dict) { return t; }, py::arg("memo"))
        .def("set", &EnergyTable::set, py::arg("key"), py::arg("value"))
        .def("validate", &EnergyTable::validate)
        .def(
            "area_um2",
            [](const EnergyTable& t, const CArray<double>& row) {
                auto archs = configs_from(row);
                if (archs.size() != 1) throw std::invalid_argument("area_um2 takes one config row");
                return t.area_um2(archs[0]);
            },
            py::arg("config"), "Area of one design (config-table row) in um^2.")
        .def_readonly("name", &EnergyTable::name)
        .def(py::pickle(
            [](const EnergyTable& t) {
                py::tuple state(1 + kEnergyFields.size());
                state[0] = t.name;
                const auto v = t.values();
                for (std::size_t i = 0; i < v.size(); ++i) state[i + 1] = v[i];
                return state;
            },
            [](const py::tuple& state) {
                if (state.size() != 1 + kEnergyFields.size()) {
                    throw std::invalid_argument("EnergyTable state: expected " +
                                                std::to_string(1 + kEnergyFields.size()) +
                                                " items, got " + std::to_string(state.size()));
                }
                EnergyTable t;
                t.name = state[0].cast<std::string>();
                for (std::size_t i = 0; i < kEnergyFields.size(); ++i) {
                    t.set(kEnergyFields[i].name, state[i + 1].cast<double>());
                }
                return t;
            }));
#define TLDSE_ENERGY_PROPERTY(field, def, lo, doc) \
    table_class.def_readonly(#field, &EnergyTable::field, doc);
    TLDSE_ENERGY_FIELDS(TLDSE_ENERGY_PROPERTY)
#undef TLDSE_ENERGY_PROPERTY

    m.attr("extended_fields") = names(kExtendedFields);
    m.attr("bound_names") = names(kBoundNames);
    m.def("evaluate", &evaluate, py::arg("configs"), py::arg("layers"), py::arg("table"),
          py::arg("threads") = 0, py::arg("per_network") = false, py::arg("objective") = "edp",
          py::arg("mapper") = "heuristic", py::arg("extended") = false,
          "Evaluates every (config, layer) pair; the GIL is released while C++ threads work. "
          "extended=True adds the model's own outputs per pair (extended_fields).");
    m.def("evaluate_layer", &evaluate_one, py::arg("config"), py::arg("layer"), py::arg("table"),
          py::arg("objective") = "edp", py::arg("mapper") = "heuristic",
          "One (config, layer) pair with per-level, per-tensor detail.");
    m.def(
        "systolic_cycles",
        [](const std::string& df, std::int64_t sr, std::int64_t sc, std::int64_t t,
           std::int64_t rows, std::int64_t cols) {
            const Dataflow d = parse_dataflow(df);
            if (d == Dataflow::rs) throw std::invalid_argument("dataflow must be ws, os or is");
            for (auto [n, v] : {std::pair<const char*, std::int64_t>{"sr", sr},
                                {"sc", sc},
                                {"t", t},
                                {"rows", rows},
                                {"cols", cols}}) {
                if (v < 1) throw std::invalid_argument(std::string(n) + " must be >= 1");
            }
            return systolic_cycles(d,
                                   SystolicDims{static_cast<double>(sr), static_cast<double>(sc),
                                                static_cast<double>(t)},
                                   rows, cols);
        },
        py::arg("dataflow"), py::arg("sr"), py::arg("sc"), py::arg("t"), py::arg("rows"),
        py::arg("cols"));
    m.def("default_threads", &default_threads);
    m.attr("max_threads") = kMaxThreads;
    m.def(
        "tiling_cache_stats",
        [] {
            const TilingCacheStats s = tiling_cache_stats();
            py::dict d;
            d["entries"] = s.entries;
            d["bytes"] = s.bytes;
            d["peak_bytes"] = s.peak_bytes;
            d["limit"] = tiling_cache_limit();
            return d;
        },
        "The GLB tiling cache: entries, bytes held, the peak since the last clear, limit.");
    m.def(
        "set_tiling_cache_limit",
        [](std::int64_t bytes) {
            if (bytes < 0) throw std::invalid_argument("bytes must be >= 0");
            set_tiling_cache_limit(static_cast<std::size_t>(bytes));
        },
        py::arg("bytes"), "Bounds the GLB tiling cache (bytes; default 256 MiB).");
    m.def("clear_tiling_cache", &clear_tiling_cache, "Empties the GLB tiling cache.");
    m.def(
        "check_config",
        [](const CArray<double>& row) {
            auto archs = configs_from(row);
            if (archs.size() != 1) throw std::invalid_argument("check_config takes one row");
            const char* why = archs[0].infeasibility();
            return std::string(why ? why : "");
        },
        py::arg("row"),
        "Validates one config row (ValueError naming the field); returns why the design is "
        "infeasible, or '' when it is buildable.");
}

}  // namespace tldse::bind
