// Shared builders for the C++ tests.
#pragma once

#include <cstdint>

#include "tldse/arch.hpp"
#include "tldse/layer.hpp"

namespace fixtures {

using namespace tldse;

inline Layer conv(std::int64_t n, std::int64_t k, std::int64_t c, std::int64_t p, std::int64_t q,
                  std::int64_t r, std::int64_t s, std::int64_t stride = 1, std::int64_t pad = 0,
                  std::int64_t groups = 1) {
    Layer l;
    l.n = n;
    l.k = k;
    l.c = c;
    l.p = p;
    l.q = q;
    l.r = r;
    l.s = s;
    l.stride_h = l.stride_w = stride;
    l.pad_h = l.pad_w = pad;
    l.groups = groups;
    if (groups > 1 && groups == c) l.kind = LayerKind::dwconv;
    l.validate();
    return l;
}

}  // namespace fixtures
