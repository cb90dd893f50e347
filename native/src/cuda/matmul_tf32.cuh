// TF32 tensor-core GEMM for sm_80+: mma.sync.m16n8k8 (fp32 accumulate) fed by a cp.async multi-stage shared-memory
// pipeline. Tile sizes and the reasoning behind them are in the rationale block at the top of cuda/matmul.cu.
#pragma once
#include <cstdint>

#include "cuda/matmul_common.cuh"

namespace ibot::cuda::gemm_detail {

// CTA tile BM x BN x 32, warp tile WM x WN (MI x NI mma tiles of 16 x 8), STAGES shared-memory buffers.
template <int BM_, int BN_, int WM_, int WN_, int STAGES_, int MIN_BLOCKS_>
struct Tf32Tile {
  static constexpr int BM = BM_, BN = BN_, BK = 32, WM = WM_, WN = WN_;
  static constexpr int STAGES = STAGES_, MIN_BLOCKS = MIN_BLOCKS_;
  static constexpr int WARPS_M = BM / WM, WARPS_N = BN / WN, THREADS = WARPS_M * WARPS_N * 32;
  static constexpr int MI = WM / 16, NI = WN / 8;
  static_assert(BM % WM == 0 && BN % WN == 0 && WM % 16 == 0 && WN % 8 == 0, "tile shape");
};

// Shared-memory tiles keep the global orientation (so cp.async copies rows as they are):
//   A: [BM][BK + 4] when K is contiguous, [BK][BM + 8] when A is transposed (M contiguous);
//   B: [BK][BN + 8] when N is contiguous, [BN][BK + 4] when B is transposed (K contiguous).
// With these pads a fragment load (lane = 4·g + t reads row g / column t, or the transpose) hits 32 distinct banks:
// a row stride of 36 floats maps (g, t) to bank 4g + t, a stride of 136 or 72 floats maps (t, g) to bank 8t + g.
// Every row stays a multiple of 16 bytes, as cp.async's 16-byte copies need.
template <class T, bool TA, bool TB>
struct Tf32Smem {
  static constexpr int A_ROWS = TA ? T::BK : T::BM, A_COLS = TA ? T::BM : T::BK, A_LD = A_COLS + (TA ? 8 : 4);
  static constexpr int B_ROWS = TB ? T::BN : T::BK, B_COLS = TB ? T::BK : T::BN, B_LD = B_COLS + (TB ? 4 : 8);
  static constexpr int A_STAGE = A_ROWS * A_LD, B_STAGE = B_ROWS * B_LD;
  static constexpr size_t BYTES = static_cast<size_t>(T::STAGES) * (A_STAGE + B_STAGE) * sizeof(float);
};

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
// native/test/cuda/gemm_emulate.cc compiles this header on the host and supplies these PTX helpers itself.
#ifndef IBOT_GEMM_HOST_EMULATION

__device__ __forceinline__ float* dynamic_smem() {
  extern __shared__ float4 gemm_smem[];
  return reinterpret_cast<float*>(gemm_smem);
}

// 16-byte copy global -> shared; only the first src_bytes are read, the rest of the 16 are zero-filled.
__device__ __forceinline__ void cp_async_16(float* smem, const float* gmem, int src_bytes) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(__cvta_generic_to_global(gmem)),
               "r"(src_bytes)
               : "memory");
}

// 4-byte copy for operands that are not 16-byte aligned; src_bytes = 0 writes a zero.
__device__ __forceinline__ void cp_async_4(float* smem, const float* gmem, int src_bytes) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(s), "l"(__cvta_generic_to_global(gmem)),
               "r"(src_bytes)
               : "memory");
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }

template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

// Round to nearest (ties away) to TF32; the tensor core would otherwise just drop the low 13 mantissa bits.
__device__ __forceinline__ uint32_t to_tf32(float x) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
  return r;
}

// d[16x8] += a[16x8] · b[8x8]. Fragments (g = lane / 4, t = lane % 4): a0 (g, t), a1 (g+8, t), a2 (g, t+4),
// a3 (g+8, t+4); b0 (k = t, n = g), b1 (k = t+4, n = g); d0 (g, 2t), d1 (g, 2t+1), d2 (g+8, 2t), d3 (g+8, 2t+1).
__device__ __forceinline__ void mma_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

#endif  // IBOT_GEMM_HOST_EMULATION

