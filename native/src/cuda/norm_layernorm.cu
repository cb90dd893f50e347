// CUDA LayerNorm forward and backward over the last axis.
//
// Rationale
// ---------
// * Memory-bound: the forward reads x once and writes y (8 bytes per element), the backward reads dy and x once and
//   writes dx (12 bytes). Rows up to 1024 wide (ViT: 384, 768) get one warp each with the row in registers: lane l
//   holds elements l, l + 32, ... (K per lane, K a template constant so the arrays stay in registers), statistics by
//   butterfly shuffles, no shared memory, no second read. Longer rows get a block each and re-read the row (L2).
// * Statistics: the corrected two-pass algorithm (mean m0; then c = Σ (x - m0), q = Σ (x - m0)²; mean = m0 + c / D,
//   var = (q - c² / D) / D), the same as the CPU kernel (cpu/norm_impl.inc), biased variance, rstd = 1 / sqrt(var +
//   eps). NaN and Inf come out as tf.moments gives them: a NaN row is NaN throughout, an infinite element leaves an
//   infinite mean and a NaN variance.
// * dgamma and dbeta are sums over all rows, done without atomics so they are deterministic: the grid is fixed by the
//   row count alone; each warp accumulates its rows' terms in registers, the 8 warps of a block add theirs into
//   shared memory one warp after another, the block writes one [2, D] partial, and a second kernel adds the partials
//   in block order.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "cuda/common.cuh"
#include "cuda/norm_common.cuh"
#include "cuda/scratch.cuh"
#include "kernels/norm.h"

namespace ibot::cuda {
namespace {

using namespace norm_detail;

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kMaxWarpRow = 1024;      // longer rows take the block kernels
constexpr int64_t kMaxGradBlocks = 512;  // partials per weight-gradient sum (at most 4 MB of them at D = 1024)

// ---- forward --------------------------------------------------------------------------------------------------------

template <int K>
__global__ void __launch_bounds__(kThreads) layer_norm_warp_kernel(const float* __restrict__ x,
                                                                   const float* __restrict__ gamma,
                                                                   const float* __restrict__ beta, float eps,
                                                                   float* __restrict__ y, float* __restrict__ mean,
                                                                   float* __restrict__ rstd, int64_t rows, int d) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kWarps;
  const float count = static_cast<float>(d);
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kWarps + (threadIdx.x >> 5); row < rows; row += warps) {
    const float* xr = x + row * d;
    float v[K];
    float s = 0.f;
#pragma unroll
    for (int j = 0; j < K; ++j) {
      const int i = lane + 32 * j;
      v[j] = i < d ? xr[i] : 0.f;
      s += v[j];
    }
    const float m0 = warp_sum(s) / count;
    float c = 0.f, q = 0.f;
#pragma unroll
    for (int j = 0; j < K; ++j) {
      if (lane + 32 * j < d) {
        const float t = v[j] - m0;
        c += t;
        q += t * t;
      }
    }
    c = warp_sum(c);
    q = warp_sum(q);
    const float m = m0 - m0 == 0.f ? m0 + c / count : m0;  // an infinite m0 stays the mean
    float var = (q - c * c / count) / count;
    var = var < 0.f ? 0.f : var;  // rounding only; NaN stays NaN
    const float rs = 1.f / sqrtf(var + eps);
    if (lane == 0) {
      mean[row] = m;
      rstd[row] = rs;
    }
    float* yr = y + row * d;
#pragma unroll
    for (int j = 0; j < K; ++j) {
      const int i = lane + 32 * j;
      if (i < d) yr[i] = (v[j] - m) * rs * gamma[i] + beta[i];
    }
  }
}

__global__ void __launch_bounds__(kThreads) layer_norm_block_kernel(const float* __restrict__ x,
                                                                    const float* __restrict__ gamma,
                                                                    const float* __restrict__ beta, float eps,
                                                                    float* __restrict__ y, float* __restrict__ mean,
                                                                    float* __restrict__ rstd, int64_t rows,
                                                                    int64_t d) {
  __shared__ float2 scratch[32];
  const float count = static_cast<float>(d);
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const float* xr = x + row * d;
    float s = 0.f, unused = 0.f;
    for (int64_t i = threadIdx.x; i < d; i += blockDim.x) s += xr[i];
    block_sum2(s, unused, scratch);
    const float m0 = s / count;
    float c = 0.f, q = 0.f;
    for (int64_t i = threadIdx.x; i < d; i += blockDim.x) {
      const float t = xr[i] - m0;
      c += t;
      q += t * t;
    }
    block_sum2(c, q, scratch);
    const float m = m0 - m0 == 0.f ? m0 + c / count : m0;
    float var = (q - c * c / count) / count;
    var = var < 0.f ? 0.f : var;
    const float rs = 1.f / sqrtf(var + eps);
    if (threadIdx.x == 0) {
      mean[row] = m;
      rstd[row] = rs;
    }
    float* yr = y + row * d;
    for (int64_t i = threadIdx.x; i < d; i += blockDim.x) yr[i] = (xr[i] - m) * rs * gamma[i] + beta[i];
  }
}

