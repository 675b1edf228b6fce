#include "tldse/batch.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <stdexcept>
#include <thread>

#include "tldse/cost_model.hpp"

namespace tldse {

int default_threads() noexcept {
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
}

std::vector<Arch> parse_configs(const double* data, std::int64_t n, std::int64_t width) {
    if (width != kConfigWidth) {
        throw std::invalid_argument("configs must have " + std::to_string(kConfigWidth) +
                                    " columns, got " + std::to_string(width));
    }
    std::vector<Arch> out;
    out.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
        try {
            out.push_back(Arch::from_row(data + i * width));
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument("configs row " + std::to_string(i) + ": " + e.what());
        }
    }
    return out;
}

std::vector<Layer> parse_layers(const std::int64_t* data, std::int64_t m, std::int64_t width) {
    if (width != kLayerWidth) {
        throw std::invalid_argument("layers must have " + std::to_string(kLayerWidth) +
                                    " columns, got " + std::to_string(width));
    }
    std::vector<Layer> out;
    out.reserve(static_cast<std::size_t>(m));
    for (std::int64_t i = 0; i < m; ++i) {
        try {
            out.push_back(Layer::from_row(data + i * width));
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument("layers row " + std::to_string(i) + ": " + e.what());
        }
    }
    return out;
}

namespace {

void store(const LayerResult& r, double weight, double* acc) {
    const double v[kNumResultFields] = {
        r.latency_cycles,
        r.compute_cycles,
        r.stall_cycles,
        r.energy_pj,
        r.utilization,
        r.macs,
        r.accesses.level_reads(kDram),
        r.accesses.level_writes(kDram),
        r.accesses.level_reads(kGlb),
        r.accesses.level_writes(kGlb),
        r.accesses.level_reads(kNoc) + r.accesses.level_writes(kNoc),
        r.accesses.level_reads(kRf),
        r.accesses.level_writes(kRf),
        0.0,  // dram_bytes, filled by the caller
        r.leakage_energy_pj,
    };
    for (int f = 0; f < kNumResultFields; ++f) acc[f] += weight * v[f];
}

}  // namespace

BatchOutput evaluate_batch(const std::vector<Arch>& configs, const std::vector<Layer>& layers,
                           const EnergyTable& table, int threads, bool per_network,
                           const MapperOptions& mapper) {
    BatchOutput out;
    out.n_configs = static_cast<std::int64_t>(configs.size());
    out.n_layers = per_network ? 1 : static_cast<std::int64_t>(layers.size());
    out.values.assign(static_cast<std::size_t>(kNumResultFields * out.n_configs * out.n_layers), 0.0);
    out.status.assign(static_cast<std::size_t>(out.n_configs * out.n_layers), 0);
    out.area_um2.assign(static_cast<std::size_t>(out.n_configs), 0.0);
    evaluate_batch_into(configs, layers, table, threads, per_network,
                        BatchView{out.values.data(), out.status.data(), out.area_um2.data()},
                        mapper);
    return out;
}

void evaluate_batch_into(const std::vector<Arch>& configs, const std::vector<Layer>& layers,
                         const EnergyTable& table, int threads, bool per_network,
                         const BatchView& out, const MapperOptions& mapper) {
    table.validate();
    const std::int64_t nc = static_cast<std::int64_t>(configs.size());
    const std::int64_t m = static_cast<std::int64_t>(layers.size());
    const std::int64_t nl = per_network ? 1 : m;
    if (nc == 0 || m == 0) return;

    // Warm the tiling cache once per layer so that workers only read it.
    std::vector<std::shared_ptr<const std::vector<GlbTile>>> warm;
    warm.reserve(layers.size());
    for (const auto& l : layers) warm.push_back(glb_tilings(l));

    const double nan = std::numeric_limits<double>::quiet_NaN();
    auto work = [&](std::int64_t begin, std::int64_t end) {
        double acc[kNumResultFields];
        for (std::int64_t i = begin; i < end; ++i) {
            const Arch& a = configs[static_cast<std::size_t>(i)];
            out.area_um2[i] = table.area_um2(a);
            const GlbCapacity cap = GlbCapacity::of(a);
            std::int32_t net_status = 0;
            std::fill(std::begin(acc), std::end(acc), 0.0);
            for (std::int64_t j = 0; j < m; ++j) {
                const Layer& L = layers[static_cast<std::size_t>(j)];
                const LayerResult r = evaluate_layer(a, L, table, *warm[static_cast<std::size_t>(j)], mapper);
                const double w = per_network ? static_cast<double>(L.count) : 1.0;
                if (!per_network) std::fill(std::begin(acc), std::end(acc), 0.0);
                store(r, w, acc);
                if (r.status == Status::ok) {
                    acc[13] += w * cap.dram_bytes(r.tiling);
                } else {
                    acc[13] = nan;
                }
                const auto st = static_cast<std::int32_t>(r.status);
                if (!per_network) {
                    for (int f = 0; f < kNumResultFields; ++f) {
                        out.values[(f * nc + i) * nl + j] = acc[f];
                    }
                    out.status[i * nl + j] = st;
                } else if (net_status == 0 && st != 0) {
                    net_status = st;
                }
            }
            if (per_network) {
                // Network utilization: total MACs over total busy PE-cycles (each layer's
                // busy cycles are compute_cycles + 1; see cost_model.cpp).
                double layers_run = 0;
                for (const auto& L : layers) layers_run += static_cast<double>(L.count);
                const double busy = busy_cycles(a, acc[1]) + (a.dataflow == Dataflow::rs
                                                                  ? 0.0
                                                                  : layers_run - 1);
                acc[4] = acc[5] / (busy * static_cast<double>(a.num_pes()));
                if (net_status != 0) {
                    for (int f = 0; f < kNumResultFields; ++f) {
                        if (f != 5) acc[f] = nan;
                    }
                }
                for (int f = 0; f < kNumResultFields; ++f) {
                    out.values[f * nc + i] = acc[f];
                }
                out.status[i] = net_status;
            }
        }
    };

    int nt = threads <= 0 ? default_threads() : threads;
    nt = static_cast<int>(std::min<std::int64_t>(nt, nc));
    if (nt <= 1) {
        work(0, nc);
        return;
    }
    // Dynamic chunks keep threads busy when configs differ in cost.
    std::atomic<std::int64_t> next{0};
    const std::int64_t chunk = std::max<std::int64_t>(1, std::min<std::int64_t>(256, nc / (nt * 8)));
    std::exception_ptr error;
    std::atomic<bool> failed{false};
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(nt));
    for (int t = 0; t < nt; ++t) {
        pool.emplace_back([&] {
            try {
                for (;;) {
                    const std::int64_t b = next.fetch_add(chunk);
                    if (b >= nc || failed.load()) break;
                    work(b, std::min(nc, b + chunk));
                }
            } catch (...) {
                if (!failed.exchange(true)) error = std::current_exception();
            }
        });
    }
    for (auto& th : pool) th.join();
    if (error) std::rethrow_exception(error);
}

}  // namespace tldse
