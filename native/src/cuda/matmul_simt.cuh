// Strict-FP32 SIMT GEMM (CUDA cores, fmaf): the path when TF32 is switched off and on sm_75, which has no TF32 tensor
// cores. Shared-memory tiles with a register-staged double buffer; each thread owns a TM x TN register block.
#pragma once
#include <cstdint>

#include "cuda/matmul_common.cuh"

namespace ibot::cuda::gemm_detail {

template <int BM_, int BN_, int TM_, int TN_, int MIN_BLOCKS_>
struct SimtTile {
  static constexpr int BM = BM_, BN = BN_, BK = 8, TM = TM_, TN = TN_, MIN_BLOCKS = MIN_BLOCKS_;
  static constexpr int TX = BN / TN, TY = BM / TM, THREADS = TX * TY;
  // A thread's rows are TM / 4 groups of 4 consecutive rows spaced BM / (TM / 4) apart (columns likewise), so one
  // float4 shared-memory read fetches a group and a warp's reads are broadcasts or consecutive 16-byte words.
  static constexpr int GM = TM / 4, GN = TN / 4;
  static_assert(TM % 4 == 0 && TN % 4 == 0 && THREADS == 256, "SIMT tiles use 256 threads and 4-wide groups");
  static_assert((BM * BK) % THREADS == 0 && (BN * BK) % THREADS == 0, "tile copy must divide evenly");
};

// Both operands are staged transposed to K-major ([BK][BM + 4], [BK][BN + 4]): the inner product then reads a row of
// each. The +4 pad keeps 16-byte alignment and spreads the transposing stores (k = idx % 8) over distinct banks.
template <class T, bool TA, bool TB>
__global__ void __launch_bounds__(T::THREADS, T::MIN_BLOCKS) gemm_simt_kernel(const GemmKernelArgs p) {
  constexpr int BM = T::BM, BN = T::BN, BK = T::BK, THREADS = T::THREADS;
  constexpr int A_LOADS = BM * BK / THREADS, B_LOADS = BN * BK / THREADS;
  __shared__ __align__(16) float sA[2][BK][BM + 4];
  __shared__ __align__(16) float sB[2][BK][BN + 4];

  const int tid = threadIdx.x, tx = tid % T::TX, ty = tid / T::TX;
  int tm, tn;
  tile_coords(blockIdx.x, p.tiles_m, p.tiles_n, tm, tn);
  const int m0 = tm * BM, n0 = tn * BN;
  const int z = blockIdx.z, batch = z / p.splits, split = z - batch * p.splits;
  const int k_begin = split * p.k_chunk;
  const int k_len = min(p.k - k_begin, p.k_chunk);
  const float* A = p.a + batch * p.stride_a + (TA ? k_begin * p.lda : static_cast<int64_t>(k_begin));
  const float* B = p.b + batch * p.stride_b + (TB ? static_cast<int64_t>(k_begin) : k_begin * p.ldb);
  float* C = p.c + batch * p.stride_c + split * p.stride_split;
  float* P = p.pre ? p.pre + batch * p.stride_pre : nullptr;
  const int rows_m = min(BM, p.m - m0), cols_n = min(BN, p.n - n0);
  const int ktiles = (k_len + BK - 1) / BK;

  // Element i of this thread's share of a tile: (m or n, k), ordered so consecutive threads read consecutive
  // addresses of the operand's contiguous dimension.
  float ra[A_LOADS], rb[B_LOADS];
  auto fetch = [&](int k0) {
#pragma unroll
    for (int i = 0; i < A_LOADS; ++i) {
      const int idx = tid + i * THREADS;
      const int m = TA ? idx % BM : idx / BK, kk = TA ? idx / BM : idx % BK;
      float v = 0.f;
      if (m < rows_m && k0 + kk < k_len)
        v = __ldg(TA ? A + static_cast<int64_t>(k0 + kk) * p.lda + (m0 + m)
                     : A + static_cast<int64_t>(m0 + m) * p.lda + (k0 + kk));
      ra[i] = v;
    }
#pragma unroll
    for (int i = 0; i < B_LOADS; ++i) {
      const int idx = tid + i * THREADS;
      const int n = TB ? idx / BK : idx % BN, kk = TB ? idx % BK : idx / BN;
      float v = 0.f;
      if (n < cols_n && k0 + kk < k_len)
        v = __ldg(TB ? B + static_cast<int64_t>(n0 + n) * p.ldb + (k0 + kk)
                     : B + static_cast<int64_t>(k0 + kk) * p.ldb + (n0 + n));
      rb[i] = v;
    }
  };
  auto stash = [&](int buf) {
#pragma unroll
    for (int i = 0; i < A_LOADS; ++i) {
      const int idx = tid + i * THREADS;
      const int m = TA ? idx % BM : idx / BK, kk = TA ? idx / BM : idx % BK;
      sA[buf][kk][m] = ra[i];
    }
#pragma unroll
    for (int i = 0; i < B_LOADS; ++i) {
      const int idx = tid + i * THREADS;
      const int n = TB ? idx / BK : idx % BN, kk = TB ? idx % BK : idx / BN;
      sB[buf][kk][n] = rb[i];
    }
  };

  float acc[T::TM][T::TN];
#pragma unroll
  for (int i = 0; i < T::TM; ++i)
#pragma unroll
    for (int j = 0; j < T::TN; ++j) acc[i][j] = 0.f;

  if (ktiles > 0) {
    fetch(0);
    stash(0);
  }
  __syncthreads();
  // One barrier per tile: the next tile goes into the other buffer, which every thread finished reading before the
  // previous iteration's barrier.
  for (int kt = 0; kt < ktiles; ++kt) {
    const int buf = kt & 1;
    if (kt + 1 < ktiles) fetch((kt + 1) * BK);
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      float a[T::TM], b[T::TN];
#pragma unroll
      for (int gi = 0; gi < T::GM; ++gi) {
        const float4 v = *reinterpret_cast<const float4*>(&sA[buf][kk][gi * (BM / T::GM) + ty * 4]);
        a[gi * 4 + 0] = v.x;
        a[gi * 4 + 1] = v.y;
        a[gi * 4 + 2] = v.z;
        a[gi * 4 + 3] = v.w;
      }
#pragma unroll
      for (int gj = 0; gj < T::GN; ++gj) {
        const float4 v = *reinterpret_cast<const float4*>(&sB[buf][kk][gj * (BN / T::GN) + tx * 4]);
        b[gj * 4 + 0] = v.x;
        b[gj * 4 + 1] = v.y;
        b[gj * 4 + 2] = v.z;
        b[gj * 4 + 3] = v.w;
      }
#pragma unroll
      for (int i = 0; i < T::TM; ++i)
#pragma unroll
        for (int j = 0; j < T::TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    if (kt + 1 < ktiles) stash(buf ^ 1);
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < T::TM; ++i) {
    const int row = m0 + (i / 4) * (BM / T::GM) + ty * 4 + (i % 4);
    if (row >= p.m) continue;
#pragma unroll
    for (int j = 0; j < T::TN; ++j) {
      const int col = n0 + (j / 4) * (BN / T::GN) + tx * 4 + (j % 4);
      if (col < p.n) store_one(p, C, P, row, col, acc[i][j]);
    }
  }
}

}  // namespace ibot::cuda::gemm_detail