// ---- backward -------------------------------------------------------------------------------------------------------

// dx per row, and this block's [2, D] partial (Σ dy · xhat | Σ dy over the rows of its warps) in partial[blockIdx.x].
template <int K>
__global__ void __launch_bounds__(kThreads) layer_norm_grad_warp_kernel(
    const float* __restrict__ dy, const float* __restrict__ x, const float* __restrict__ gamma,
    const float* __restrict__ mean, const float* __restrict__ rstd, float* __restrict__ dx,
    float* __restrict__ partial, int64_t rows, int d) {
  __shared__ float block_acc[2 * kMaxWarpRow];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kWarps;
  const float count = static_cast<float>(d);
  float gm[K], acc_g[K], acc_b[K];
#pragma unroll
  for (int j = 0; j < K; ++j) {
    const int i = lane + 32 * j;
    gm[j] = i < d ? gamma[i] : 0.f;
    acc_g[j] = 0.f;
    acc_b[j] = 0.f;
  }
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kWarps + warp; row < rows; row += warps) {
    const float* dyr = dy + row * d;
    const float* xr = x + row * d;
    const float m = mean[row], rs = rstd[row];
    float g[K], xh[K];
    float sg = 0.f, sgx = 0.f;
#pragma unroll
    for (int j = 0; j < K; ++j) {
      const int i = lane + 32 * j;
      g[j] = 0.f;
      xh[j] = 0.f;
      if (i < d) {
        const float dyv = dyr[i];
        xh[j] = (xr[i] - m) * rs;
        g[j] = dyv * gm[j];
        sg += g[j];
        sgx += g[j] * xh[j];
        acc_g[j] += dyv * xh[j];
        acc_b[j] += dyv;
      }
    }
    const float a = warp_sum(sg) / count, b = warp_sum(sgx) / count;
    float* dxr = dx + row * d;
#pragma unroll
    for (int j = 0; j < K; ++j) {
      const int i = lane + 32 * j;
      if (i < d) dxr[i] = rs * (g[j] - a - xh[j] * b);
    }
  }
  // The block's partial: zero it, then each warp adds its accumulators in turn (warp order fixes the sum's order).
  for (int i = threadIdx.x; i < 2 * d; i += kThreads) block_acc[i] = 0.f;
  for (int w = 0; w < kWarps; ++w) {
    __syncthreads();
    if (warp == w) {
#pragma unroll
      for (int j = 0; j < K; ++j) {
        const int i = lane + 32 * j;
        if (i < d) {
          block_acc[i] += acc_g[j];
          block_acc[d + i] += acc_b[j];
        }
      }
    }
  }
  __syncthreads();
  float* out = partial + static_cast<int64_t>(blockIdx.x) * 2 * d;
  for (int i = threadIdx.x; i < 2 * d; i += kThreads) out[i] = block_acc[i];
}

// Rows longer than kMaxWarpRow: a block per row. The block's partial lives in global memory; column i (both of its
// entries) is only ever touched by thread i % blockDim.x, so no synchronisation is needed for it.
__global__ void __launch_bounds__(kThreads) layer_norm_grad_block_kernel(
    const float* __restrict__ dy, const float* __restrict__ x, const float* __restrict__ gamma,
    const float* __restrict__ mean, const float* __restrict__ rstd, float* __restrict__ dx,
    float* __restrict__ partial, int64_t rows, int64_t d) {
  __shared__ float2 scratch[32];
  const float count = static_cast<float>(d);
  float* acc = partial + static_cast<int64_t>(blockIdx.x) * 2 * d;
  for (int64_t i = threadIdx.x; i < d; i += blockDim.x) {
    acc[i] = 0.f;
    acc[d + i] = 0.f;
  }
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const float* dyr = dy + row * d;
    const float* xr = x + row * d;
    const float m = mean[row], rs = rstd[row];
    float sg = 0.f, sgx = 0.f;
    for (int64_t i = threadIdx.x; i < d; i += blockDim.x) {
      const float dyv = dyr[i], xh = (xr[i] - m) * rs, g = dyv * gamma[i];
      sg += g;
      sgx += g * xh;
      acc[i] += dyv * xh;
      acc[d + i] += dyv;
    }
    block_sum2(sg, sgx, scratch);
    const float a = sg / count, b = sgx / count;
    float* dxr = dx + row * d;
    for (int64_t i = threadIdx.x; i < d; i += blockDim.x)
      dxr[i] = rs * (dyr[i] * gamma[i] - a - (xr[i] - m) * rs * b);
  }
}

