// tldse._core: wires the per-area registration functions; no logic lives here.
#include <pybind11/pybind11.h>

namespace tldse::bind {
void register_model(pybind11::module_& m);
void register_io(pybind11::module_& m);
}  // namespace tldse::bind

PYBIND11_MODULE(_core, m) {
    m.doc() = "tldse compiled core: analytical accelerator cost model (C++)";
    tldse::bind::register_model(m);
    tldse::bind::register_io(m);
}
