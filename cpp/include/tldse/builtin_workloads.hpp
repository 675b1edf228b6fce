// Built-in networks for tldse-sim --workload: the same layer tables as the Python zoo
// (python/tldse/workloads/zoo.py); tests/test_presets.py checks them row by row.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tldse/io.hpp"

namespace tldse {

// The layers of a built-in network at batch size `batch` (>= 1). Names are matched
// case-insensitively with '-' and '_' ignored, as in the Python zoo. Throws
// std::invalid_argument listing the valid names for an unknown one, or for a bad batch.
std::vector<NamedLayer> builtin_workload(const std::string& name, std::int64_t batch = 1);

// The valid names, in a fixed order.
std::vector<std::string> builtin_workload_names();

}  // namespace tldse
