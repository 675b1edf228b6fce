// The standalone fuzz driver (any compiler; built with the sanitizers in .ci/sanitizers
// and .ci/fuzz when clang's libFuzzer is not there):
//
//   tldse_fuzz_driver [--mutations N] [--seconds S] [--seed X] PATH...
//
// Every PATH is a folder named by a reader (topology, cfg, arch, energy), or a folder of
// such folders (tests/cpp/fuzz/corpus, tests/cpp/fuzz/regressions); every file in them is
// read by its reader, then N inputs made by mutating them (deterministic for a seed),
// or as many as fit in S seconds. A crash, a sanitizer report or a broken invariant
// aborts; otherwise it prints what it ran and exits 0.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_readers.hpp"

namespace {

namespace fs = std::filesystem;
using tldse_fuzz::Kind;

struct Input {
    Kind kind;
    std::string path;
    std::string data;
};

bool kind_of(const std::string& name, Kind* kind) {
    for (int k = 0; k < 4; ++k) {
        if (name == tldse_fuzz::kKindNames[k]) {
            *kind = static_cast<Kind>(k);
            return true;
        }
    }
    return false;
}

void collect(const fs::path& dir, std::vector<Input>& out) {
    Kind kind{};
    if (kind_of(dir.filename().string(), &kind)) {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(dir)) {
            if (e.is_regular_file()) files.push_back(e.path());
        }
        std::sort(files.begin(), files.end());  // a fixed order: deterministic runs
        for (const auto& f : files) {
            std::ifstream in(f, std::ios::binary);
            out.push_back({kind, f.string(), std::string(std::istreambuf_iterator<char>(in), {})});
        }
        return;
    }
    std::vector<fs::path> subdirs;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.is_directory()) subdirs.push_back(e.path());
    }
    std::sort(subdirs.begin(), subdirs.end());
    for (const auto& d : subdirs) collect(d, out);
}

// xorshift64*: a small generator with a fixed sequence per seed.
struct Rng {
    std::uint64_t s;
    std::uint64_t next() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 2685821657736338717ULL;
    }
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
};

// Pieces that make readers take other paths: separators, section syntax, numbers at
// the edges, keys, and byte sequences that are not valid UTF-8.
const std::vector<std::string> kTokens = {",",
                                          "\n",
                                          "\r\n",
                                          "=",
                                          ":",
                                          "[",
                                          "]",
                                          "#",
                                          ";",
                                          "\"",
                                          " ",
                                          ",,,,,,,,",
                                          "0",
                                          "-1",
                                          "1.5",
                                          "16.0",
                                          "1e308",
                                          "1e-320",
                                          "2147483647",
                                          "2147483648",
                                          "9007199254740993",
                                          "0x10",
                                          "nan",
                                          "inf",
                                          "1_000",
                                          "+",
                                          "DP",
                                          "2:4",
                                          "kind",
                                          "conv",
                                          "dwconv",
                                          "gemm",
                                          "groups",
                                          "count",
                                          "pad_h",
                                          "name",
                                          "Layer name, IFMAP Height, IFMAP Width, Filter "
                                          "Height, Filter Width, Channels, Num Filter, Strides,",
                                          "Layer, M, N, K,",
                                          "[architecture_presets]",
                                          "[layout]",
                                          "[run_presets]",
                                          "[sparsity]",
                                          "InterfaceBandwidth: CALC",
                                          "InterfaceBandwidth: USER",
                                          "Bandwidth",
                                          "ArrayHeight",
                                          "IfmapSRAMBankBandwidth",
                                          "IfmapSRAMBankNum",
                                          "IfmapCustomLayout: True",
                                          "Dataflow",
                                          "dataflow = rs",
                                          "multicast = maybe",
                                          "glb_bytes",
                                          "pe_rows",
                                          "dram_pj",
                                          "ref_bits",
                                          "\xC0\xAF",
                                          "\xE0\x80\xAF",
                                          "\xED\xA0\x80",
                                          "\xF4\x90\x80\x80",
                                          "\xFF",
                                          "\x1B[31m",
                                          "\xC2\x9B",
                                          "\xEF\xBB\xBF",
                                          std::string(1, '\0')};

