// CPU Cumsum/Cumprod along any axis: x is viewed as [outer, R, inner] and scanned along R, vectorised across inner.
// Every step rounds like tfjs cpu (float32 adds and multiplies; int32 through a double then ToInt32), so results are
// bit-identical to it, overflow and wrap-around included.
#include <algorithm>
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/reduce.h"
#include "kernels/reduce_dispatch.h"

namespace ibot::cpu {
namespace {

constexpr int64_t kGrainElems = 32768;
constexpr int64_t kColChunk = 1024;  // columns per task when inner is wide

// The tfjs recurrence of kernels/reduce_dispatch.h along R, a tile of columns at a time.
template <typename In, typename Out, class Op>
void scan_typed(const In* x, Out* y, int64_t outer, int64_t R, int64_t inner, bool exclusive, bool reverse,
                Out identity, Op op) {
  const int64_t chunks = (inner + kColChunk - 1) / kColChunk;
  parallel_for(outer * chunks, std::max<int64_t>(1, kGrainElems / (R * std::min(inner, kColChunk))),
               [&](int64_t b, int64_t e) {
                 for (int64_t t = b; t < e; ++t) {
                   const int64_t o = t / chunks, c0 = (t % chunks) * kColChunk, w = std::min(kColChunk, inner - c0);
                   const In* xo = x + o * R * inner + c0;
                   Out* yo = y + o * R * inner + c0;
                   for (int64_t s = 0; s < R; ++s) {
                     const int64_t r = reverse ? R - 1 - s : s;
                     const In* __restrict xr = xo + r * inner;
                     Out* __restrict yr = yo + r * inner;
                     if (s == 0) {
                       for (int64_t c = 0; c < w; ++c) yr[c] = exclusive ? identity : static_cast<Out>(xr[c]);
                       continue;
                     }
                     const int64_t pr = reverse ? r + 1 : r - 1;
                     const In* __restrict xp = xo + pr * inner;
                     const Out* __restrict yp = yo + pr * inner;
                     if (exclusive) {
                       for (int64_t c = 0; c < w; ++c) yr[c] = op(static_cast<Out>(xp[c]), yp[c]);
                     } else {
                       for (int64_t c = 0; c < w; ++c) yr[c] = op(static_cast<Out>(xr[c]), yp[c]);
                     }
                   }
                 }
               });
}

}  // namespace

void scan(ScanOp op, const Tensor& x, int axis, bool exclusive, bool reverse, const Tensor& out) {
  dispatch_scan(op, x, axis, out, [&](const auto* xd, auto* yd, const AxisView& v, auto identity, auto step) {
    scan_typed(xd, yd, v.outer, v.R, v.inner, exclusive, reverse, identity, step);
  });
}

}  // namespace ibot::cpu
