// Reductions shared by the norm family's CUDA kernels (cuda/norm_*.cu). The butterfly (xor) shuffles leave the same
// bits in every lane — each addition is a + b in one lane and b + a in its partner — so whole warps or blocks can
// branch on a reduced value without disagreeing.
#pragma once

namespace ibot::cuda::norm_detail {

constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
  return v;
}

// Sums of a and b over the block (blockDim.x a multiple of 32, at most 1024); every thread gets both. `scratch` is
// shared memory for 32 float2; the leading barrier lets a block call this in a loop.
__device__ __forceinline__ void block_sum2(float& a, float& b, float2* scratch) {
  a = warp_sum(a);
  b = warp_sum(b);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  __syncthreads();
  if (lane == 0) scratch[warp] = make_float2(a, b);
  __syncthreads();
  const float2 p = lane < warps ? scratch[lane] : make_float2(0.f, 0.f);
  a = warp_sum(p.x);
  b = warp_sum(p.y);
}

// max(n, eps) with tfjs Maximum's NaN rule (a NaN operand gives NaN; fmaxf would drop it).
__device__ __forceinline__ float clamp_norm(float n, float eps) { return n != n ? n : (n > eps ? n : eps); }

}  // namespace ibot::cuda::norm_detail
