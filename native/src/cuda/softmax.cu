// CUDA Softmax along the last axis: one warp per row (rows up to 1024 wide) or one block per row, with the online
// max/sum (Milakov & Gimelshein): each thread folds its elements into (m, s) = (running max, sum of exp(x - m)), the
// pairs are merged across the warp/block, and a second pass writes exp(x - m) / s. x is read twice, the second time
// mostly from L2; nothing else touches memory.
//
// Edge values as tfjs cpu (max, sub, exp, sum, div): NaN anywhere -> the row is NaN; a +inf -> inf - inf = NaN for
// the row; a row of -inf -> (-inf) - (-inf) = NaN; -inf among finite values -> 0. The fold below keeps those: NaN
// never becomes the max (comparisons are false) but makes s NaN; -inf elements add nothing unless all are -inf (then
// m stays -inf and the write pass computes (-inf) - (-inf) = NaN); a new max of +inf adds NaN.
#include <cstdint>

#include "cuda/common.cuh"
#include "kernels/reduce.h"

namespace ibot::cuda {
namespace {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int64_t kWarpRowMax = 1024;  // longer rows get a whole block

struct MaxSum {
  float m, s;
};

__device__ inline void fold(MaxSum& a, float x) {
  if (x > a.m) {
    // exp(x - x) is 1, except NaN for x = +inf, as tfjs's inf - inf gives.
    a.s = a.s * expf(a.m - x) + (x == INFINITY ? NAN : 1.0f);
    a.m = x;
  } else if (x != -INFINITY) {
    a.s += expf(x - a.m);  // NaN x (or x = m = +inf) makes s NaN
  }
}

__device__ inline MaxSum merge(MaxSum a, MaxSum b) {
  const float m = fmaxf(a.m, b.m);  // neither is NaN
  if (m == -INFINITY) return {m, a.s + b.s};
  return {m, a.s * expf(a.m - m) + b.s * expf(b.m - m)};
}

__device__ inline MaxSum warp_merge(MaxSum a) {
  for (int d = 16; d > 0; d >>= 1) {
    MaxSum o{__shfl_xor_sync(kFullMask, a.m, d), __shfl_xor_sync(kFullMask, a.s, d)};
    a = merge(a, o);
  }
  return a;  // every lane holds the row's (m, s)
}

__global__ void softmax_warp_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t rows, int64_t cols) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x >> 5);
  for (int64_t row = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5; row < rows; row += warps) {
    const float* xr = x + row * cols;
    float* yr = y + row * cols;
    MaxSum a{-INFINITY, 0.0f};
    for (int64_t j = lane; j < cols; j += 32) fold(a, xr[j]);
    a = warp_merge(a);
    for (int64_t j = lane; j < cols; j += 32) yr[j] = expf(xr[j] - a.m) / a.s;
  }
}

__global__ void softmax_block_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t rows, int64_t cols) {
  __shared__ MaxSum parts[32];
  __shared__ MaxSum total;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const float* xr = x + row * cols;
    float* yr = y + row * cols;
    MaxSum a{-INFINITY, 0.0f};
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) fold(a, xr[j]);
    a = warp_merge(a);
    __syncthreads();  // the previous row is done with parts/total
    if (lane == 0) parts[warp] = a;
    __syncthreads();
    if (warp == 0) {
      a = lane < nwarps ? parts[lane] : MaxSum{-INFINITY, 0.0f};
      a = warp_merge(a);
      if (lane == 0) total = a;
    }
    __syncthreads();
    a = total;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = expf(xr[j] - a.m) / a.s;
  }
}

}  // namespace

void softmax(const Tensor& x, const Tensor& out) {
  if (x.numel() == 0) return;
  const int64_t cols = x.shape.back(), rows = x.numel() / cols;
  constexpr int kThreads = 256;
  if (cols <= kWarpRowMax) {
    softmax_warp_kernel<<<blocks_for(rows * 32, kThreads), kThreads, 0, stream()>>>(x.data<float>(),
                                                                                   out.data<float>(), rows, cols);
    IBOT_CUDA_CHECK_LAUNCH("softmax_warp_kernel");
  } else {
    softmax_block_kernel<<<blocks_for(rows, 1), kThreads, 0, stream()>>>(x.data<float>(), out.data<float>(), rows,
                                                                         cols);
    IBOT_CUDA_CHECK_LAUNCH("softmax_block_kernel");
  }
}

}  // namespace ibot::cuda