// dgamma[j] = Σ_p partial[p][0][j], dbeta[j] = Σ_p partial[p][1][j] in a fixed order: a block (32, 8) takes 32
// columns at a time; thread (x, y) sums partials y, y + 8, ... in order, then row 0 adds the 8 results in order.
__global__ void layer_norm_grad_reduce_kernel(const float* __restrict__ partial, int64_t parts, int64_t d,
                                              float* __restrict__ dgamma, float* __restrict__ dbeta) {
  __shared__ float sg[8][33], sb[8][33];
  for (int64_t j0 = static_cast<int64_t>(blockIdx.x) * 32; j0 < d; j0 += static_cast<int64_t>(gridDim.x) * 32) {
    const int64_t j = j0 + threadIdx.x;
    float g = 0.f, b = 0.f;
    if (j < d) {
      for (int64_t p = threadIdx.y; p < parts; p += 8) {
        g += partial[p * 2 * d + j];
        b += partial[p * 2 * d + d + j];
      }
    }
    __syncthreads();  // the previous column group has been read
    sg[threadIdx.y][threadIdx.x] = g;
    sb[threadIdx.y][threadIdx.x] = b;
    __syncthreads();
    if (threadIdx.y == 0 && j < d) {
      float tg = 0.f, tb = 0.f;
#pragma unroll
      for (int r = 0; r < 8; ++r) {
        tg += sg[r][threadIdx.x];
        tb += sb[r][threadIdx.x];
      }
      dgamma[j] = tg;
      dbeta[j] = tb;
    }
  }
}

// ---- dispatch -------------------------------------------------------------------------------------------------------

// Values per lane for a warp-per-row kernel: the smallest instantiated K with 32 K >= d.
int values_per_lane(int64_t d) {
  for (int k : {1, 2, 4, 8, 12, 16, 24, 32})
    if (32 * k >= d) return k;
  return 0;
}

// Calls fn(std::integral_constant<int, K>) for the K of `d` (d <= kMaxWarpRow).
template <typename F>
void with_values_per_lane(int64_t d, F fn) {
  switch (values_per_lane(d)) {
    case 1: return fn(std::integral_constant<int, 1>());
    case 2: return fn(std::integral_constant<int, 2>());
    case 4: return fn(std::integral_constant<int, 4>());
    case 8: return fn(std::integral_constant<int, 8>());
    case 12: return fn(std::integral_constant<int, 12>());
    case 16: return fn(std::integral_constant<int, 16>());
    case 24: return fn(std::integral_constant<int, 24>());
    default: return fn(std::integral_constant<int, 32>());
  }
}

}  // namespace

void layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps, const Tensor& y,
                const Tensor& mean, const Tensor& rstd) {
  const int64_t d = x.shape.back(), rows = mean.numel();
  if (rows == 0) return;
  const float *xd = x.data<float>(), *gd = gamma.data<float>(), *bd = beta.data<float>();
  float *yd = y.data<float>(), *md = mean.data<float>(), *rd = rstd.data<float>();
  if (d <= kMaxWarpRow) {
    const unsigned blocks = blocks_for(rows, kWarps);
    with_values_per_lane(d, [&](auto k) {
      layer_norm_warp_kernel<decltype(k)::value><<<blocks, kThreads, 0, stream()>>>(
          xd, gd, bd, eps, yd, md, rd, rows, static_cast<int>(d));
      IBOT_CUDA_CHECK_LAUNCH("layer_norm_warp_kernel");
    });
  } else {
    layer_norm_block_kernel<<<blocks_for(rows, 1), kThreads, 0, stream()>>>(xd, gd, bd, eps, yd, md, rd, rows, d);
    IBOT_CUDA_CHECK_LAUNCH("layer_norm_block_kernel");
  }
}

void layer_norm_grad(const Tensor& dy, const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd,
                     const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta) {
  const int64_t d = x.shape.back(), rows = mean.numel();
  if (d == 0) return;  // dgamma, dbeta and dx are empty
  const bool warp_rows = d <= kMaxWarpRow;
  // The grid depends on the row count only, so the partial sums (and the result bits) do too.
  const int64_t blocks = std::min(kMaxGradBlocks, warp_rows ? (rows + kWarps - 1) / kWarps : rows);
  Scratch partial(std::max<int64_t>(blocks, 1) * 2 * d);  // [blocks][dgamma | dbeta][D]
  const float *dyd = dy.data<float>(), *xd = x.data<float>(), *gd = gamma.data<float>();
  const float *md = mean.data<float>(), *rd = rstd.data<float>();
  float* dxd = dx.data<float>();
  if (blocks > 0) {
    if (warp_rows) {
      with_values_per_lane(d, [&](auto k) {
        layer_norm_grad_warp_kernel<decltype(k)::value><<<static_cast<unsigned>(blocks), kThreads, 0, stream()>>>(
            dyd, xd, gd, md, rd, dxd, partial.data(), rows, static_cast<int>(d));
        IBOT_CUDA_CHECK_LAUNCH("layer_norm_grad_warp_kernel");
      });
    } else {
      layer_norm_grad_block_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream()>>>(
          dyd, xd, gd, md, rd, dxd, partial.data(), rows, d);
      IBOT_CUDA_CHECK_LAUNCH("layer_norm_grad_block_kernel");
    }
  }
  // With no rows there are no partials and the sums come out 0.
  layer_norm_grad_reduce_kernel<<<blocks_for(d, 32), dim3(32, 8), 0, stream()>>>(
      partial.data(), blocks, d, dgamma.data<float>(), dbeta.data<float>());
  IBOT_CUDA_CHECK_LAUNCH("layer_norm_grad_reduce_kernel");
}

}  // namespace ibot::cuda
