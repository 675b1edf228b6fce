// Built-in networks for tldse-sim --workload: the Python zoo's networks (python/tldse/
// workloads/zoo.py) at their default options, in a table generated from the zoo by
// tools/gen_builtin_workloads.py (src/builtin_workloads_table.inc).
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

// The valid names, in the zoo's (alphabetical) order.
std::vector<std::string> builtin_workload_names();

// The zoo's one-line description of a network.
std::string builtin_workload_description(const std::string& name);

}  // namespace tldse
