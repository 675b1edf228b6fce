// Batched evaluation: configs[n] x layers[m] -> per-pair or per-network result arrays.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "tldse/arch.hpp"
#include "tldse/cost_model.hpp"
#include "tldse/energy_table.hpp"
#include "tldse/layer.hpp"
#include "tldse/mapper.hpp"

namespace tldse {

// Result fields, in the order of the output block [field][config][layer].
enum ResultField : int {
    kLatencyCycles,
    kComputeCycles,
    kStallCycles,
    kEnergyPj,
    kUtilization,
    kMacs,
    kDramReads,
    kDramWrites,
    kGlbReads,
    kGlbWrites,
    kNocTransfers,
    kRfReads,
    kRfWrites,
    kDramBytes,
    kLeakageEnergyPj,
    kNumResultFields
};
inline constexpr std::array<const char*, kNumResultFields> kResultFields = {
    "latency_cycles", "compute_cycles", "stall_cycles", "energy_pj",  "utilization",
    "macs",           "dram_reads",     "dram_writes",  "glb_reads",  "glb_writes",
    "noc_transfers",  "rf_reads",       "rf_writes",    "dram_bytes", "leakage_energy_pj"};

// The result fields of one layer evaluation (NaN when it failed, MACs always).
void result_fields(const LayerResult& r, double* fields);

// The analytical model's own outputs per (design, layer), for models that learn from them
// (evaluate(..., extended=True); docs/model.md, "Extended outputs"). NaN when the status is
// not ok. Stall cycles by cause: each resource's cycles beyond the compute cycles (the
// stall is the largest of them); energy by level and by tensor (MAC and leakage energy are
// not a tensor's); traffic in bytes by tensor; the GLB tiling as tiles per dimension and
// the loop order; the rs mapping (0 for systolic designs).
enum ExtendedField : int {
    kDramCycles,
    kGlbCycles,
    kDramStallCycles,
    kGlbStallCycles,
    kBound,  // Bound code: 0 compute, 1 DRAM, 2 GLB
    kMacEnergyPj,
    kRfEnergyPj,
    kNocEnergyPj,
    kGlbEnergyPj,
    kDramEnergyPj,
    kWeightEnergyPj,
    kInputEnergyPj,
    kOutputEnergyPj,
    kDramWeightBytes,
    kDramInputBytes,
    kDramOutputBytes,
    kGlbWeightBytes,
    kGlbInputBytes,
    kGlbOutputBytes,
    kRowTiles,
    kFilterTiles,
    kChannelTiles,
    kLoopOrder,  // 0..5: rows/filters/channels outer to inner, in lexicographic order
    kRsP,
    kRsQ,
    kRsTf,
    kRsTc,
    kNumExtendedFields
};
inline constexpr std::array<const char*, kNumExtendedFields> kExtendedFields = {"dram_cycles",
                                                                                "glb_cycles",
                                                                                "dram_stall_cycles",
                                                                                "glb_stall_cycles",
                                                                                "bound",
                                                                                "mac_energy_pj",
                                                                                "rf_energy_pj",
                                                                                "noc_energy_pj",
                                                                                "glb_energy_pj",
                                                                                "dram_energy_pj",
                                                                                "weight_energy_pj",
                                                                                "input_energy_pj",
                                                                                "output_energy_pj",
                                                                                "dram_weight_bytes",
                                                                                "dram_input_bytes",
                                                                                "dram_output_bytes",
                                                                                "glb_weight_bytes",
                                                                                "glb_input_bytes",
                                                                                "glb_output_bytes",
                                                                                "row_tiles",
                                                                                "filter_tiles",
                                                                                "channel_tiles",
                                                                                "loop_order",
                                                                                "rs_p",
                                                                                "rs_q",
                                                                                "rs_tf",
                                                                                "rs_tc"};
inline constexpr std::array<const char*, 3> kBoundNames = {"compute", "dram", "glb"};
void extended_fields(const LayerResult& r, const Layer& layer, double* fields);

// The per-network reduction: every field summed with the layers' count weights, except
// the utilization, which is total MACs / (total busy cycles x PEs), where a layer's busy
// cycles are busy_cycles(arch, compute_cycles) (see docs/model.md). The status is the first
// non-ok layer's; a network with one is NaN everywhere but in macs.
class NetworkTotals {
   public:
    void add(const LayerResult& r, double count);
    void finish(const Arch& arch, double* fields) const;
    Status status() const { return status_; }

   private:
    std::array<double, kNumResultFields> acc_{};
    double layers_run_ = 0;
    Status status_ = Status::ok;
};

// Where evaluate_batch_into writes: caller-owned buffers of
// values [kNumResultFields][n_configs][n_layers], status [n_configs][n_layers] and
// area_um2 [n_configs] (n_layers = 1 when reduced per network).
struct BatchView {
    double* values = nullptr;
    std::int32_t* status = nullptr;
    double* area_um2 = nullptr;
    // Optional, per (config, layer) only: [kNumExtendedFields][n_configs][n_layers].
    double* extended = nullptr;
};

// Parses and validates the tables; throws std::invalid_argument naming row and column.
std::vector<Arch> parse_configs(const double* data, std::int64_t n, std::int64_t width);
std::vector<Layer> parse_layers(const std::int64_t* data, std::int64_t m, std::int64_t width);

// The most worker threads a call may ask for.
inline constexpr int kMaxThreads = 1024;
// Throws std::invalid_argument naming the limit unless 0 <= threads <= kMaxThreads.
void check_threads(int threads);
int default_threads() noexcept;

// Starts a thread running fn (std::thread by default; tests pass one that fails).
using SpawnThread = std::function<std::thread(std::function<void()>)>;

// Runs work(begin, end) over [0, n) in dynamic chunks of `chunk` on up to `threads`
// threads, the calling thread being one of them. A thread that cannot be created is
// done without (the others share its work). The first exception thrown by work stops the
// others after their current chunk and is rethrown once every thread has joined.
void parallel_for(std::int64_t n, int threads, std::int64_t chunk,
                  const std::function<void(std::int64_t, std::int64_t)>& work,
                  const SpawnThread& spawn = {});

// Evaluates every (config, layer) pair with `threads` threads (0 = all cores) into
// caller-owned buffers. When `per_network` is set, layers are reduced by NetworkTotals.
void evaluate_batch_into(const std::vector<Arch>& configs, const std::vector<Layer>& layers,
                         const EnergyTable& table, int threads, bool per_network,
                         const BatchView& out, const MapperOptions& mapper = {});

}  // namespace tldse