std::string mutate(const std::string& base, const std::vector<Input>& pool, Rng& rng) {
    std::string s = base;
    const int steps = 1 + static_cast<int>(rng.below(4));
    for (int k = 0; k < steps; ++k) {
        const std::size_t at = rng.below(s.size() + 1);
        switch (rng.below(7)) {
            case 0:  // flip a bit
                if (!s.empty()) s[rng.below(s.size())] ^= static_cast<char>(1 << rng.below(8));
                break;
            case 1:  // insert a token
                s.insert(at, kTokens[rng.below(kTokens.size())]);
                break;
            case 2:  // delete a range
                s.erase(at, rng.below(16) + 1);
                break;
            case 3: {  // duplicate a range (a line given twice, a longer number)
                const std::string piece = s.substr(at, rng.below(64) + 1);
                s.insert(rng.below(s.size() + 1), piece);
                break;
            }
            case 4: {  // splice in part of another input
                const std::string& other = pool[rng.below(pool.size())].data;
                const std::size_t from = rng.below(other.size() + 1);
                s.insert(at, other.substr(from, rng.below(128) + 1));
                break;
            }
            case 5:  // replace a byte with a digit or a separator
                if (!s.empty()) s[rng.below(s.size())] = "0123456789,=:.-e\n"[rng.below(17)];
                break;
            default:  // replace a token
                if (!s.empty()) {
                    const std::string& t = kTokens[rng.below(kTokens.size())];
                    s.replace(rng.below(s.size()), t.size(), t);
                }
                break;
        }
        if (s.size() > 65536) s.resize(65536);
    }
    return s;
}

void run(const Input& in) {
    tldse_fuzz::fuzz_one(in.kind, reinterpret_cast<const std::uint8_t*>(in.data.data()),
                         in.data.size());
}

}  // namespace

int main(int argc, char** argv) {
    long long mutations = 0;
    double seconds = 0;
    std::uint64_t seed = 1;
    std::vector<Input> inputs;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "--mutations" || a == "--seconds" || a == "--seed") && i + 1 < argc) {
            const std::string v = argv[++i];
            if (a == "--mutations") mutations = std::atoll(v.c_str());
            if (a == "--seconds") seconds = std::atof(v.c_str());
            if (a == "--seed") seed = std::strtoull(v.c_str(), nullptr, 10);
        } else if (fs::is_directory(a)) {
            collect(a, inputs);
        } else {
            std::fprintf(stderr, "tldse_fuzz_driver: not a folder: %s\n", a.c_str());
            return 2;
        }
    }
    if (inputs.empty()) {
        std::fprintf(stderr,
                     "tldse_fuzz_driver: no inputs (folders named topology, cfg, arch, "
                     "energy, or folders of them)\n");
        return 2;
    }
    for (const auto& in : inputs) run(in);
    std::vector<long long> per_kind(4, 0);
    for (const auto& in : inputs) ++per_kind[static_cast<int>(in.kind)];
    Rng rng{seed * 0x9E3779B97F4A7C15ULL + 1};
    const auto start = std::chrono::steady_clock::now();
    long long done = 0;
    for (;; ++done) {
        if (seconds > 0) {
            const std::chrono::duration<double> t = std::chrono::steady_clock::now() - start;
            if (t.count() >= seconds) break;
        } else if (done >= mutations) {
            break;
        }
        const Input& base = inputs[rng.below(inputs.size())];
        run({base.kind, base.path, mutate(base.data, inputs, rng)});
    }
    std::printf(
        "tldse_fuzz_driver: %zu corpus inputs (topology %lld, cfg %lld, arch %lld, "
        "energy %lld), %lld mutated inputs, seed %llu: no failure\n",
        inputs.size(), per_kind[0], per_kind[1], per_kind[2], per_kind[3], done,
        static_cast<unsigned long long>(seed));
    return 0;
}
