// The batch layer: per-pair results equal single evaluations, the per-network reduction
// (hand-computed), threading (identical results for any thread count, an exception in a
// worker, threads that cannot be created, the thread bound), statuses for results that
// overflow, and the tiling cache's byte bound.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <new>
#include <random>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "check.hpp"
#include "fixtures.hpp"
#include "tldse/batch.hpp"
#include "tldse/glb_tiling.hpp"
#include "tldse/mapper.hpp"

using namespace tldse;
using fixtures::conv;

namespace {

std::vector<Arch> random_archs(int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<Arch> out;
    for (int i = 0; i < n; ++i) {
        Arch a;
        a.dataflow = static_cast<Dataflow>(rng() % 4);
        a.pe_rows = std::int64_t{1} << (1 + rng() % 5);
        a.pe_cols = std::int64_t{1} << (1 + rng() % 5);
        a.rf_bytes = static_cast<double>(16 << (rng() % 5));
        a.glb_bytes = static_cast<double>(1 << (12 + rng() % 8));
        a.dram_bw = 1 + rng() % 32;
        a.weight_bits = (rng() % 2) ? 8 : 16;
        a.multicast = rng() % 2;
        if (rng() % 5 == 0) {  // a partitioned GLB now and then
            a.glb_weight_bytes = a.glb_input_bytes = a.glb_output_bytes = a.glb_bytes / 4;
        }
        out.push_back(a);
    }
    return out;
}

std::vector<Layer> some_layers() {
    return {conv(1, 64, 3, 56, 56, 7, 7, 2, 3), conv(1, 128, 64, 28, 28, 3, 3, 1, 1),
            conv(2, 32, 32, 14, 14, 3, 3, 1, 1, 32), Layer::gemm(16, 300, 512),
            conv(1, 256, 128, 7, 7, 1, 1)};
}

bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

struct Out {
    std::vector<double> values;
    std::vector<std::int32_t> status;
    std::vector<double> area;
};

Out run(const std::vector<Arch>& archs, const std::vector<Layer>& layers, int threads,
        bool per_network, const EnergyTable& tab = {}, MapperOptions opts = {}) {
    const std::size_t n = archs.size(), m = per_network ? 1 : layers.size();
    Out o{std::vector<double>(kNumResultFields * n * m), std::vector<std::int32_t>(n * m),
          std::vector<double>(n)};
    evaluate_batch_into(archs, layers, tab, threads, per_network,
                        {o.values.data(), o.status.data(), o.area.data()}, opts);
    return o;
}

}  // namespace

TEST_CASE(batch_equals_single_evaluations) {
    const auto archs = random_archs(300, 1);
    auto layers = some_layers();
    layers[1].count = 3;
    const EnergyTable tab;
    const Out o = run(archs, layers, 2, false);
    const std::size_t n = archs.size(), m = layers.size();
    for (std::size_t i = 0; i < n; ++i) {
        CHECK_EQ(o.area[i], tab.area_um2(archs[i]));
        for (std::size_t j = 0; j < m; ++j) {
            const LayerResult r = evaluate_layer(archs[i], layers[j], tab);
            double v[kNumResultFields];
            result_fields(r, v);
            CHECK_EQ(o.status[i * m + j], static_cast<std::int32_t>(r.status));
            for (int f = 0; f < kNumResultFields; ++f) {
                CHECK(same(o.values[(f * n + i) * m + j], v[f]));
            }
        }
    }
    SECTION("per network = NetworkTotals over the layers");
    const Out net = run(archs, layers, 2, true);
    for (std::size_t i = 0; i < n; ++i) {
        NetworkTotals t;
        for (const auto& L : layers) {
            t.add(evaluate_layer(archs[i], L, tab), static_cast<double>(L.count));
        }
        double v[kNumResultFields];
        t.finish(archs[i], v);
        CHECK_EQ(net.status[i], static_cast<std::int32_t>(t.status()));
        for (int f = 0; f < kNumResultFields; ++f) CHECK(same(net.values[f * n + i], v[f]));
    }
}

