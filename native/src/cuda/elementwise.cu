// CUDA elementwise kernels: broadcasting binary ops. A flat grid-stride loop over the output; each input offset comes
// from the collapsed broadcast plan (usually rank 1 or 2, so the index math is a division or two).
#include "cuda/common.cuh"
#include "core/broadcast.h"
#include "kernels/elementwise.h"

namespace ibot::cuda {
namespace {

struct DevicePlan {
  int rank;
  int64_t shape[kMaxBroadcastRank];
  int64_t strides[2][kMaxBroadcastRank];
};

template <typename T, typename F>
__global__ void binary_kernel(DevicePlan p, int64_t total, const T* __restrict__ a, const T* __restrict__ b,
                              T* __restrict__ out, F f) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t rem = i, oa = 0, ob = 0;
    for (int d = p.rank - 1; d >= 0; --d) {
      int64_t idx = rem % p.shape[d];
      rem /= p.shape[d];
      oa += idx * p.strides[0][d];
      ob += idx * p.strides[1][d];
    }
    out[i] = f(a[oa], b[ob]);
  }
}

template <typename T, typename F>
void launch(const BroadcastPlan& bp, int64_t total, const T* a, const T* b, T* out, F f) {
  DevicePlan p;
  p.rank = bp.rank;
  for (int d = 0; d < bp.rank; ++d) {
    p.shape[d] = bp.shape[d];
    p.strides[0][d] = bp.strides[0][d];
    p.strides[1][d] = bp.strides[1][d];
  }
  constexpr int kThreads = 256;
  binary_kernel<<<blocks_for(total, kThreads), kThreads, 0, stream()>>>(p, total, a, b, out, f);
  IBOT_CUDA_CHECK_LAUNCH("binary_kernel");
}

template <typename T>
struct AddOp { __device__ T operator()(T x, T y) const { return x + y; } };
template <typename T>
struct SubOp { __device__ T operator()(T x, T y) const { return x - y; } };
template <typename T>
struct MulOp { __device__ T operator()(T x, T y) const { return x * y; } };
template <typename T>
struct DivOp { __device__ T operator()(T x, T y) const { return x / y; } };

template <typename T>
void binary_typed(BinaryOp op, const BroadcastPlan& p, int64_t total, const T* a, const T* b, T* o) {
  switch (op) {
    case BinaryOp::kAdd: return launch(p, total, a, b, o, AddOp<T>{});
    case BinaryOp::kSub: return launch(p, total, a, b, o, SubOp<T>{});
    case BinaryOp::kMul: return launch(p, total, a, b, o, MulOp<T>{});
    case BinaryOp::kDiv: return launch(p, total, a, b, o, DivOp<T>{});
  }
}

}  // namespace

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  int64_t total = out.numel();
  if (total == 0) return;
  const Shape* ins[2] = {&a.shape, &b.shape};
  BroadcastPlan p = plan_broadcast(out.shape, ins, 2);
  if (a.dtype() == DType::kFloat32) binary_typed(op, p, total, a.data<float>(), b.data<float>(), out.data<float>());
  else binary_typed(op, p, total, a.data<int32_t>(), b.data<int32_t>(), out.data<int32_t>());
}

}  // namespace ibot::cuda
