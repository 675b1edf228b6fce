#include "tldse/mapper.hpp"

#include <stdexcept>

#include "cpu_dispatch.hpp"
#include "tldse/rs_mapspace.hpp"

namespace tldse {

const char* objective_name(Objective o) noexcept {
    switch (o) {
        case Objective::latency: return "latency";
        case Objective::energy: return "energy";
        case Objective::edp: return "edp";
    }
    return "?";
}

const char* mapper_mode_name(MapperMode m) noexcept {
    return m == MapperMode::exhaustive ? "exhaustive" : "heuristic";
}

Objective parse_objective(const std::string& s) {
    if (s == "latency") return Objective::latency;
    if (s == "energy") return Objective::energy;
    if (s == "edp") return Objective::edp;
    throw std::invalid_argument("objective must be one of latency, energy, edp; got '" + s + "'");
}

MapperMode parse_mapper_mode(const std::string& s) {
    if (s == "heuristic") return MapperMode::heuristic;
    if (s == "exhaustive") return MapperMode::exhaustive;
    throw std::invalid_argument("mapper must be heuristic or exhaustive; got '" + s + "'");
}

namespace detail {

// The rs candidate loop (TLDSE_CPU_CLONES: about 1.6x faster scoring with SSE4.1).
TLDSE_CPU_CLONES
bool best_rs_mapping(const RsScorer& scorer, const Arch& a, const Layer& L, const RsShape& sh,
                     const RsBlockSizes& sizes, const MapperOptions& mapper, RsMapping* out) {
    Score best;
    bool found = false;
    double best_value = 0;
    for_each_rs_candidate(
        a, L, sh, sizes, mapper.mode == MapperMode::exhaustive, [&](const RsMapping& m) {
            const Score s = scorer.score(m);
            const double v = objective_value(s.latency_cycles, s.energy_pj, mapper.objective);
            // Ties on the objective go to lower latency, then lower
            // energy, then the first.
            const bool better =
                !found || v < best_value ||
                (v == best_value &&
                 (s.latency_cycles < best.latency_cycles ||
                  (s.latency_cycles == best.latency_cycles && s.energy_pj < best.energy_pj)));
            if (better) {
                best = s;
                *out = m;
                best_value = v;
                found = true;
            }
        });
    return found;
}

}  // namespace detail

const GlbTile* choose_glb_tiling(const DesignContext& ctx, const GlbTilings& tilings,
                                 const GlbStaircase* staircase) {
    // The GLB tiling that moves the fewest DRAM bytes is best for every objective.
    return staircase != nullptr && !ctx.cap.partitioned() ? staircase->best(ctx.cap.total)
                                                          : best_glb_tiling(tilings, ctx.cap);
}

LayerResult evaluate_layer(const DesignContext& ctx, const Layer& L, const GlbTilings& tilings,
                           const MapperOptions& mapper, const GlbStaircase* staircase,
                           const RsBlockSizes* rs_sizes) {
    if (!ctx.ok()) return failed_result(ctx.status, L.macs());
    return evaluate_mapped(ctx, L, choose_glb_tiling(ctx, tilings, staircase), mapper, rs_sizes);
}

LayerResult evaluate_mapped(const DesignContext& ctx, const Layer& L, const GlbTile* tile,
                            const MapperOptions& mapper, const RsBlockSizes* rs_sizes) {
    if (!ctx.ok()) return failed_result(ctx.status, L.macs());
    if (tile == nullptr) return failed_result(Status::does_not_fit, L.macs());

    const Arch& a = *ctx.arch;
    // The systolic mapping is fixed by the dataflow: nothing else to choose.
    if (a.dataflow != Dataflow::rs) return evaluate_systolic(ctx, L, *tile);

    const RsShape sh = rs_shape(a, L);
    const double input_rows = rs_input_rows_total(L, sh);
    const RsScorer scorer(ctx, L, *tile, sh, input_rows);
    const RsBlockSizes own = rs_sizes != nullptr ? RsBlockSizes{} : rs_block_sizes(L);
    RsMapping best_m;
    const bool found = detail::best_rs_mapping(
        scorer, a, L, sh, rs_sizes != nullptr ? *rs_sizes : own, mapper, &best_m);
    if (!found) return failed_result(Status::does_not_fit, L.macs());
    return evaluate_rs(ctx, L, *tile, sh, best_m, input_rows);
}

LayerResult evaluate_layer(const Arch& arch, const Layer& layer, const EnergyTable& table,
                           const MapperOptions& mapper) {
    const DesignContext ctx(arch, table);
    return evaluate_layer(ctx, layer, *glb_tilings(layer), mapper);
}

}  // namespace tldse
