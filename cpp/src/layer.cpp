#include "tldse/layer.hpp"

#include <algorithm>
#include <numeric>
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
    const std::int64_t v[] = {static_cast<std::int64_t>(kind),
                              n,
                              k,
                              c,
                              p,
                              q,
                              r,
                              s,
                              stride_h,
                              stride_w,
                              pad_h,
                              pad_w,
                              dil_h,
                              dil_w,
                              groups,
                              count};
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
namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {  // b > 0
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return -floor_div(-a, b); }

// Points <= t of the union of n intervals [i * step, i * step + len - 1], i < n.
std::int64_t union_upto(std::int64_t t, std::int64_t step, std::int64_t len, std::int64_t n) {
    if (t < 0) return 0;
    if (len >= step) return std::min(t + 1, (n - 1) * step + len);  // one interval
    const std::int64_t i = t / step;
    if (i >= n) return n * len;
    return i * len + std::min(t - i * step + 1, len);
}

// |{x * a + y * b : 0 <= x < X, 0 <= y < Y} intersected with [u0, u1]| for coprime a, b:
// the x of one residue class mod b give points c + b * k with k in n intervals of Y
// values whose starts step by a, and the classes never share a point. Iterates over
// min(X, b) classes.
std::int64_t lattice_count(std::int64_t X, std::int64_t Y, std::int64_t a, std::int64_t b,
                           std::int64_t u0, std::int64_t u1) {
    std::int64_t total = 0;
    for (std::int64_t x0 = 0; x0 < std::min(X, b); ++x0) {
        const std::int64_t n = (X - 1 - x0) / b + 1;
        const std::int64_t c = x0 * a;
        const std::int64_t k0 = ceil_div(u0 - c, b), k1 = floor_div(u1 - c, b);
        if (k1 >= k0) total += union_upto(k1, a, Y, n) - union_upto(k0 - 1, a, Y, n);
    }
    return total;
}

}  // namespace

std::int64_t Layer::input_rows_read(std::int64_t first, std::int64_t rows, std::int64_t r0,
                                    std::int64_t r_rows) const {
    if (rows <= 0 || r_rows <= 0) return 0;
    const std::int64_t H = input_h();
    // Rows read: base + x * stride_h + y * dil_h for output rows x < rows and filter rows
    // y < r_rows, inside [0, H - 1]; all are base modulo g = gcd(stride, dilation).
    const std::int64_t base = first * stride_h - pad_h + r0 * dil_h;
    const std::int64_t g = std::gcd(stride_h, dil_h);
    const std::int64_t a = stride_h / g, b = dil_h / g;
    const std::int64_t u0 = ceil_div(-base, g), u1 = floor_div(H - 1 - base, g);
    if (u1 < u0) return 0;
    // Exact, iterating over the residue classes of the shorter side.
    constexpr std::int64_t kMaxClasses = 4096;
    if (std::min(rows, b) <= std::min(r_rows, a)) {
        if (std::min(rows, b) <= kMaxClasses) return lattice_count(rows, r_rows, a, b, u0, u1);
    } else if (std::min(r_rows, a) <= kMaxClasses) {
        return lattice_count(r_rows, rows, b, a, u0, u1);
    }
    // Both strides large and both sides long (no practical layer): the span of rows read,
    // thinned to one in g, never more than the (output row, filter row) pairs.
    const std::int64_t lo = std::max<std::int64_t>(0, base);
    const std::int64_t hi =
        std::min<std::int64_t>(H - 1, base + (rows - 1) * stride_h + (r_rows - 1) * dil_h);
    const std::int64_t span = std::max<std::int64_t>(0, hi - lo + 1);
    return std::min((span + g - 1) / g, rows * r_rows);
}

std::int64_t Layer::input_h() const {
    return std::max<std::int64_t>(1, input_rows_for(p) - 2 * pad_h);
}
std::int64_t Layer::input_w() const {
    return std::max<std::int64_t>(1, input_cols_for(q) - 2 * pad_w);
}

double Layer::weight_elems() const { return static_cast<double>(k) * c_per_group() * r * s; }
double Layer::input_elems() const { return static_cast<double>(n) * c * input_h() * input_w(); }
double Layer::output_elems() const { return static_cast<double>(n) * k * p * q; }
double Layer::input_elems_padded() const {
    return static_cast<double>(n) * static_cast<double>(c) *
           static_cast<double>(input_rows_for(p)) * static_cast<double>(input_cols_for(q));
}

}  // namespace tldse
