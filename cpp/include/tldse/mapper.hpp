// The mapper: for one layer on one design, picks the GLB tiling and (rs) the row-stationary
// mapping that minimise an objective, then has the cost model evaluate the winner.
#pragma once

#include <cstdint>
#include <string>

#include "tldse/arch.hpp"
#include "tldse/cost_model.hpp"
#include "tldse/energy_table.hpp"
#include "tldse/glb_tiling.hpp"
#include "tldse/layer.hpp"
#include "tldse/rs_mapspace.hpp"

namespace tldse {

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

// Objective value of a (latency, energy) pair: latency cycles, energy pJ or their product.
inline double objective_value(double latency_cycles, double energy_pj, Objective o) noexcept {
    switch (o) {
        case Objective::latency: return latency_cycles;
        case Objective::energy: return energy_pj;
        case Objective::edp: return latency_cycles * energy_pj;
    }
    return latency_cycles;
}
inline double objective_value(const LayerResult& r, Objective o) noexcept {
    return objective_value(r.latency_cycles, r.energy_pj, o);
}

// Evaluates one layer on one design (its DesignContext) with the layer's candidate
// tilings (glb_tilings(layer)). `staircase`, when given, is the tilings' GlbStaircase at
// the design's word widths (a faster choice for a shared GLB; same result); `rs_sizes`,
// when given, rs_block_sizes(layer) computed once for many designs. Never throws
// for well-formed inputs: infeasible combinations come back with a non-ok status and NaN
// metrics.
LayerResult evaluate_layer(const DesignContext& ctx, const Layer& layer, const GlbTilings& tilings,
                           const MapperOptions& mapper = {},
                           const GlbStaircase* staircase = nullptr,
                           const RsBlockSizes* rs_sizes = nullptr);

// The GLB tiling evaluate_layer uses: the fewest DRAM bytes among those that fit
// (best_glb_tiling, or the staircase's answer for a shared GLB); nullptr if none fits.
const GlbTile* choose_glb_tiling(const DesignContext& ctx, const GlbTilings& tilings,
                                 const GlbStaircase* staircase = nullptr);

// evaluate_layer with the GLB tiling already chosen (nullptr: none fits).
LayerResult evaluate_mapped(const DesignContext& ctx, const Layer& layer, const GlbTile* tile,
                            const MapperOptions& mapper = {},
                            const RsBlockSizes* rs_sizes = nullptr);

// The same for one (design, layer) pair, building the context and looking up the tilings.
LayerResult evaluate_layer(const Arch& arch, const Layer& layer, const EnergyTable& table,
                           const MapperOptions& mapper = {});

}  // namespace tldse
