// CPU elementwise kernels: broadcasting binary ops over the thread pool. The inner loops are written so the compiler
// vectorises them (contiguous/contiguous, contiguous/scalar and scalar/contiguous variants).
#include "kernels/elementwise.h"

#include <algorithm>

#include "core/broadcast.h"
#include "core/thread_pool.h"

namespace ibot::cpu {
namespace {

// Elements per parallel chunk: big enough to amortise waking the pool, small enough to split a 1 MB tensor.
constexpr int64_t kElementwiseGrain = 16384;

template <typename T, typename Out, typename F>
void binary_rows(const BroadcastPlan& p, const T* a, const T* b, Out* out, F f) {
  const int64_t total = p.outer * p.inner;
  const bool sa = p.inner_stride[0] != 0, sb = p.inner_stride[1] != 0;
  parallel_for(total, kElementwiseGrain, [&](int64_t s, int64_t e) {
    while (s < e) {
      int64_t row = s / p.inner, c0 = s - row * p.inner, c1 = std::min(p.inner, c0 + (e - s));
      const T* ar = a + p.row_offset(0, row);
      const T* br = b + p.row_offset(1, row);
      Out* o = out + row * p.inner;
      if (sa && sb) {
        for (int64_t i = c0; i < c1; ++i) o[i] = f(ar[i], br[i]);
      } else if (sa) {
        const T bv = br[0];
        for (int64_t i = c0; i < c1; ++i) o[i] = f(ar[i], bv);
      } else if (sb) {
        const T av = ar[0];
        for (int64_t i = c0; i < c1; ++i) o[i] = f(av, br[i]);
      } else {
        const Out v = f(ar[0], br[0]);
        for (int64_t i = c0; i < c1; ++i) o[i] = v;
      }
      s += c1 - c0;
    }
  });
}

template <typename T>
void binary_typed(BinaryOp op, const BroadcastPlan& p, const T* a, const T* b, T* o) {
  switch (op) {
    case BinaryOp::kAdd: return binary_rows(p, a, b, o, [](T x, T y) { return x + y; });
    case BinaryOp::kSub: return binary_rows(p, a, b, o, [](T x, T y) { return x - y; });
    case BinaryOp::kMul: return binary_rows(p, a, b, o, [](T x, T y) { return x * y; });
    case BinaryOp::kDiv: return binary_rows(p, a, b, o, [](T x, T y) { return x / y; });
  }
}

}  // namespace

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  if (out.numel() == 0) return;
  const Shape* ins[2] = {&a.shape, &b.shape};
  BroadcastPlan p = plan_broadcast(out.shape, ins, 2);
  if (a.dtype() == DType::kFloat32) binary_typed(op, p, a.data<float>(), b.data<float>(), out.data<float>());
  else if (op == BinaryOp::kDiv) fail("RealDiv: int32 division belongs to the float path");
  else binary_typed(op, p, a.data<int32_t>(), b.data<int32_t>(), out.data<int32_t>());
}

}  // namespace ibot::cpu
