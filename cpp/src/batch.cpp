#include "tldse/batch.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

namespace tldse {

int default_threads() noexcept {
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(std::min<unsigned>(hw, kMaxThreads));
}

void check_threads(int threads) {
    if (threads < 0 || threads > kMaxThreads) {
        throw std::invalid_argument("threads must be in [0, " + std::to_string(kMaxThreads) +
                                    "] (0 = all cores), got " + std::to_string(threads));
    }
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

void result_fields(const LayerResult& r, double* v) {
    const auto& A = r.accesses;
    v[kLatencyCycles] = r.latency_cycles;
    v[kComputeCycles] = r.compute_cycles;
    v[kStallCycles] = r.stall_cycles;
    v[kEnergyPj] = r.energy_pj;
    v[kUtilization] = r.utilization;
    v[kMacs] = r.macs;
    v[kDramReads] = A.level_reads(kDram);
    v[kDramWrites] = A.level_writes(kDram);
    v[kGlbReads] = A.level_reads(kGlb);
    v[kGlbWrites] = A.level_writes(kGlb);
    v[kNocTransfers] = A.level_reads(kNoc) + A.level_writes(kNoc);
    v[kRfReads] = A.level_reads(kRf);
    v[kRfWrites] = A.level_writes(kRf);
    v[kDramBytes] = r.dram_bytes;
    v[kLeakageEnergyPj] = r.leakage_energy_pj;
}

void extended_fields(const LayerResult& r, const Layer& L, double* v) {
    if (r.status != Status::ok) {
        std::fill(v, v + kNumExtendedFields, std::numeric_limits<double>::quiet_NaN());
        return;
    }
    v[kDramCycles] = r.dram_cycles;
    v[kGlbCycles] = r.glb_cycles;
    v[kDramStallCycles] = std::max(0.0, r.dram_cycles - r.compute_cycles);
    v[kGlbStallCycles] = std::max(0.0, r.glb_cycles - r.compute_cycles);
    v[kBound] = static_cast<double>(r.bound);
    const auto& E = r.energy_level_tensor_pj;
    v[kMacEnergyPj] = r.mac_energy_pj;
    const int level_field[4] = {kDramEnergyPj, kGlbEnergyPj, kNocEnergyPj, kRfEnergyPj};
    for (int l = 0; l < 4; ++l) v[level_field[l]] = E[l][0] + E[l][1] + E[l][2];
    for (int t = 0; t < 3; ++t) {
        v[kWeightEnergyPj + t] = E[kDram][t] + E[kGlb][t] + E[kNoc][t] + E[kRf][t];
        v[kDramWeightBytes + t] = r.dram_bytes_by_tensor[t];
        v[kGlbWeightBytes + t] = r.glb_bytes_by_tensor[t];
    }
    const GlbTile& tile = r.tiling;
    const std::int64_t F = L.k_per_group(), C = L.c_per_group();
    v[kRowTiles] = static_cast<double>(tile.rows <= L.p ? L.n * ((L.p + tile.rows - 1) / tile.rows)
                                                        : (L.n + tile.rows / L.p - 1) / (tile.rows / L.p));
    v[kFilterTiles] = static_cast<double>((F + tile.filters - 1) / tile.filters);
    v[kChannelTiles] = static_cast<double>((C + tile.channels - 1) / tile.channels);
    std::array<std::uint8_t, 3> order{0, 1, 2};
    int code = 0;
    while (order != tile.order && std::next_permutation(order.begin(), order.end())) ++code;
    v[kLoopOrder] = code;
    v[kRsP] = static_cast<double>(r.rs.p);
    v[kRsQ] = static_cast<double>(r.rs.q);
    v[kRsTf] = static_cast<double>(r.rs.tf);
    v[kRsTc] = static_cast<double>(r.rs.tc);
}

void NetworkTotals::add(const LayerResult& r, double count) {
    double v[kNumResultFields];
    result_fields(r, v);
    for (int f = 0; f < kNumResultFields; ++f) acc_[f] += count * v[f];
    layers_run_ += count;
    if (status_ == Status::ok) status_ = r.status;
}

void NetworkTotals::finish(const Arch& a, double* out) const {
    std::copy(acc_.begin(), acc_.end(), out);
    // Network utilization: total MACs over total busy PE-cycles (systolic layers are busy
    // compute_cycles + 1 each).
    const double busy =
        busy_cycles(a, acc_[kComputeCycles]) + (a.dataflow == Dataflow::rs ? 0.0 : layers_run_ - 1);
    out[kUtilization] = acc_[kMacs] / (busy * static_cast<double>(a.num_pes()));
    if (status_ != Status::ok) {
        for (int f = 0; f < kNumResultFields; ++f) {
            if (f != kMacs) out[f] = std::numeric_limits<double>::quiet_NaN();
        }
    }
}

void parallel_for(std::int64_t n, int threads, std::int64_t chunk,
                  const std::function<void(std::int64_t, std::int64_t)>& work,
                  const SpawnThread& spawn) {
    if (n <= 0) return;
    chunk = std::max<std::int64_t>(1, chunk);
    const int nt = static_cast<int>(std::min<std::int64_t>(std::max(threads, 1), n));
    std::atomic<std::int64_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    auto loop = [&] {
        try {
            for (;;) {
                const std::int64_t b = next.fetch_add(chunk);
                if (b >= n || failed.load()) break;
                work(b, std::min(n, b + chunk));
            }
        } catch (...) {
            if (!failed.exchange(true)) error = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(nt - 1));
    for (int t = 1; t < nt; ++t) {
        try {
            pool.push_back(spawn ? spawn(loop) : std::thread(loop));
        } catch (const std::system_error&) {
            break;  // no more threads: those started and this one do the work
        }
    }
    loop();
    for (auto& th : pool) th.join();
    if (error) std::rethrow_exception(error);
}

void evaluate_batch_into(const std::vector<Arch>& configs, const std::vector<Layer>& layers,
                         const EnergyTable& table, int threads, bool per_network,
                         const BatchView& out, const MapperOptions& mapper) {
    check_threads(threads);
    if (per_network && out.extended != nullptr) {
        throw std::invalid_argument(
            "extended outputs are per (design, layer): use per_network=False");
    }
    table.validate();
    const std::int64_t nc = static_cast<std::int64_t>(configs.size());
    const std::int64_t m = static_cast<std::int64_t>(layers.size());
    const std::int64_t nl = per_network ? 1 : m;
    if (nc == 0 || m == 0) return;

    // The tilings of every layer, held for the whole call (workers only read them).
    std::vector<std::shared_ptr<const GlbTilings>> tilings;
    tilings.reserve(layers.size());
    for (const auto& l : layers) tilings.push_back(glb_tilings(l));

    std::vector<RsBlockSizes> rs_sizes;
    if (std::any_of(configs.begin(), configs.end(),
                    [](const Arch& a) { return a.dataflow == Dataflow::rs; })) {
        for (const auto& l : layers) rs_sizes.push_back(rs_block_sizes(l));
    }

    // Staircases for the word widths that many shared-GLB designs use (one binary search
    // per pair instead of a scan of the candidates).
    constexpr std::int64_t kMinDesignsPerStaircase = 32;
    constexpr std::size_t kMaxWidths = 8;
    std::map<std::array<int, 3>, std::int64_t> width_count;
    for (const auto& a : configs) {
        if (!a.partitioned_glb()) ++width_count[{a.weight_bits, a.act_bits, a.psum_bits}];
    }
    std::map<std::array<int, 3>, std::size_t> width_index;
    for (const auto& [w, count] : width_count) {
        if (count >= kMinDesignsPerStaircase && width_index.size() < kMaxWidths) {
            width_index.emplace(w, width_index.size());
        }
    }
    std::vector<std::unique_ptr<GlbStaircase>> stairs;  // [width][layer]
    for (const auto& [w, index] : width_index) {
        (void)index;  // map order = index order
        const GlbCapacity cap = GlbCapacity::of([&] {
            Arch a;
            a.weight_bits = w[0];
            a.act_bits = w[1];
            a.psum_bits = w[2];
            return a;
        }());
        for (const auto& t : tilings) {
            stairs.push_back(std::make_unique<GlbStaircase>(*t, cap.bytes_per_elem));
        }
    }

    // Designs sharing word widths and GLB size share every layer's tiling: when few
    // (widths, size) pairs cover the configs, choose each pair's tilings once.
    constexpr std::size_t kMaxChoices = std::size_t{1} << 20;  // table entries
    std::map<std::pair<std::size_t, double>, std::size_t> choice_row;
    std::vector<std::int64_t> row_of(static_cast<std::size_t>(nc), -1);
    for (std::int64_t i = 0; i < nc; ++i) {
        const Arch& a = configs[static_cast<std::size_t>(i)];
        if (a.partitioned_glb()) continue;
        const auto w = width_index.find({a.weight_bits, a.act_bits, a.psum_bits});
        if (w == width_index.end()) continue;
        const auto it = choice_row.emplace(std::make_pair(w->second, a.glb_bytes), choice_row.size());
        row_of[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(it.first->second);
    }
    std::vector<const GlbTile*> choices;
    if (choice_row.size() * static_cast<std::size_t>(m) <= kMaxChoices &&
        static_cast<std::int64_t>(choice_row.size()) * 4 <= nc) {
        choices.resize(choice_row.size() * static_cast<std::size_t>(m));
        for (const auto& [key, row] : choice_row) {
            for (std::size_t j = 0; j < static_cast<std::size_t>(m); ++j) {
                choices[row * static_cast<std::size_t>(m) + j] =
                    stairs[key.first * static_cast<std::size_t>(m) + j]->best(key.second);
            }
        }
    }

    auto work = [&](std::int64_t begin, std::int64_t end) {
        double v[kNumResultFields];
        for (std::int64_t i = begin; i < end; ++i) {
            const Arch& a = configs[static_cast<std::size_t>(i)];
            const DesignContext ctx(a, table);
            out.area_um2[i] = table.area_um2(a);
            bool stair = false;
            std::size_t stair_base = 0;
            if (!a.partitioned_glb()) {
                const auto it = width_index.find({a.weight_bits, a.act_bits, a.psum_bits});
                if (it != width_index.end()) {
                    stair = true;
                    stair_base = it->second * static_cast<std::size_t>(m);
                }
            }
            const std::int64_t row = choices.empty() ? -1 : row_of[static_cast<std::size_t>(i)];
            NetworkTotals totals;
            for (std::int64_t j = 0; j < m; ++j) {
                const auto ju = static_cast<std::size_t>(j);
                const Layer& L = layers[ju];
                const GlbTile* tile =
                    row >= 0 ? choices[static_cast<std::size_t>(row) * static_cast<std::size_t>(m) + ju]
                             : choose_glb_tiling(ctx, *tilings[ju],
                                                 stair ? stairs[stair_base + ju].get() : nullptr);
                const LayerResult r = evaluate_mapped(ctx, L, tile, mapper,
                                                      rs_sizes.empty() ? nullptr : &rs_sizes[ju]);
                if (per_network) {
                    totals.add(r, static_cast<double>(L.count));
                    continue;
                }
                result_fields(r, v);
                for (int f = 0; f < kNumResultFields; ++f) out.values[(f * nc + i) * nl + j] = v[f];
                if (out.extended != nullptr) {
                    double x[kNumExtendedFields];
                    extended_fields(r, L, x);
                    for (int f = 0; f < kNumExtendedFields; ++f) {
                        out.extended[(f * nc + i) * nl + j] = x[f];
                    }
                }
                out.status[i * nl + j] = static_cast<std::int32_t>(r.status);
            }
            if (per_network) {
                totals.finish(a, v);
                for (int f = 0; f < kNumResultFields; ++f) out.values[f * nc + i] = v[f];
                out.status[i] = static_cast<std::int32_t>(totals.status());
            }
        }
    };
    const int nt = threads == 0 ? default_threads() : threads;
    // Dynamic chunks keep threads busy when configs differ in cost.
    const std::int64_t chunk = std::max<std::int64_t>(1, std::min<std::int64_t>(256, nc / (nt * 8)));
    parallel_for(nc, nt, chunk, work);
}

}  // namespace tldse
