#include "tldse/layer.hpp"

#include <algorithm>
#include <numeric>
#include <vector>
#include <stdexcept>

namespace tldse {

namespace {

// Sizes beyond this are rejected: products of several of them must stay exact in double.
constexpr std::int64_t kMaxDim = std::int64_t{1} << 31;

void require_range(const char* field, std::int64_t v, std::int64_t lo) {
    if (v < lo || v >= kMaxDim) {
        throw std::invalid_argument(std::string(field) + " must be an integer in [" +
                                    std::to_string(lo) + ", 2^31), got " + std::to_string(v));
    }
}

}  // namespace

Layer Layer::gemm(std::int64_t m, std::int64_t n, std::int64_t k) {
    Layer l;
    l.kind = LayerKind::gemm;
    l.p = m;
    l.k = n;
    l.c = k;
    return l;
}

Layer Layer::from_row(const std::int64_t* row) {
    Layer l;
    if (row[0] < 0 || row[0] > 2) {
        throw std::invalid_argument("kind must be 0 (conv), 1 (dwconv) or 2 (gemm), got " +
                                    std::to_string(row[0]));
    }
    l.kind = static_cast<LayerKind>(row[0]);
    l.n = row[1];
    l.k = row[2];
    l.c = row[3];
    l.p = row[4];
    l.q = row[5];
    l.r = row[6];
    l.s = row[7];
    l.stride_h = row[8];
    l.stride_w = row[9];
    l.pad_h = row[10];
    l.pad_w = row[11];
    l.dil_h = row[12];
    l.dil_w = row[13];
    l.groups = row[14];
    l.count = row[15];
    l.validate();
    return l;
}

void Layer::to_row(std::int64_t* row) const {
    const std::int64_t v[] = {static_cast<std::int64_t>(kind), n, k, c, p, q, r, s, stride_h,
                              stride_w, pad_h, pad_w, dil_h, dil_w, groups, count};
    std::copy(std::begin(v), std::end(v), row);
}

void Layer::validate() const {
    require_range("n", n, 1);
    require_range("k", k, 1);
    require_range("c", c, 1);
    require_range("p", p, 1);
    require_range("q", q, 1);
    require_range("r", r, 1);
    require_range("s", s, 1);
    require_range("stride_h", stride_h, 1);
    require_range("stride_w", stride_w, 1);
    require_range("pad_h", pad_h, 0);
    require_range("pad_w", pad_w, 0);
    require_range("dil_h", dil_h, 1);
    require_range("dil_w", dil_w, 1);
    require_range("groups", groups, 1);
    require_range("count", count, 1);
    if (c % groups != 0) throw std::invalid_argument("groups must divide c");
    if (k % groups != 0) throw std::invalid_argument("groups must divide k");
    if (kind == LayerKind::dwconv && groups != c) {
        throw std::invalid_argument("groups must equal c for a dwconv layer");
    }
    if (kind == LayerKind::gemm &&
        (q != 1 || r != 1 || s != 1 || groups != 1 || stride_h != 1 || stride_w != 1 ||
         pad_h != 0 || pad_w != 0 || dil_h != 1 || dil_w != 1)) {
        throw std::invalid_argument(
            "gemm layers use only n, k, c, p (q, r, s, strides, padding, dilation and "
            "groups must be 1/0)");
    }
    // Counts (MACs, elements, operand-matrix sizes) are computed in double: keep them exact.
    constexpr double kExact = 9007199254740992.0;  // 2^53
    if (macs() >= kExact || input_elems_padded() >= kExact || output_elems() >= kExact) {
        throw std::invalid_argument(
            "n, k, c, p, q, r, s: the layer is too large (MACs and tensor sizes must stay "
            "below 2^53)");
    }
    if (2 * pad_h >= input_rows_for(p)) throw std::invalid_argument("pad_h too large for r");
    if (2 * pad_w >= input_cols_for(q)) throw std::invalid_argument("pad_w too large for s");
}

std::int64_t Layer::input_rows_for(std::int64_t rows) const {
    return (rows - 1) * stride_h + dil_h * (r - 1) + 1;
}
std::int64_t Layer::input_cols_for(std::int64_t cols) const {
    return (cols - 1) * stride_w + dil_w * (s - 1) + 1;
}
std::int64_t Layer::input_rows_read(std::int64_t first, std::int64_t rows, std::int64_t r0,
                                    std::int64_t r_rows) const {
    if (rows <= 0 || r_rows <= 0) return 0;
    const std::int64_t H = input_h();
    const std::int64_t extent = (r_rows - 1) * dil_h + 1;
    if (stride_h < extent) {
        // Windows overlap. Up to 2^16 (output row, filter row) pairs: mark every row read.
        if (rows * r_rows <= 65536) {
            std::vector<std::int64_t> read;
            read.reserve(static_cast<std::size_t>(rows * r_rows));
            for (std::int64_t e = first; e < first + rows; ++e) {
                for (std::int64_t r = r0; r < r0 + r_rows; ++r) {
                    const std::int64_t row = e * stride_h - pad_h + r * dil_h;
                    if (row >= 0 && row <= H - 1) read.push_back(row);
                }
            }
            std::sort(read.begin(), read.end());
            return static_cast<std::int64_t>(std::unique(read.begin(), read.end()) - read.begin());
        }
        // Larger: the span of rows, thinned when stride and dilation both skip rows (only
        // one row in gcd(stride, dilation) is ever touched).
        const std::int64_t lo = std::max<std::int64_t>(0, first * stride_h - pad_h + r0 * dil_h);
        const std::int64_t hi = std::min<std::int64_t>(
            H - 1, (first + rows - 1) * stride_h - pad_h + (r0 + r_rows - 1) * dil_h);
        const std::int64_t span = std::max<std::int64_t>(0, hi - lo + 1);
        const std::int64_t g = std::gcd(stride_h, dil_h);
        const std::int64_t thinned = g > 1 ? (span + g - 1) / g : span;
        // Never more distinct rows than (output row, filter row) pairs.
        return std::min(thinned, rows * r_rows);
    }
    // Disjoint windows: each output row reads its own r_rows rows, clipped at the borders.
    auto window = [&](std::int64_t e) {
        const std::int64_t base = e * stride_h - pad_h + r0 * dil_h;
        const std::int64_t r_lo = base >= 0 ? 0 : (-base + dil_h - 1) / dil_h;
        const std::int64_t r_hi =
            base > H - 1 ? -1 : std::min<std::int64_t>(r_rows - 1, (H - 1 - base) / dil_h);
        return std::max<std::int64_t>(0, r_hi - r_lo + 1);
    };
    constexpr std::int64_t kMaxExact = 65536;
    if (rows > kMaxExact) return rows * r_rows;  // huge outputs: borders ignored
    std::int64_t total = 0;
    for (std::int64_t e = first; e < first + rows; ++e) total += window(e);
    return total;
}

std::int64_t Layer::input_h() const { return std::max<std::int64_t>(1, input_rows_for(p) - 2 * pad_h); }
std::int64_t Layer::input_w() const { return std::max<std::int64_t>(1, input_cols_for(q) - 2 * pad_w); }

double Layer::weight_elems() const { return static_cast<double>(k) * c_per_group() * r * s; }
double Layer::input_elems() const { return static_cast<double>(n) * c * input_h() * input_w(); }
double Layer::output_elems() const { return static_cast<double>(n) * k * p * q; }
double Layer::input_elems_padded() const {
    return static_cast<double>(n) * static_cast<double>(c) *
           static_cast<double>(input_rows_for(p)) * static_cast<double>(input_cols_for(q));
}

}  // namespace tldse
