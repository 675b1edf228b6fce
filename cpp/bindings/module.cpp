// tldse._core: wires the per-area registration functions; no logic lives here.
#include <pybind11/pybind11.h>

namespace tldse::bind {
void register_model(pybind11::module_& m);
void register_io(pybind11::module_& m);
void register_report(pybind11::module_& m);
}  // namespace tldse::bind

// The module keeps no Python state of its own and releases the GIL in batch calls: it can
// run without the GIL on free-threaded Python builds.
PYBIND11_MODULE(_core, m, pybind11::mod_gil_not_used()) {
    m.doc() = "tldse compiled core: analytical accelerator cost model (C++)";
    tldse::bind::register_model(m);
    tldse::bind::register_io(m);
    tldse::bind::register_report(m);
}
