// The analytical cost model: one (design, layer) pair -> cycles, accesses, energy.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tldse/arch.hpp"
#include "tldse/energy_table.hpp"
#include "tldse/layer.hpp"
#include "tldse/mapping.hpp"
#include "tldse/status.hpp"

namespace tldse {

enum Level : int { kDram = 0, kGlb = 1, kNoc = 2, kRf = 3 };

// What the mapper minimises, and how hard it searches.
enum class Objective : std::int32_t { latency = 0, energy = 1, edp = 2 };
enum class MapperMode : std::int32_t { heuristic = 0, exhaustive = 1 };
struct MapperOptions {
    Objective objective = Objective::edp;
    MapperMode mode = MapperMode::heuristic;
};
const char* objective_name(Objective o) noexcept;
const char* mapper_mode_name(MapperMode m) noexcept;
// Parse "latency"/"energy"/"edp" and "heuristic"/"exhaustive"; throw std::invalid_argument
// listing the valid names otherwise.
Objective parse_objective(const std::string& s);
MapperMode parse_mapper_mode(const std::string& s);
inline constexpr std::array<const char*, 4> kLevelNames = {"dram", "glb", "noc", "rf"};
inline constexpr std::array<const char*, 3> kTensorNames = {"weight", "input", "output"};

struct Accesses {
    // [level][tensor], in elements (words of that tensor's width).
    std::array<std::array<double, 3>, 4> reads{};
    std::array<std::array<double, 3>, 4> writes{};
    double level_reads(int level) const;
    double level_writes(int level) const;
};

struct LayerResult {
    Status status = Status::ok;
    double macs = 0;
    double compute_cycles = 0;
    double stall_cycles = 0;
    double latency_cycles = 0;
    double utilization = 0;
    double energy_pj = 0;
    Accesses accesses;
    // Energy by level (dram, glb, noc, rf) and tensor, plus MAC and leakage.
    std::array<std::array<double, 3>, 4> energy_level_tensor_pj{};
    double mac_energy_pj = 0;
    double leakage_energy_pj = 0;
    GlbTile tiling;
    RsMapping rs;  // the row-stationary mapping (rs designs only)
};

// Cycles the array is busy for a layer: systolic compute_cycles count the last cycle's
// index (SCALE-Sim), so busy = compute_cycles + 1; rs counts cycles, busy = compute_cycles.
inline double busy_cycles(const Arch& a, double compute_cycles) noexcept {
    return a.dataflow == Dataflow::rs ? compute_cycles : compute_cycles + 1;
}

// Objective value of a result (latency cycles, energy pJ, or their product).
double objective_value(const LayerResult& r, Objective o) noexcept;

// Operand-matrix view of one group of a layer for a systolic dataflow (SCALE-Sim's view):
// sr rows and sc columns are unrolled onto the array, t is the temporal dimension.
struct SystolicDims {
    double sr = 0, sc = 0, t = 0;  // whole numbers below 2^53 (products of layer sizes)
};
SystolicDims systolic_dims(Dataflow df, const Layer& layer);

// Cycles for one operand-matrix multiplication on a rows x cols systolic array, including
// array fill and drain; equal to SCALE-Sim v2's total cycles when bandwidth is not the limit.
double systolic_cycles(Dataflow df, const SystolicDims& d, std::int64_t rows, std::int64_t cols);

// Evaluates one layer on one design. Never throws for well-formed inputs: infeasible
// combinations come back with a non-ok status and NaN metrics.
LayerResult evaluate_layer(const Arch& arch, const Layer& layer, const EnergyTable& table,
                           const MapperOptions& mapper = {});
// The same with the layer's candidate tilings (glb_tilings(layer)) already looked up.
LayerResult evaluate_layer(const Arch& arch, const Layer& layer, const EnergyTable& table,
                           const std::vector<GlbTile>& tilings, const MapperOptions& mapper = {});

}  // namespace tldse
