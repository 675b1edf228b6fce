// Named accelerator presets: published designs expressed in the architecture template.
// Every number's origin (paper, section, or a stated assumption) is in docs/presets.md.
#pragma once

#include <string>
#include <vector>

#include "tldse/arch.hpp"

namespace tldse {

struct Preset {
    std::string name;         // e.g. "eyeriss"
    std::string description;  // one line: what the design is and how it is modelled
    std::string source;       // the paper or document its numbers come from
    Arch arch;
};

// All presets, in a fixed order (eyeriss, tpu-v1, nvdla, shidiannao). Every one is
// feasible (Arch::infeasibility() == nullptr).
const std::vector<Preset>& presets();

// The architecture of one preset (case-insensitive name); throws std::invalid_argument
// listing the valid names when there is no such preset.
Arch preset(const std::string& name);

// The valid names, comma-separated (for messages).
std::string preset_names();

}  // namespace tldse
