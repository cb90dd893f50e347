// What every GEMM kernel variant shares (cuda/matmul_tf32.cuh, cuda/matmul_simt.cuh, cuda/matmul.cu): the kernel
// argument block, the tile rasterisation and the fused write-back epilogue c = act(alpha·acc + beta·c + bias[col])
// (with the value before act also stored to an optional pre-activation matrix);
// it also brings in Scratch (cuda/scratch.cuh), the pooled buffer for split-K partials and conv's column matrices.
#pragma once
#include <cstdint>

#include "core/storage.h"
#include "cuda/common.cuh"
#include "cuda/scratch.cuh"
#include "kernels/matmul.h"

namespace ibot::cuda::gemm_detail {

// One launch's view of a strided-batched GEMM. blockIdx.z = batch * splits + split; blockIdx.x = output tile.
struct GemmKernelArgs {
  int m, n, k;
  const float* a;  // [batch][M, K] or [batch][K, M] (trans_a), row-major with leading dimension lda
  int64_t lda, stride_a;
  const float* b;  // [batch][K, N] or [batch][N, K] (trans_b)
  int64_t ldb, stride_b;
  float* c;        // [batch][splits][M, N] with leading dimension ldc
  int64_t ldc, stride_c, stride_split;
  float alpha, beta;
  const float* bias;  // [N] or null
  int act;            // Activation
  float act_alpha;    // kLeakyRelu slope
  float* pre;         // [batch][M, N] pre-activation output (leading dimension ldp) or null; never with splits > 1
  int64_t ldp, stride_pre;
  int splits;         // > 1: split-K partial sums (the host then sets alpha 1, beta 0, no bias, linear)
  int k_chunk;        // K range of one split, a multiple of every kernel's k tile; = k when splits == 1
  int tiles_m, tiles_n;
  bool a_vec, b_vec;  // 16-byte copies are legal for A / B (aligned base, leading dim and batch stride % 4 == 0)
  bool c_vec4;        // 16-byte stores are legal for C (aligned base, ldc and batch/split strides % 4 == 0)
  bool pre_vec4;      // the same for pre
};

// Split K into `splits` equal ranges rounded up to the 32-wide k tile (a multiple of every variant's bk), so each split
// starts at a 16-byte aligned column; recounting leaves no empty split. Sets p.k_chunk and returns the split count.
// Needs p.k > 0.
inline int64_t split_k_ranges(GemmKernelArgs& p, int64_t splits) {
  const int64_t chunk = ((p.k + splits - 1) / splits + 31) / 32 * 32;
  p.k_chunk = static_cast<int>(chunk);
  return (p.k + chunk - 1) / chunk;
}

// The first pass of a split-K GEMM: each k range writes its raw partial sums to the workspace ws [batch][splits][M, N]
// (ws_vec4: 16-byte stores are legal there); alpha, beta, bias and the activation are left to the pass that adds the
// partials up (splitk_reduce_kernel).
inline GemmKernelArgs splitk_partials_args(GemmKernelArgs p, int splits, float* ws, bool ws_vec4) {
  const int64_t mn = static_cast<int64_t>(p.m) * p.n;
  p.splits = splits;
  p.c = ws;
  p.ldc = p.n;
  p.stride_c = splits * mn;
  p.stride_split = mn;
  p.alpha = 1.f;
  p.beta = 0.f;
  p.bias = nullptr;
  p.act = static_cast<int>(Activation::kLinear);
  p.pre = nullptr;
  p.c_vec4 = ws_vec4;
  return p;
}

// Grouped rasterisation: consecutive CTAs walk 8 tile rows down one tile column band, so the A panels of a group stay
// in L2 while the B panels stream. A bijection of [0, tiles_m * tiles_n) onto (tm, tn).
__device__ __forceinline__ void tile_coords(int tile, int tiles_m, int tiles_n, int& tm, int& tn) {
  constexpr int kGroup = 8;
  const int per_group = kGroup * tiles_n;
  const int group = tile / per_group;
  const int first_m = group * kGroup;
  const int rows = min(tiles_m - first_m, kGroup);
  const int local = tile - group * per_group;
  tm = first_m + local % rows;
  tn = local / rows;
}

// tfjs cpu semantics (Math.max(0, x) etc.): NaN propagates, relu(-0) = +0.
__device__ __forceinline__ float activate(float v, int act, float alpha) {
  switch (static_cast<Activation>(act)) {
    case Activation::kRelu:
      return v > 0.f ? v : (v != v ? v : 0.f);
    case Activation::kRelu6:
      return v != v ? v : (v > 0.f ? (v < 6.f ? v : 6.f) : 0.f);
    case Activation::kElu:
      return v >= 0.f ? v : expm1f(v);
    case Activation::kLeakyRelu:
      return v < 0.f ? alpha * v : v;
    case Activation::kSigmoid:
      return 1.f / (1.f + expf(-v));
    case Activation::kGeluErf:
      return 0.5f * v * (1.f + erff(v * 0.70710678118654752f));
    default:  // kLinear; kPrelu is a separate pass (its weights broadcast over the whole output, not per column)
      return v;
  }
}

// The value before the activation: alpha·acc + beta·old + bias[col]. `old` is only meaningful when beta != 0: with
// beta == 0, C is never read (it may hold NaN), as in BLAS.
__device__ __forceinline__ float pre_activation(const GemmKernelArgs& p, float acc, float old, int col) {
  float v = p.alpha * acc;
  if (p.beta != 0.f) v = fmaf(p.beta, old, v);
  if (p.bias) v += p.bias[col];
  return v;
}

// `pre` is this batch element's pre-activation matrix (p.pre + batch · p.stride_pre) or null.
__device__ __forceinline__ void store_one(const GemmKernelArgs& p, float* c, float* pre, int row, int col, float acc) {
  float* dst = c + static_cast<int64_t>(row) * p.ldc + col;
  const float v = pre_activation(p, acc, p.beta != 0.f ? *dst : 0.f, col);
  if (pre) pre[static_cast<int64_t>(row) * p.ldp + col] = v;
  *dst = activate(v, p.act, p.act_alpha);
}

// Four consecutive outputs of a row (col % 4 == 0, C rows 16-byte aligned): one 16-byte access when all four exist.
__device__ __forceinline__ void store_quad(const GemmKernelArgs& p, float* c, float* pre, int row, int col,
                                           float4 acc) {
  float* dst = c + static_cast<int64_t>(row) * p.ldc + col;
  if (col + 3 < p.n) {
    float4 old = make_float4(0.f, 0.f, 0.f, 0.f);
    if (p.beta != 0.f) old = *reinterpret_cast<const float4*>(dst);
    float4 v;
    v.x = pre_activation(p, acc.x, old.x, col);
    v.y = pre_activation(p, acc.y, old.y, col + 1);
    v.z = pre_activation(p, acc.z, old.z, col + 2);
    v.w = pre_activation(p, acc.w, old.w, col + 3);
    if (pre) {
      float* z = pre + static_cast<int64_t>(row) * p.ldp + col;
      if (p.pre_vec4) {
        *reinterpret_cast<float4*>(z) = v;
      } else {
        z[0] = v.x;
        z[1] = v.y;
        z[2] = v.z;
        z[3] = v.w;
      }
    }
    float4 out;
    out.x = activate(v.x, p.act, p.act_alpha);
    out.y = activate(v.y, p.act, p.act_alpha);
    out.z = activate(v.z, p.act, p.act_alpha);
    out.w = activate(v.w, p.act, p.act_alpha);
    *reinterpret_cast<float4*>(dst) = out;
  } else {
#pragma unroll 1
    for (int j = 0; col + j < p.n; ++j) {  // at most 3: the row's ragged end
      const float a = j == 0 ? acc.x : (j == 1 ? acc.y : acc.z);
      store_one(p, c, pre, row, col + j, a);
    }
  }
}

}  // namespace ibot::cuda::gemm_detail
