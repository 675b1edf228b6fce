// Status codes returned per (config, layer) by the batch API. Infeasible design points are
// not errors: they come back with one of these codes and NaN metrics.
#pragma once

#include <cstdint>

namespace tldse {

enum class Status : std::int32_t {
    ok = 0,
    invalid_config = 1,     // a config row that makes no sense (e.g. zero-size array)
    does_not_fit = 2,       // no tiling of the layer fits the buffers
    unsupported = 3,        // dataflow/layer combination not modelled
};

const char* status_name(Status s) noexcept;

}  // namespace tldse
