// A DNN layer as the simulator sees it: a (grouped) 7-deep convolution loop nest.
// GEMM (M x K) * (K x N) is the conv with P = M, Q = 1, R = S = 1, C = K, K = N.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace tldse {

enum class LayerKind : std::int32_t { conv = 0, dwconv = 1, gemm = 2 };

// Column order of the layer table (int64, one row per layer). Keep in step with
// python/tldse/workloads and _core.pyi.
inline constexpr std::array<const char*, 16> kLayerColumns = {
    "kind",     "n",        "k",     "c",     "p",     "q",     "r",      "s",
    "stride_h", "stride_w", "pad_h", "pad_w", "dil_h", "dil_w", "groups", "count"};
inline constexpr int kLayerWidth = static_cast<int>(kLayerColumns.size());

struct Layer {
    LayerKind kind = LayerKind::conv;
    std::int64_t n = 1;  // batch
    std::int64_t k = 1;  // output channels (all groups)
    std::int64_t c = 1;  // input channels (all groups)
    std::int64_t p = 1;  // output height
    std::int64_t q = 1;  // output width
    std::int64_t r = 1;  // filter height
    std::int64_t s = 1;  // filter width
    std::int64_t stride_h = 1, stride_w = 1;
    std::int64_t pad_h = 0, pad_w = 0;
    std::int64_t dil_h = 1, dil_w = 1;
    std::int64_t groups = 1;
    std::int64_t count = 1;  // how many times this shape occurs in the network

    static Layer gemm(std::int64_t m, std::int64_t n, std::int64_t k);

    // Reads one table row; throws std::invalid_argument naming the field on bad values.
    static Layer from_row(const std::int64_t* row);
    void to_row(std::int64_t* row) const;
    // Throws std::invalid_argument("<field> ...") if the layer is malformed.
    void validate() const;

    std::int64_t c_per_group() const { return c / groups; }
    std::int64_t k_per_group() const { return k / groups; }
    // Input rows/cols actually read (padding halo removed), at least 1.
    std::int64_t input_h() const;
    std::int64_t input_w() const;
    // Input rows needed to produce `rows` consecutive output rows (halo included, padding
    // not subtracted).
    std::int64_t input_rows_for(std::int64_t rows) const;
    // Distinct real input rows (padding excluded) that output rows [first, first + rows)
    // read through filter rows [r0, r0 + r_rows): rows skipped by a stride larger than
    // the (dilated) filter are not counted.
    std::int64_t input_rows_read(std::int64_t first, std::int64_t rows, std::int64_t r0,
                                 std::int64_t r_rows) const;
    std::int64_t input_cols_for(std::int64_t cols) const;

    // Per occurrence (count not applied). Inline: the cost model calls it in hot loops.
    double macs() const {
        return static_cast<double>(n) * static_cast<double>(p) * static_cast<double>(q) *
               static_cast<double>(k) * static_cast<double>(c_per_group()) *
               static_cast<double>(r) * static_cast<double>(s);
    }
    double weight_elems() const;
    double input_elems() const;
    double output_elems() const;
    double input_elems_padded() const;  // with the padding halo
};

}  // namespace tldse
