// CPU Cumsum/Cumprod along any axis: x is viewed as [outer, R, inner] and scanned along R, vectorised across inner.
// Every step rounds like tfjs cpu (float32 adds and multiplies; int32 through a double then ToInt32), so results are
// bit-identical to it, overflow and wrap-around included.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/reduce.h"

namespace ibot::cpu {
namespace {

constexpr int64_t kGrainElems = 32768;
constexpr int64_t kColChunk = 1024;  // columns per task when inner is wide

inline int32_t to_int32(double v) {
  if (!std::isfinite(v)) return 0;
  double m = std::fmod(std::trunc(v), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(m));
}

struct AddF32 {
  float operator()(float a, float b) const { return a + b; }
};
struct MulF32 {
  float operator()(float a, float b) const { return a * b; }
};
struct AddI32 {  // the exact sum of two int32 values, wrapped: what ToInt32(a + b) gives
  int32_t operator()(int32_t a, int32_t b) const {
    return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
  }
};
struct MulI32 {  // through a double, like JS (the product may round above 2^53 before it wraps)
  int32_t operator()(int32_t a, int32_t b) const { return to_int32(static_cast<double>(a) * static_cast<double>(b)); }
};

// tfjs: y[first] = exclusive ? identity : x[first]; y[j] = op(exclusive ? x[prev] : x[j], y[prev]) along the scan.
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

template <typename In>
void scan_int(ScanOp op, const In* x, int32_t* y, int64_t outer, int64_t R, int64_t inner, bool exclusive,
              bool reverse) {
  if (op == ScanOp::kSum) scan_typed(x, y, outer, R, inner, exclusive, reverse, 0, AddI32{});
  else scan_typed(x, y, outer, R, inner, exclusive, reverse, 1, MulI32{});
}

}  // namespace

void scan(ScanOp op, const Tensor& x, int axis, bool exclusive, bool reverse, const Tensor& out) {
  if (x.numel() == 0) return;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= x.shape[d];
  for (int d = axis + 1; d < x.rank(); ++d) inner *= x.shape[d];
  const int64_t R = x.shape[axis];
  switch (x.dtype()) {
    case DType::kFloat32:
      if (op == ScanOp::kSum)
        scan_typed(x.data<float>(), out.data<float>(), outer, R, inner, exclusive, reverse, 0.0f, AddF32{});
      else scan_typed(x.data<float>(), out.data<float>(), outer, R, inner, exclusive, reverse, 1.0f, MulF32{});
      return;
    case DType::kInt32:
      return scan_int(op, x.data<int32_t>(), out.data<int32_t>(), outer, R, inner, exclusive, reverse);
    case DType::kBool:
      return scan_int(op, x.data<uint8_t>(), out.data<int32_t>(), outer, R, inner, exclusive, reverse);
  }
}

}  // namespace ibot::cpu
