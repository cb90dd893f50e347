// CUDA L2Normalize and WeightNorm with their gradients: one warp per row, strided loops over the row (coalesced
// 128-byte accesses), a butterfly shuffle for the row's sum, and a second read of the row that hits L1/L2. These run
// on the projection head's small tensors (rows of 256 floats: the bottleneck, and the 8192 x 256 prototype matrix),
// so the simple form is enough. Semantics as the CPU kernels (cpu/norm_impl.inc) and the composite ops: max(norm, eps)
// propagates NaN, a zero-norm weight row gives 0 / 0 = NaN.
#include <cstdint>

#include "cuda/common.cuh"
#include "cuda/norm_common.cuh"
#include "kernels/norm.h"

namespace ibot::cuda {
namespace {

using namespace norm_detail;

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;

// The warp's rows: row = global warp index, striding by the number of warps in the grid.
#define IBOT_FOR_WARP_ROWS(row, rows)                                                                          \
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kWarps + (threadIdx.x >> 5); row < (rows);           \
       row += static_cast<int64_t>(gridDim.x) * kWarps)

__global__ void __launch_bounds__(kThreads) l2_normalize_kernel(const float* __restrict__ x, float eps,
                                                                float* __restrict__ y, float* __restrict__ norm,
                                                                int64_t rows, int64_t d) {
  const int lane = threadIdx.x & 31;
  IBOT_FOR_WARP_ROWS(row, rows) {
    const float* xr = x + row * d;
    float s = 0.f;
    for (int64_t i = lane; i < d; i += 32) s += xr[i] * xr[i];
    const float n = sqrtf(warp_sum(s));
    if (lane == 0) norm[row] = n;
    const float denom = clamp_norm(n, eps);
    float* yr = y + row * d;
    for (int64_t i = lane; i < d; i += 32) yr[i] = xr[i] / denom;
  }
}

__global__ void __launch_bounds__(kThreads) l2_normalize_grad_kernel(const float* __restrict__ dy,
                                                                     const float* __restrict__ y,
                                                                     const float* __restrict__ norm, float eps,
                                                                     float* __restrict__ dx, int64_t rows,
                                                                     int64_t d) {
  const int lane = threadIdx.x & 31;
  IBOT_FOR_WARP_ROWS(row, rows) {
    const float* dyr = dy + row * d;
    const float* yr = y + row * d;
    float* dxr = dx + row * d;
    const float n = norm[row];  // the same value in every lane: the branch is uniform
    if (n > eps || n != n) {
      float s = 0.f;
      for (int64_t i = lane; i < d; i += 32) s += dyr[i] * yr[i];
      s = warp_sum(s);
      for (int64_t i = lane; i < d; i += 32) dxr[i] = (dyr[i] - yr[i] * s) / n;
    } else {
      for (int64_t i = lane; i < d; i += 32) dxr[i] = dyr[i] / eps;  // the clamp was active: y = x / eps
    }
  }
}

__global__ void __launch_bounds__(kThreads) weight_norm_kernel(const float* __restrict__ v,
                                                               const float* __restrict__ g, float* __restrict__ w,
                                                               float* __restrict__ v_norm, int64_t rows, int64_t d) {
  const int lane = threadIdx.x & 31;
  IBOT_FOR_WARP_ROWS(row, rows) {
    const float* vr = v + row * d;
    float s = 0.f;
    for (int64_t i = lane; i < d; i += 32) s += vr[i] * vr[i];
    const float n = sqrtf(warp_sum(s));
    if (lane == 0) v_norm[row] = n;
    const float gr = g[row];
    float* wr = w + row * d;
    for (int64_t i = lane; i < d; i += 32) wr[i] = gr * vr[i] / n;
  }
}

__global__ void __launch_bounds__(kThreads) weight_norm_grad_kernel(const float* __restrict__ dw,
                                                                    const float* __restrict__ v,
                                                                    const float* __restrict__ g,
                                                                    const float* __restrict__ v_norm,
                                                                    float* __restrict__ dv, float* __restrict__ dg,
                                                                    int64_t rows, int64_t d) {
  const int lane = threadIdx.x & 31;
  IBOT_FOR_WARP_ROWS(row, rows) {
    const float* dwr = dw + row * d;
    const float* vr = v + row * d;
    float s = 0.f;
    for (int64_t i = lane; i < d; i += 32) s += dwr[i] * vr[i];
    s = warp_sum(s);
    const float n = v_norm[row];
    if (lane == 0) dg[row] = s / n;
    const float a = g[row] / n, b = s / (n * n);
    float* dvr = dv + row * d;
    for (int64_t i = lane; i < d; i += 32) dvr[i] = a * (dwr[i] - vr[i] * b);
  }
}

#undef IBOT_FOR_WARP_ROWS

unsigned warp_row_blocks(int64_t rows) { return blocks_for(rows, kWarps); }

}  // namespace

void l2_normalize(const Tensor& x, float eps, const Tensor& y, const Tensor& norm) {
  const int64_t rows = norm.numel();
  if (rows == 0) return;
  l2_normalize_kernel<<<warp_row_blocks(rows), kThreads, 0, stream()>>>(x.data<float>(), eps, y.data<float>(),
                                                                       norm.data<float>(), rows, x.shape.back());
  IBOT_CUDA_CHECK_LAUNCH("l2_normalize_kernel");
}

void l2_normalize_grad(const Tensor& dy, const Tensor& y, const Tensor& norm, float eps, const Tensor& dx) {
  const int64_t rows = norm.numel();
  if (rows == 0) return;
  l2_normalize_grad_kernel<<<warp_row_blocks(rows), kThreads, 0, stream()>>>(
      dy.data<float>(), y.data<float>(), norm.data<float>(), eps, dx.data<float>(), rows, y.shape.back());
  IBOT_CUDA_CHECK_LAUNCH("l2_normalize_grad_kernel");
}

void weight_norm(const Tensor& v, const Tensor& g, const Tensor& w, const Tensor& v_norm) {
  const int64_t rows = v_norm.numel();
  if (rows == 0) return;
  weight_norm_kernel<<<warp_row_blocks(rows), kThreads, 0, stream()>>>(v.data<float>(), g.data<float>(),
                                                                      w.data<float>(), v_norm.data<float>(), rows,
                                                                      v.shape.back());
  IBOT_CUDA_CHECK_LAUNCH("weight_norm_kernel");
}

void weight_norm_grad(const Tensor& dw, const Tensor& v, const Tensor& g, const Tensor& v_norm, const Tensor& dv,
                      const Tensor& dg) {
  const int64_t rows = v_norm.numel();
  if (rows == 0) return;
  weight_norm_grad_kernel<<<warp_row_blocks(rows), kThreads, 0, stream()>>>(
      dw.data<float>(), v.data<float>(), g.data<float>(), v_norm.data<float>(), dv.data<float>(), dg.data<float>(),
      rows, v.shape.back());
  IBOT_CUDA_CHECK_LAUNCH("weight_norm_grad_kernel");
}

}  // namespace ibot::cuda