// Copies a ROWS x COLS tile (row r at src + r·ld) into shared memory with row stride LD; elements at or past
// (rows, cols) become zeros, so partial tiles need no special case in the math.
template <int ROWS, int COLS, int LD, int THREADS>
__device__ __forceinline__ void load_tile(float* dst, const float* src, int64_t ld, int rows, int cols, bool vec,
                                          int tid) {
  if (vec) {
    constexpr int kChunksPerRow = COLS / 4, kChunks = ROWS * kChunksPerRow;
    static_assert(kChunks % THREADS == 0, "tile copy must divide evenly over the threads");
#pragma unroll
    for (int i = 0; i < kChunks / THREADS; ++i) {
      const int idx = tid + i * THREADS;
      const int r = idx / kChunksPerRow, c = (idx % kChunksPerRow) * 4;
      const int n = r < rows ? min(max(cols - c, 0), 4) : 0;
      cp_async_16(dst + r * LD + c, n > 0 ? src + r * ld + c : src, n * 4);
    }
  } else {
    constexpr int kElems = ROWS * COLS;
    static_assert(kElems % THREADS == 0, "tile copy must divide evenly over the threads");
#pragma unroll 4
    for (int i = 0; i < kElems / THREADS; ++i) {
      const int idx = tid + i * THREADS;
      const int r = idx / COLS, c = idx % COLS;
      const bool ok = r < rows && c < cols;
      cp_async_4(dst + r * LD + c, ok ? src + r * ld + c : src, ok ? 4 : 0);
    }
  }
}

#endif  // __CUDA_ARCH__ >= 800

