// Batched evaluation: configs[n] x layers[m] -> per-pair or per-network result arrays.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tldse/arch.hpp"
#include "tldse/cost_model.hpp"
#include "tldse/energy_table.hpp"
#include "tldse/layer.hpp"

namespace tldse {

// Result fields, in the order of the output block [field][config][layer].
inline constexpr std::array<const char*, 15> kResultFields = {
    "latency_cycles", "compute_cycles", "stall_cycles", "energy_pj", "utilization",
    "macs", "dram_reads", "dram_writes", "glb_reads", "glb_writes", "noc_transfers",
    "rf_reads", "rf_writes", "dram_bytes", "leakage_energy_pj"};
inline constexpr int kNumResultFields = static_cast<int>(kResultFields.size());

// Where evaluate_batch writes: caller-owned buffers of
// values [kNumResultFields][n_configs][n_layers], status [n_configs][n_layers] and
// area_um2 [n_configs] (n_layers = 1 when reduced per network).
struct BatchView {
    double* values = nullptr;
    std::int32_t* status = nullptr;
    double* area_um2 = nullptr;
};

struct BatchOutput {
    std::int64_t n_configs = 0;
    std::int64_t n_layers = 0;  // 1 when reduced per network
    std::vector<double> values;         // [kNumResultFields][n_configs][n_layers]
    std::vector<std::int32_t> status;   // [n_configs][n_layers]
    std::vector<double> area_um2;       // [n_configs]
    double* field(int f) { return values.data() + f * n_configs * n_layers; }
};

// Parses and validates the tables; throws std::invalid_argument naming row and column.
std::vector<Arch> parse_configs(const double* data, std::int64_t n, std::int64_t width);
std::vector<Layer> parse_layers(const std::int64_t* data, std::int64_t m, std::int64_t width);

// Evaluates every (config, layer) pair with `threads` worker threads (0 = all cores).
// When `per_network` is set, layer results are summed with their `count` weights and
// the network utilization is total MACs / (total busy cycles x PEs), where a layer's busy
// cycles are its compute_cycles + 1 (see docs/model.md).
BatchOutput evaluate_batch(const std::vector<Arch>& configs, const std::vector<Layer>& layers,
                           const EnergyTable& table, int threads, bool per_network,
                           const MapperOptions& mapper = {});
// The same, writing into caller-owned buffers (no copy; used by the Python bindings).
void evaluate_batch_into(const std::vector<Arch>& configs, const std::vector<Layer>& layers,
                         const EnergyTable& table, int threads, bool per_network,
                         const BatchView& out, const MapperOptions& mapper = {});

int default_threads() noexcept;

}  // namespace tldse
