// Status codes returned per (config, layer) by the batch API. Infeasible design points are
// not errors: they come back with one of these codes and NaN metrics.
#pragma once

#include <array>
#include <cstdint>

namespace tldse {

enum class Status : std::int32_t {
    ok = 0,
    invalid_config = 1,     // a config row that makes no sense (e.g. zero-size array)
    does_not_fit = 2,       // no tiling of the layer fits the buffers
    nonfinite_area = 3,     // the design's area (or leakage power) overflows to inf/NaN
    nonfinite_latency = 4,  // the layer's latency overflows (e.g. a huge layer, tiny bandwidth)
    nonfinite_energy = 5,   // the layer's energy overflows (e.g. a huge energy-table entry)
};

// Names in code order (exported to Python as _core.status_names).
inline constexpr std::array<const char*, 6> kStatusNames = {"ok",
                                                            "invalid_config",
                                                            "does_not_fit",
                                                            "nonfinite_area",
                                                            "nonfinite_latency",
                                                            "nonfinite_energy"};

const char* status_name(Status s) noexcept;

}  // namespace tldse