TEST_CASE(network_reduction_hand) {
    // Two ws layers on a 4x4 array; by hand: sums weighted by count, utilization =
    // MACs / ((sum of count x (compute + 1)) x PEs).
    Arch a;
    a.pe_rows = a.pe_cols = 4;
    Layer l1 = conv(1, 4, 4, 4, 4, 1, 1);  // 256 MACs
    Layer l2 = Layer::gemm(8, 4, 4);       // 128 MACs
    l2.count = 2;
    const EnergyTable tab;
    const LayerResult r1 = evaluate_layer(a, l1, tab), r2 = evaluate_layer(a, l2, tab);
    NetworkTotals t;
    t.add(r1, 1);
    t.add(r2, 2);
    double v[kNumResultFields];
    t.finish(a, v);
    CHECK_EQ(v[kMacs], 256.0 + 2 * 128.0);
    CHECK_EQ(v[kLatencyCycles], r1.latency_cycles + 2 * r2.latency_cycles);
    CHECK_EQ(v[kEnergyPj], r1.energy_pj + 2 * r2.energy_pj);
    const double busy = (r1.compute_cycles + 1) + 2 * (r2.compute_cycles + 1);
    CHECK_NEAR(v[kUtilization], 512.0 / (busy * 16));
    SECTION("a failed layer makes the network NaN but for its MACs");
    LayerResult bad = failed_result(Status::does_not_fit, 10);
    t.add(bad, 1);
    t.finish(a, v);
    CHECK(t.status() == Status::does_not_fit);
    CHECK_EQ(v[kMacs], 522.0);
    CHECK(std::isnan(v[kLatencyCycles]) && std::isnan(v[kUtilization]));
}

TEST_CASE(batch_threads) {
    const auto archs = random_archs(200, 2);
    const auto layers = some_layers();
    const Out one = run(archs, layers, 1, false, {}, {Objective::energy, MapperMode::heuristic});
    for (int threads : {2, 3, 7}) {
        const Out many =
            run(archs, layers, threads, false, {}, {Objective::energy, MapperMode::heuristic});
        CHECK(many.status == one.status);
        bool equal = true;
        for (std::size_t k = 0; k < one.values.size(); ++k) {
            equal = equal && same(one.values[k], many.values[k]);
        }
        CHECK(equal);
    }
    SECTION("the thread bound");
    CHECK_THROWS(check_threads(kMaxThreads + 1), "threads", "1024");
    CHECK_THROWS(check_threads(-1), "threads");
    CHECK_THROWS(run(archs, layers, 5000, false), "threads must be in [0, 1024]");
}

TEST_CASE(parallel_for_failures) {
    {
        SECTION("an exception in a worker is rethrown after every thread joined");
        std::atomic<int> done{0};
        bool thrown = false;
        try {
            parallel_for(1000, 4, 10, [&](std::int64_t b, std::int64_t) {
                if (b == 500) throw std::runtime_error("worker failed");
                ++done;
            });
        } catch (const std::runtime_error& e) {
            thrown = std::string(e.what()) == "worker failed";
        }
        CHECK(thrown);
        CHECK(done.load() < 100);
    }
    {
        SECTION("threads that cannot be created: the work is done by fewer");
        int spawned = 0;
        const SpawnThread fail_after_one = [&](std::function<void()> fn) {
            if (spawned++ >= 1) {
                throw std::system_error(
                    std::make_error_code(std::errc::resource_unavailable_try_again));
            }
            return std::thread(std::move(fn));
        };
        std::vector<int> hit(5000, 0);
        parallel_for(
            5000, 8, 7,
            [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t i = b; i < e; ++i) ++hit[static_cast<std::size_t>(i)];
            },
            fail_after_one);
        CHECK(std::all_of(hit.begin(), hit.end(), [](int h) { return h == 1; }));
        CHECK_EQ(spawned, 2);  // one thread started, the second attempt failed
        const SpawnThread never = [](std::function<void()>) -> std::thread {
            throw std::system_error(
                std::make_error_code(std::errc::resource_unavailable_try_again));
        };
        std::fill(hit.begin(), hit.end(), 0);
        parallel_for(
            5000, 8, 7,
            [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t i = b; i < e; ++i) ++hit[static_cast<std::size_t>(i)];
            },
            never);
        CHECK(std::all_of(hit.begin(), hit.end(), [](int h) { return h == 1; }));
        const SpawnThread out_of_memory = [](std::function<void()>) -> std::thread {
            throw std::bad_alloc();
        };
        std::fill(hit.begin(), hit.end(), 0);
        parallel_for(
            5000, 3, 7,
            [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t i = b; i < e; ++i) ++hit[static_cast<std::size_t>(i)];
            },
            out_of_memory);
        CHECK(std::all_of(hit.begin(), hit.end(), [](int h) { return h == 1; }));
    }
}