// One CTA computes a BM x BN tile of one (batch, split) over its K range. Launched only on devices of compute
// capability 8.0 or newer; the body is empty in the sm_75 image.
template <class T, bool TA, bool TB>
__global__ void __launch_bounds__(T::THREADS, T::MIN_BLOCKS) gemm_tf32_kernel(const GemmKernelArgs p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using S = Tf32Smem<T, TA, TB>;
  float* sA = dynamic_smem();                     // [STAGES][A_STAGE]
  float* sB = sA + T::STAGES * S::A_STAGE;        // [STAGES][B_STAGE]

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int g = lane >> 2, t = lane & 3;
  const int wm0 = (warp % T::WARPS_M) * T::WM, wn0 = (warp / T::WARPS_M) * T::WN;

  int tm, tn;
  tile_coords(blockIdx.x, p.tiles_m, p.tiles_n, tm, tn);
  const int m0 = tm * T::BM, n0 = tn * T::BN;
  const int z = blockIdx.z, batch = z / p.splits, split = z - batch * p.splits;
  const int k_begin = split * p.k_chunk;
  const int k_len = min(p.k - k_begin, p.k_chunk);
  const float* A = p.a + batch * p.stride_a + (TA ? k_begin * p.lda : static_cast<int64_t>(k_begin));
  const float* B = p.b + batch * p.stride_b + (TB ? static_cast<int64_t>(k_begin) : k_begin * p.ldb);
  float* C = p.c + batch * p.stride_c + split * p.stride_split;
  float* P = p.pre ? p.pre + batch * p.stride_pre : nullptr;

  const int ktiles = (k_len + T::BK - 1) / T::BK;
  const int rows_m = min(T::BM, p.m - m0), cols_n = min(T::BN, p.n - n0);

  auto load_stage = [&](int stage, int kt) {
    const int k0 = kt * T::BK, kv = min(T::BK, k_len - k0);
    float* a_dst = sA + stage * S::A_STAGE;
    float* b_dst = sB + stage * S::B_STAGE;
    if constexpr (TA)
      load_tile<S::A_ROWS, S::A_COLS, S::A_LD, T::THREADS>(a_dst, A + k0 * p.lda + m0, p.lda, kv, rows_m, p.a_vec, tid);
    else
      load_tile<S::A_ROWS, S::A_COLS, S::A_LD, T::THREADS>(a_dst, A + m0 * p.lda + k0, p.lda, rows_m, kv, p.a_vec, tid);
    if constexpr (TB)
      load_tile<S::B_ROWS, S::B_COLS, S::B_LD, T::THREADS>(b_dst, B + n0 * p.ldb + k0, p.ldb, cols_n, kv, p.b_vec, tid);
    else
      load_tile<S::B_ROWS, S::B_COLS, S::B_LD, T::THREADS>(b_dst, B + k0 * p.ldb + n0, p.ldb, kv, cols_n, p.b_vec, tid);
  };

  float acc[T::MI][T::NI][4];
#pragma unroll
  for (int mi = 0; mi < T::MI; ++mi)
#pragma unroll
    for (int ni = 0; ni < T::NI; ++ni)
#pragma unroll
      for (int r = 0; r < 4; ++r) acc[mi][ni][r] = 0.f;

  // Prologue: STAGES - 1 tiles in flight. Every iteration commits exactly one group (possibly empty), so
  // wait_group<STAGES - 2> at iteration kt means the groups of tiles 0..kt have landed.
#pragma unroll
  for (int s = 0; s < T::STAGES - 1; ++s) {
    if (s < ktiles) load_stage(s, s);
    cp_async_commit();
  }

  for (int kt = 0; kt < ktiles; ++kt) {
    cp_async_wait<T::STAGES - 2>();
    // Makes tile kt visible to every thread, and proves every warp is done with the stage computed at kt - 1,
    // which the prefetch below overwrites.
    __syncthreads();
    {
      const int next = kt + T::STAGES - 1;
      if (next < ktiles) load_stage(next % T::STAGES, next);
      cp_async_commit();
    }
    const int stage = kt % T::STAGES;
    const float* a_s = sA + stage * S::A_STAGE;
    const float* b_s = sB + stage * S::B_STAGE;
#pragma unroll
    for (int kk = 0; kk < T::BK; kk += 8) {
      uint32_t bf[T::NI][2];
#pragma unroll
      for (int ni = 0; ni < T::NI; ++ni) {
        const int n = wn0 + ni * 8 + g;
        if constexpr (TB) {
          bf[ni][0] = to_tf32(b_s[n * S::B_LD + kk + t]);
          bf[ni][1] = to_tf32(b_s[n * S::B_LD + kk + t + 4]);
        } else {
          bf[ni][0] = to_tf32(b_s[(kk + t) * S::B_LD + n]);
          bf[ni][1] = to_tf32(b_s[(kk + t + 4) * S::B_LD + n]);
        }
      }
#pragma unroll
      for (int mi = 0; mi < T::MI; ++mi) {
        const int r = wm0 + mi * 16 + g;
        uint32_t af[4];
        if constexpr (TA) {
          af[0] = to_tf32(a_s[(kk + t) * S::A_LD + r]);
          af[1] = to_tf32(a_s[(kk + t) * S::A_LD + r + 8]);
          af[2] = to_tf32(a_s[(kk + t + 4) * S::A_LD + r]);
          af[3] = to_tf32(a_s[(kk + t + 4) * S::A_LD + r + 8]);
        } else {
          af[0] = to_tf32(a_s[r * S::A_LD + kk + t]);
          af[1] = to_tf32(a_s[(r + 8) * S::A_LD + kk + t]);
          af[2] = to_tf32(a_s[r * S::A_LD + kk + t + 4]);
          af[3] = to_tf32(a_s[(r + 8) * S::A_LD + kk + t + 4]);
        }
#pragma unroll
        for (int ni = 0; ni < T::NI; ++ni) mma_tf32(acc[mi][ni], af, bf[ni]);
      }
    }
  }
  // Epilogue. The pipeline buffers are free now: stage the accumulator tile there, then write whole rows with all
  // threads (16-byte coalesced stores, and one copy of the epilogue code rather than one per accumulator register).
  cp_async_wait<0>();  // only empty groups can be outstanding
  __syncthreads();     // every warp is done reading the last stage
  // Row stride BN + 8: a half-warp's float2 writes (rows g..g+3, columns 2t) land in banks 8g + 2t, all distinct.
  constexpr int C_LD = T::BN + 8;
  static_assert(static_cast<size_t>(T::BM) * C_LD * sizeof(float) <= S::BYTES, "C tile must fit the pipeline smem");
  float* sC = sA;
#pragma unroll
  for (int mi = 0; mi < T::MI; ++mi) {
#pragma unroll
    for (int ni = 0; ni < T::NI; ++ni) {
      const int r = wm0 + mi * 16 + g, c = wn0 + ni * 8 + 2 * t;
      *reinterpret_cast<float2*>(sC + r * C_LD + c) = make_float2(acc[mi][ni][0], acc[mi][ni][1]);
      *reinterpret_cast<float2*>(sC + (r + 8) * C_LD + c) = make_float2(acc[mi][ni][2], acc[mi][ni][3]);
    }
  }
  __syncthreads();
  if (p.c_vec4) {
    constexpr int kQuadsPerRow = T::BN / 4;
#pragma unroll 1
    for (int idx = tid; idx < T::BM * kQuadsPerRow; idx += T::THREADS) {
      const int r = idx / kQuadsPerRow, c = (idx - r * kQuadsPerRow) * 4;
      if (r < rows_m && c < cols_n)
        store_quad(p, C, P, m0 + r, n0 + c, *reinterpret_cast<const float4*>(sC + r * C_LD + c));
    }
  } else {
#pragma unroll 1
    for (int idx = tid; idx < T::BM * T::BN; idx += T::THREADS) {
      const int r = idx / T::BN, c = idx - r * T::BN;
      if (r < rows_m && c < cols_n) store_one(p, C, P, m0 + r, n0 + c, sC[r * C_LD + c]);
    }
  }
#endif
}

}  // namespace ibot::cuda::gemm_detail
