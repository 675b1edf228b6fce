#include "tldse/batch.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

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
    v[kRowTiles] =
        static_cast<double>(tile.rows <= L.p ? L.n * ((L.p + tile.rows - 1) / tile.rows)
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
        } catch (...) {  // std::system_error, or std::bad_alloc for the thread's state
            break;       // no more threads: those started and this one do the work
        }
    }
    loop();
    for (auto& th : pool) th.join();
    if (error) std::rethrow_exception(error);
}

namespace {

// The GLB tiling of every (design, layer) pair of a batch. Designs with a shared GLB and
// word widths that many designs use get a staircase (one binary search instead of a scan
// of the candidates); when few (widths, GLB size) pairs cover the designs, each pair's
// tilings are chosen once, before the threads start. Same choice as choose_glb_tiling.
class GlbChoices {
   public:
    GlbChoices(const std::vector<Arch>& configs,
               const std::vector<std::shared_ptr<const GlbTilings>>& tilings)
        : tilings_(tilings),
          m_(tilings.size()),
          width_of_(configs.size(), kNone),
          row_of_(configs.size(), kNone) {
        constexpr std::size_t kMinDesignsPerStaircase = 32, kMaxWidths = 8;
        constexpr std::size_t kMaxChoices = std::size_t{1} << 20;  // table entries
        std::map<Widths, std::size_t> count;
        for (const auto& a : configs) {
            if (!a.partitioned_glb()) ++count[widths(a)];
        }
        std::map<Widths, std::size_t> index;
        for (const auto& [w, n] : count) {
            if (n < kMinDesignsPerStaircase || index.size() == kMaxWidths) continue;
            index.emplace(w, index.size());
            Arch probe;
            probe.weight_bits = w[0];
            probe.act_bits = w[1];
            probe.psum_bits = w[2];
            const auto bpe = GlbCapacity::of(probe).bytes_per_elem;
            for (const auto& t : tilings)
                stairs_.push_back(std::make_unique<GlbStaircase>(*t, bpe));
        }
        std::map<std::pair<std::size_t, double>, std::size_t> rows;  // (widths, size) -> row
        for (std::size_t i = 0; i < configs.size(); ++i) {
            const Arch& a = configs[i];
            const auto w = index.find(widths(a));
            if (a.partitioned_glb() || w == index.end()) continue;
            width_of_[i] = w->second;
            row_of_[i] =
                rows.emplace(std::make_pair(w->second, a.glb_bytes), rows.size()).first->second;
        }
        if (rows.size() * m_ > kMaxChoices || rows.size() * 4 > configs.size()) {
            std::fill(row_of_.begin(), row_of_.end(), kNone);
            return;
        }
        table_.resize(rows.size() * m_);
        for (const auto& [key, row] : rows) {
            for (std::size_t j = 0; j < m_; ++j) {
                table_[row * m_ + j] = stairs_[key.first * m_ + j]->best(key.second);
            }
        }
    }

    const GlbTile* choose(const DesignContext& ctx, std::int64_t design, std::size_t layer) const {
        const auto i = static_cast<std::size_t>(design);
        if (row_of_[i] != kNone) return table_[row_of_[i] * m_ + layer];
        const GlbStaircase* stair =
            width_of_[i] != kNone ? stairs_[width_of_[i] * m_ + layer].get() : nullptr;
        return choose_glb_tiling(ctx, *tilings_[layer], stair);
    }

   private:
    using Widths = std::array<int, 3>;
    static Widths widths(const Arch& a) { return {a.weight_bits, a.act_bits, a.psum_bits}; }
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

    const std::vector<std::shared_ptr<const GlbTilings>>& tilings_;
    std::size_t m_;
    std::vector<std::unique_ptr<GlbStaircase>> stairs_;  // [widths][layer]
    std::vector<std::size_t> width_of_, row_of_;         // per design
    std::vector<const GlbTile*> table_;                  // [row][layer]
};

}  // namespace

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

    const GlbChoices glb(configs, tilings);

    auto work = [&](std::int64_t begin, std::int64_t end) {
        double v[kNumResultFields];
        for (std::int64_t i = begin; i < end; ++i) {
            const Arch& a = configs[static_cast<std::size_t>(i)];
            const DesignContext ctx(a, table);
            out.area_um2[i] = table.area_um2(a);
            NetworkTotals totals;
            for (std::int64_t j = 0; j < m; ++j) {
                const auto ju = static_cast<std::size_t>(j);
                const Layer& L = layers[ju];
                const LayerResult r = evaluate_mapped(ctx, L, glb.choose(ctx, i, ju), mapper,
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
    const std::int64_t chunk =
        std::max<std::int64_t>(1, std::min<std::int64_t>(256, nc / (nt * 8)));
    parallel_for(nc, nt, chunk, work);
}

}  // namespace tldse