TEST_CASE(nonfinite_results) {
    Arch a;
    const std::vector<Layer> layers = {conv(1, 64, 64, 28, 28, 3, 3, 1, 1)};
    {
        SECTION("a huge energy-table entry");  // 1e308 pJ x 32/8 overflows; 0 x inf is NaN
        EnergyTable tab;
        tab.dram_pj = 1e308;
        const LayerResult r = evaluate_layer(a, layers[0], tab);
        CHECK(r.status == Status::nonfinite_energy);
        CHECK(std::isnan(r.energy_pj) && std::isnan(r.latency_cycles));
        const Out o = run({a}, layers, 1, false, tab);
        CHECK_EQ(o.status[0], static_cast<std::int32_t>(Status::nonfinite_energy));
        CHECK_EQ(std::string(status_name(Status::nonfinite_energy)), "nonfinite_energy");
    }
    {
        SECTION("a huge buffer");  // area 5.6 um^2/B x 1e308 B = inf
        Arch big = a;
        big.glb_bytes = 1e308;
        const LayerResult r = evaluate_layer(big, layers[0], EnergyTable{});
        CHECK(r.status == Status::nonfinite_area);
        const Out o = run({big, a}, layers, 1, true);
        CHECK_EQ(o.status[0], static_cast<std::int32_t>(Status::nonfinite_area));
        CHECK_EQ(o.status[1], 0);
    }
    {
        SECTION("a latency that overflows");  // a tiny bandwidth: 1e-6 B/cycle is allowed
        Arch slow = a;
        slow.dram_bw = 1e-6;
        EnergyTable tab;
        tab.leakage_mw_per_mm2 = 1e298;  // finite per cycle; x latency, the energy overflows
        CHECK(evaluate_layer(slow, layers[0], tab).status == Status::nonfinite_energy);
    }
}

TEST_CASE(tiling_cache_bound) {
    const std::size_t saved = tiling_cache_limit();
    clear_tiling_cache();
    const std::size_t limit = std::size_t{2} << 20;  // 2 MiB
    set_tiling_cache_limit(limit);
    std::size_t entries_seen = 0;
    for (int i = 0; i < 400; ++i) {  // 400 distinct shapes, far more than 2 MiB of tilings
        const Layer L = conv(1, 32 + i, 64, 28, 28, 3, 3, 1, 1);
        const auto t = glb_tilings(L);
        CHECK(!t->empty());
        entries_seen = std::max(entries_seen, tiling_cache_stats().entries);
    }
    const TilingCacheStats s = tiling_cache_stats();
    CHECK(s.peak_bytes <= limit);
    CHECK(s.bytes <= limit);
    CHECK(entries_seen > 10);
    CHECK(s.entries < 400);
    SECTION("an entry found again is the same object");
    const Layer L = conv(1, 7, 7, 7, 7, 3, 3);
    CHECK(glb_tilings(L) == glb_tilings(L));
    set_tiling_cache_limit(saved);
}
