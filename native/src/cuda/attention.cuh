// The fused attention kernels (launched by cuda/attention.cu; the rationale block is there). Written over one warp
// primitive, warp_mma: C[16 x 8·NT] += A[16 x K] · B[K x 8·NT] with A and B in shared memory and C in the register
// layout of mma.sync.m16n8k8 (lane = 4 g + t holds rows g and g + 8, columns 2t and 2t + 1 of each 8-column block).
// With kTf32 it issues TF32 tensor-core MMAs (sm_80+); without, every lane computes the same four outputs per block
// with fp32 FMAs from shared memory (sm_75, and strict FP32). So all kernels have one source for both paths, and
// native/test/cuda/attention_emulate.cc runs this file on the host to check its index math.
#pragma once
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

namespace ibot::cuda::attention_detail {

// ---- per-launch arguments ---------------------------------------------------------------------------------------

// Every tensor is [heads, n, d] (B·H heads) or [heads, n] (lse, delta), row-major.
struct FwdArgs {
  const float* q;
  const float* k;
  const float* v;
  float* out;
  float* lse;
  int n, d;
  float scale;
};

struct BwdArgs {
  const float* q;
  const float* k;
  const float* v;
  const float* out;
  const float* dy;
  const float* lse;
  float* delta;  // [heads, n] rowsum(dy ⊙ out): written by attention_delta_kernel, read by the dq and dk/dv kernels
  float* dq;
  float* dk;
  float* dv;
  int n, d;
  float scale;
};

struct ProbsArgs {
  const float* q;
  const float* k;
  const float* lse;
  float* probs;  // [heads, n, n]
  int n, d;
  float scale;
};

// ---- tile shapes ------------------------------------------------------------------------------------------------

// Shared-memory row strides: ≡ 4 (mod 32) floats for tiles whose fragments are read as (row g, column t) — A
// operands and transposed B operands — and ≡ 8 (mod 32) for B operands read as (row t, column g): both make the
// 32 lanes of a fragment load hit 32 distinct banks (see matmul_tf32.cuh). Tiles read both ways take + 4 and accept
// a 2-way conflict on the other access.
constexpr int ld_a(int cols) { return cols + 4; }
constexpr int ld_b(int cols) { return cols + 8; }

// Forward: WARPS x 16 query rows per CTA against BN-key tiles of K and V.
template <int D>
struct FwdTile {
  static constexpr int WARPS = D <= 64 ? 4 : 2, BM = 16 * WARPS, BN = 32, THREADS = 32 * WARPS;
  static constexpr int LDQ = ld_a(D), LDK = ld_a(D), LDV = ld_b(D), LDP = ld_a(BN);
  static constexpr int Q_OFF = 0, K_OFF = Q_OFF + BM * LDQ, V_OFF = K_OFF + BN * LDK, P_OFF = V_OFF + BN * LDV;
  static constexpr size_t BYTES = sizeof(float) * (P_OFF + WARPS * 16 * LDP);
};

// dK/dV: WARPS x 16 keys per CTA, accumulated over BMQ-row tiles of Q and dO.
template <int D>
struct DkvTile {
  static constexpr int WARPS = D <= 64 ? 4 : 2, BNK = 16 * WARPS, BMQ = D <= 64 ? 32 : 16, THREADS = 32 * WARPS;
  static constexpr int LD = ld_a(D), LDT = ld_a(BMQ);
  static constexpr int K_OFF = 0, V_OFF = K_OFF + BNK * LD, Q_OFF = V_OFF + BNK * LD, Y_OFF = Q_OFF + BMQ * LD;
  static constexpr int L_OFF = Y_OFF + BMQ * LD, D_OFF = L_OFF + BMQ, T_OFF = D_OFF + BMQ;
  static constexpr size_t BYTES = sizeof(float) * (T_OFF + WARPS * 16 * LDT);
};

// dQ: WARPS x 16 query rows per CTA against BN-key tiles of K and V.
template <int D>
struct DqTile {
  static constexpr int WARPS = D <= 64 ? 4 : 2, BM = 16 * WARPS, BN = D <= 64 ? 32 : 16, THREADS = 32 * WARPS;
  static constexpr int LD = ld_a(D), LDS = ld_a(BN);
  static constexpr int Q_OFF = 0, Y_OFF = Q_OFF + BM * LD, K_OFF = Y_OFF + BM * LD, V_OFF = K_OFF + BN * LD;
  static constexpr int S_OFF = V_OFF + BN * LD;
  static constexpr size_t BYTES = sizeof(float) * (S_OFF + WARPS * 16 * LDS);
};

// ---- device primitives (native/test/cuda/attention_emulate.cc supplies its own under IBOT_ATTENTION_HOST_EMULATION)

#ifndef IBOT_ATTENTION_HOST_EMULATION

__device__ __forceinline__ float* attention_smem() {
  extern __shared__ float4 attention_smem_raw[];
  return reinterpret_cast<float*>(attention_smem_raw);
}

__device__ __forceinline__ void warp_sync() { __syncwarp(); }

// Over the 4 lanes of a quad (the lanes holding one row of an MMA tile).
__device__ __forceinline__ float quad_max(float v) {
  v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
  return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}
__device__ __forceinline__ float quad_sum(float v) {
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  return v + __shfl_xor_sync(0xffffffffu, v, 2);
}
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, off));
  return v;
}

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
// Round to nearest (ties away) to TF32, kept as a float whose low 13 mantissa bits are 0.
__device__ __forceinline__ float round_tf32(float x) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
  return __uint_as_float(r);
}

// d[16x8] += a[16x8] · b[8x8], fragments as in matmul_tf32.cuh: a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4);
// b0 (k = t, n = g), b1 (k = t+4, n = g); d0 (g, 2t), d1 (g, 2t+1), d2 (g+8, 2t), d3 (g+8, 2t+1).
__device__ __forceinline__ void mma_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
#define IBOT_ATTENTION_HAVE_MMA 1
#endif

#else
#define IBOT_ATTENTION_HAVE_MMA 1
#endif  // IBOT_ATTENTION_HOST_EMULATION

// What goes into shared memory: TF32 operands are rounded once when staged (each is read by several fragments).
template <bool kTf32>
__device__ __forceinline__ float stage(float x) {
#ifdef IBOT_ATTENTION_HAVE_MMA
  if constexpr (kTf32) return round_tf32(x);
#endif
  return x;
}

__device__ __forceinline__ uint32_t bits(float x) {
#ifdef IBOT_ATTENTION_HOST_EMULATION
  uint32_t u;
  __builtin_memcpy(&u, &x, 4);
  return u;
#else
  return __float_as_uint(x);
#endif
}

// acc[NT][4] (C layout) += A[16 x K] · B[K x 8·NT] for one warp. A(r, k) = a[r·lda + k]; B(k, n) = b[k·ldb + n],
// or b[n·ldb + k] when kBT (the tile holds Bᵀ: K or V rows for products with Kᵀ or Vᵀ). K % 8 == 0.
template <bool kTf32, int K, int NT, bool kBT>
__device__ __forceinline__ void warp_mma(float (&acc)[NT][4], const float* a, int lda, const float* b, int ldb) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  if constexpr (kTf32) {
#ifdef IBOT_ATTENTION_HAVE_MMA
#pragma unroll 2
    for (int k0 = 0; k0 < K; k0 += 8) {
      const uint32_t af[4] = {bits(a[g * lda + k0 + t]), bits(a[(g + 8) * lda + k0 + t]),
                              bits(a[g * lda + k0 + t + 4]), bits(a[(g + 8) * lda + k0 + t + 4])};
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
        const int n = nt * 8 + g;
        uint32_t bf[2];
        if constexpr (kBT) {
          bf[0] = bits(b[n * ldb + k0 + t]);
          bf[1] = bits(b[n * ldb + k0 + t + 4]);
        } else {
          bf[0] = bits(b[(k0 + t) * ldb + n]);
          bf[1] = bits(b[(k0 + t + 4) * ldb + n]);
        }
        mma_tf32(acc[nt], af, bf);
      }
    }
#else
    __trap();  // TF32 kernels are launched only on sm_80+ (the host checks the compute capability)
#endif
  } else {
#pragma unroll 2
    for (int k = 0; k < K; ++k) {
      const float a0 = a[g * lda + k], a1 = a[(g + 8) * lda + k];
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
        const int n = nt * 8 + 2 * t;
        const float b0 = kBT ? b[n * ldb + k] : b[k * ldb + n];
        const float b1 = kBT ? b[(n + 1) * ldb + k] : b[k * ldb + n + 1];
        acc[nt][0] = fmaf(a0, b0, acc[nt][0]);
        acc[nt][1] = fmaf(a0, b1, acc[nt][1]);
        acc[nt][2] = fmaf(a1, b0, acc[nt][2]);
        acc[nt][3] = fmaf(a1, b1, acc[nt][3]);
      }
    }
  }
}

template <int NT>
__device__ __forceinline__ void zero(float (&acc)[NT][4]) {
#pragma unroll
  for (int i = 0; i < NT; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) acc[i][e] = 0.f;
}

// dst[r][c] = mul · src[(row0 + r)·d + c] for r < ROWS, c < D; zero past n rows or d columns (partial tiles and odd
// head dimensions need no other special case). `vec`: d % 4 == 0 and src 16-byte aligned, so whole float4 chunks.
template <bool kTf32, int ROWS, int D, int THREADS>
__device__ __forceinline__ void load_rows(float* dst, int ld, const float* src, int row0, int n, int d, float mul,
                                          bool vec) {
  const int tid = threadIdx.x;
  if (vec) {
    constexpr int kChunks = ROWS * (D / 4);
#pragma unroll 4
    for (int i = tid; i < kChunks; i += THREADS) {
      const int r = i / (D / 4), c = (i % (D / 4)) * 4, row = row0 + r;
      float4 x = make_float4(0.f, 0.f, 0.f, 0.f);
      if (row < n && c < d) x = *reinterpret_cast<const float4*>(src + static_cast<int64_t>(row) * d + c);
      float* o = dst + r * ld + c;
      o[0] = stage<kTf32>(x.x * mul);
      o[1] = stage<kTf32>(x.y * mul);
      o[2] = stage<kTf32>(x.z * mul);
      o[3] = stage<kTf32>(x.w * mul);
    }
  } else {
#pragma unroll 4
    for (int i = tid; i < ROWS * D; i += THREADS) {
      const int r = i / D, c = i % D, row = row0 + r;
      const float x = row < n && c < d ? src[static_cast<int64_t>(row) * d + c] : 0.f;
      dst[r * ld + c] = stage<kTf32>(x * mul);
    }
  }
}

// Writes a C-layout warp tile (rows row0 + g, row0 + g + 8) scaled per row into dst [n, d], inside (n, d) only.
template <int NT>
__device__ __forceinline__ void store_rows(float* dst, const float (&acc)[NT][4], int row0, int n, int d,
                                           const float (&row_scale)[2]) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int row = row0 + g + 8 * r;
    if (row >= n) continue;
    float* o = dst + static_cast<int64_t>(row) * d;
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
      const int c = nt * 8 + 2 * t;
      if (c < d) o[c] = acc[nt][2 * r] * row_scale[r];
      if (c + 1 < d) o[c + 1] = acc[nt][2 * r + 1] * row_scale[r];
    }
  }
}

// Stores a C-layout warp tile into a [16][ld] shared-memory tile (as the A operand of the next product).
template <bool kTf32, int NT>
__device__ __forceinline__ void stage_tile(float* dst, int ld, const float (&acc)[NT][4]) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int nt = 0; nt < NT; ++nt) {
    const int c = nt * 8 + 2 * t;
    dst[g * ld + c] = stage<kTf32>(acc[nt][0]);
    dst[g * ld + c + 1] = stage<kTf32>(acc[nt][1]);
    dst[(g + 8) * ld + c] = stage<kTf32>(acc[nt][2]);
    dst[(g + 8) * ld + c + 1] = stage<kTf32>(acc[nt][3]);
  }
}

// ---- forward ----------------------------------------------------------------------------------------------------

// One CTA per (head, BM query rows); grid.x = heads · tiles. Each warp keeps 16 rows' output in registers and runs
// the online softmax (running max m and sum l per row) over the key tiles.
template <bool kTf32, int D>
__global__ void __launch_bounds__(FwdTile<D>::THREADS) attention_fwd_kernel(const FwdArgs p, bool vec) {
  using T = FwdTile<D>;
  float* smem = attention_smem();
  float* sQ = smem + T::Q_OFF;  // [BM][LDQ] q · scale
  float* sK = smem + T::K_OFF;  // [BN][LDK]
  float* sV = smem + T::V_OFF;  // [BN][LDV]
  const int tiles = (p.n + T::BM - 1) / T::BM;
  const int head = blockIdx.x / tiles, row0 = (blockIdx.x % tiles) * T::BM;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, t = lane & 3;
  const int64_t base = static_cast<int64_t>(head) * p.n * p.d;
  float* sP = smem + T::P_OFF + warp * 16 * T::LDP;  // [16][LDP] this warp's probabilities
  const float* myQ = sQ + warp * 16 * T::LDQ;

  load_rows<kTf32, T::BM, D, T::THREADS>(sQ, T::LDQ, p.q + base, row0, p.n, p.d, p.scale, vec);
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};
  float o[D / 8][4];
  zero(o);
  for (int k0 = 0; k0 < p.n; k0 += T::BN) {
    __syncthreads();  // the previous tile's K and V are no longer read
    load_rows<kTf32, T::BN, D, T::THREADS>(sK, T::LDK, p.k + base, k0, p.n, p.d, 1.f, vec);
    load_rows<kTf32, T::BN, D, T::THREADS>(sV, T::LDV, p.v + base, k0, p.n, p.d, 1.f, vec);
    __syncthreads();
    float s[T::BN / 8][4];  // scaled scores of this warp's 16 rows x BN keys
    zero(s);
    warp_mma<kTf32, D, T::BN / 8, true>(s, myQ, T::LDQ, sK, T::LDK);
    const int valid = p.n - k0;  // keys of this tile that exist
    float mx[2] = {m[0], m[1]};
#pragma unroll
    for (int nt = 0; nt < T::BN / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        if (nt * 8 + 2 * t + (e & 1) >= valid) s[nt][e] = -INFINITY;
        mx[e >> 1] = fmaxf(mx[e >> 1], s[nt][e]);  // fmaxf skips NaN, as the CPU's max does
      }
    float alpha[2], sum[2] = {0.f, 0.f};
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      mx[r] = quad_max(mx[r]);
      alpha[r] = m[r] == mx[r] ? 1.f : expf(m[r] - mx[r]);  // also 1 while both are still -inf
    }
#pragma unroll
    for (int nt = 0; nt < T::BN / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[nt][e] = expf(s[nt][e] - mx[e >> 1]);
        sum[e >> 1] += s[nt][e];
      }
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      l[r] = l[r] * alpha[r] + quad_sum(sum[r]);
      m[r] = mx[r];
    }
#pragma unroll
    for (int nt = 0; nt < D / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) o[nt][e] *= alpha[e >> 1];
    stage_tile<kTf32>(sP, T::LDP, s);
    warp_sync();
    warp_mma<kTf32, T::BN, D / 8, false>(o, sP, T::LDP, sV, T::LDV);
    warp_sync();  // sP is rewritten by the next tile
  }
  const int g = lane >> 2, wrow0 = row0 + warp * 16;
  const float inv[2] = {1.f / l[0], 1.f / l[1]};
  store_rows(p.out + base, o, wrow0, p.n, p.d, inv);
  if (t == 0) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const int row = wrow0 + g + 8 * r;
      if (row < p.n) p.lse[static_cast<int64_t>(head) * p.n + row] = m[r] + logf(l[r]);
    }
  }
}

// The normalised probabilities for attention maps: probs[i][j] = exp(scale · q_i · k_j - lse_i) in plain fp32, one
// 32 x 32 block per CTA (256 threads: 4 queries x 1 key each), q and k rows staged in shared memory [32][d + 1].
__global__ void __launch_bounds__(256) attention_probs_kernel(const ProbsArgs p) {
  float* sq = attention_smem();
  const int ld = p.d + 1;  // odd stride: the 32 lanes read 32 different keys' rows conflict-free
  float* sk = sq + 32 * ld;
  const int tiles = (p.n + 31) / 32;
  const int head = blockIdx.x / (tiles * tiles), rest = blockIdx.x % (tiles * tiles);
  const int i0 = (rest / tiles) * 32, j0 = (rest % tiles) * 32;
  const int64_t base = static_cast<int64_t>(head) * p.n * p.d;
  for (int idx = threadIdx.x; idx < 32 * p.d; idx += 256) {
    const int r = idx / p.d, c = idx % p.d;
    sq[r * ld + c] = i0 + r < p.n ? p.q[base + static_cast<int64_t>(i0 + r) * p.d + c] : 0.f;
    sk[r * ld + c] = j0 + r < p.n ? p.k[base + static_cast<int64_t>(j0 + r) * p.d + c] : 0.f;
  }
  __syncthreads();
  const int tx = threadIdx.x & 31, ty = threadIdx.x >> 5;
  for (int qi = ty; qi < 32; qi += 8) {
    float dot = 0.f;
    for (int c = 0; c < p.d; ++c) dot = fmaf(sq[qi * ld + c], sk[tx * ld + c], dot);
    const int i = i0 + qi, j = j0 + tx;
    if (i < p.n && j < p.n) {
      const int64_t row = static_cast<int64_t>(head) * p.n + i;
      p.probs[row * p.n + j] = p.scale * dot;  // the score; attention_probs_normalise_kernel turns rows into P
    }
  }
}

// Each row of scores becomes softmax(row) in place, one warp per row: exp(s - max) / Σ, as the composite softmax
// computes it. exp(s - lse) would be cheaper but carries lse's rounding (|lse| · 2^-24 absolute) into every
// probability: a row of equal scores 16000 would not give exactly 1/N.
__global__ void __launch_bounds__(256) attention_probs_normalise_kernel(float* probs, int64_t rows, int n) {
  const int lane = threadIdx.x & 31;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5);
  if (row >= rows) return;  // whole warps leave together, so the warp reductions below see all 32 lanes
  float* s = probs + row * n;
  float m = -INFINITY;
  for (int j = lane; j < n; j += 32) m = fmaxf(m, s[j]);
  m = warp_max(m);
  float l = 0.f;
  for (int j = lane; j < n; j += 32) l += expf(s[j] - m);
  l = warp_sum(l);
  for (int j = lane; j < n; j += 32) s[j] = expf(s[j] - m) / l;
}

// ---- backward ---------------------------------------------------------------------------------------------------

// delta[row] = Σ_c dy[row][c] · out[row][c], one warp per row (FlashAttention-2's preprocessing step).
__global__ void __launch_bounds__(256) attention_delta_kernel(const BwdArgs p, int64_t rows) {
  const int lane = threadIdx.x & 31;
  const int64_t row = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5;
  if (row >= rows) return;
  const float* y = p.dy + row * p.d;
  const float* o = p.out + row * p.d;
  float acc = 0.f;
  for (int c = lane; c < p.d; c += 32) acc = fmaf(y[c], o[c], acc);
  acc = warp_sum(acc);
  if (lane == 0) p.delta[row] = acc;
}

// dK and dV of WARPS x 16 keys per CTA (grid.x = heads · key tiles), accumulated in registers over all query tiles,
// computed transposed so that the keys are the rows: Sᵀ = (K·scale) Qᵀ, Pᵀ = exp(Sᵀ - lse), dV += Pᵀ dO,
// dPᵀ = V dOᵀ, dSᵀ = Pᵀ ⊙ (dPᵀ - delta) · scale, dK += dSᵀ Q. No atomics: each key belongs to one CTA.
template <bool kTf32, int D>
__global__ void __launch_bounds__(DkvTile<D>::THREADS) attention_dkv_kernel(const BwdArgs p, bool vec) {
  using T = DkvTile<D>;
  float* smem = attention_smem();
  float* sK = smem + T::K_OFF;  // [BNK][LD] k · scale
  float* sV = smem + T::V_OFF;  // [BNK][LD]
  float* sQ = smem + T::Q_OFF;  // [BMQ][LD]
  float* sY = smem + T::Y_OFF;  // [BMQ][LD] dO
  float* sL = smem + T::L_OFF;  // [BMQ] lse (+inf past n: P = 0)
  float* sD = smem + T::D_OFF;  // [BMQ] delta
  const int tiles = (p.n + T::BNK - 1) / T::BNK;
  const int head = blockIdx.x / tiles, key0 = (blockIdx.x % tiles) * T::BNK;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, t = lane & 3;
  const int64_t base = static_cast<int64_t>(head) * p.n * p.d, rbase = static_cast<int64_t>(head) * p.n;
  float* sT = smem + T::T_OFF + warp * 16 * T::LDT;  // [16][LDT] Pᵀ, then dSᵀ, of this warp's keys
  const float* myK = sK + warp * 16 * T::LD;
  const float* myV = sV + warp * 16 * T::LD;

  load_rows<kTf32, T::BNK, D, T::THREADS>(sK, T::LD, p.k + base, key0, p.n, p.d, p.scale, vec);
  load_rows<kTf32, T::BNK, D, T::THREADS>(sV, T::LD, p.v + base, key0, p.n, p.d, 1.f, vec);
  float dk[D / 8][4], dv[D / 8][4];
  zero(dk);
  zero(dv);
  for (int q0 = 0; q0 < p.n; q0 += T::BMQ) {
    __syncthreads();  // the previous query tile is no longer read (and K, V are visible on the first pass)
    load_rows<kTf32, T::BMQ, D, T::THREADS>(sQ, T::LD, p.q + base, q0, p.n, p.d, 1.f, vec);
    load_rows<kTf32, T::BMQ, D, T::THREADS>(sY, T::LD, p.dy + base, q0, p.n, p.d, 1.f, vec);
    for (int i = threadIdx.x; i < T::BMQ; i += T::THREADS) {
      const bool in = q0 + i < p.n;
      sL[i] = in ? p.lse[rbase + q0 + i] : INFINITY;
      sD[i] = in ? p.delta[rbase + q0 + i] : 0.f;
    }
    __syncthreads();
    float st[T::BMQ / 8][4];  // Sᵀ, then Pᵀ: this warp's 16 keys x BMQ queries
    zero(st);
    warp_mma<kTf32, D, T::BMQ / 8, true>(st, myK, T::LD, sQ, T::LD);
#pragma unroll
    for (int nt = 0; nt < T::BMQ / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) st[nt][e] = expf(st[nt][e] - sL[nt * 8 + 2 * t + (e & 1)]);
    stage_tile<kTf32>(sT, T::LDT, st);
    warp_sync();
    warp_mma<kTf32, T::BMQ, D / 8, false>(dv, sT, T::LDT, sY, T::LD);
    float dpt[T::BMQ / 8][4];
    zero(dpt);
    warp_mma<kTf32, D, T::BMQ / 8, true>(dpt, myV, T::LD, sY, T::LD);
#pragma unroll
    for (int nt = 0; nt < T::BMQ / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) dpt[nt][e] = st[nt][e] * (dpt[nt][e] - sD[nt * 8 + 2 * t + (e & 1)]) * p.scale;
    warp_sync();  // every lane has read Pᵀ from sT
    stage_tile<kTf32>(sT, T::LDT, dpt);
    warp_sync();
    warp_mma<kTf32, T::BMQ, D / 8, false>(dk, sT, T::LDT, sQ, T::LD);
  }
  const float one[2] = {1.f, 1.f};
  store_rows(p.dk + base, dk, key0 + warp * 16, p.n, p.d, one);
  store_rows(p.dv + base, dv, key0 + warp * 16, p.n, p.d, one);
}

// dQ of WARPS x 16 query rows per CTA (grid.x = heads · query tiles) over all key tiles: S = (Q·scale) Kᵀ,
// P = exp(S - lse), dP = dO Vᵀ, dS = P ⊙ (dP - delta) · scale, dQ += dS K. No atomics.
template <bool kTf32, int D>
__global__ void __launch_bounds__(DqTile<D>::THREADS) attention_dq_kernel(const BwdArgs p, bool vec) {
  using T = DqTile<D>;
  float* smem = attention_smem();
  float* sQ = smem + T::Q_OFF;  // [BM][LD] q · scale
  float* sY = smem + T::Y_OFF;  // [BM][LD] dO
  float* sK = smem + T::K_OFF;  // [BN][LD]
  float* sV = smem + T::V_OFF;  // [BN][LD]
  const int tiles = (p.n + T::BM - 1) / T::BM;
  const int head = blockIdx.x / tiles, row0 = (blockIdx.x % tiles) * T::BM;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int64_t base = static_cast<int64_t>(head) * p.n * p.d, rbase = static_cast<int64_t>(head) * p.n;
  float* sS = smem + T::S_OFF + warp * 16 * T::LDS;  // [16][LDS] this warp's dS
  const float* myQ = sQ + warp * 16 * T::LD;
  const float* myY = sY + warp * 16 * T::LD;
  const int wrow0 = row0 + warp * 16;
  float lse[2], delta[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int row = wrow0 + g + 8 * r;
    lse[r] = row < p.n ? p.lse[rbase + row] : INFINITY;  // P = 0 for rows past n
    delta[r] = row < p.n ? p.delta[rbase + row] : 0.f;
  }

  load_rows<kTf32, T::BM, D, T::THREADS>(sQ, T::LD, p.q + base, row0, p.n, p.d, p.scale, vec);
  load_rows<kTf32, T::BM, D, T::THREADS>(sY, T::LD, p.dy + base, row0, p.n, p.d, 1.f, vec);
  float dq[D / 8][4];
  zero(dq);
  for (int k0 = 0; k0 < p.n; k0 += T::BN) {
    __syncthreads();  // the previous key tile is no longer read (and Q, dO are visible on the first pass)
    load_rows<kTf32, T::BN, D, T::THREADS>(sK, T::LD, p.k + base, k0, p.n, p.d, 1.f, vec);
    load_rows<kTf32, T::BN, D, T::THREADS>(sV, T::LD, p.v + base, k0, p.n, p.d, 1.f, vec);
    __syncthreads();
    float s[T::BN / 8][4], dp[T::BN / 8][4];
    zero(s);
    zero(dp);
    warp_mma<kTf32, D, T::BN / 8, true>(s, myQ, T::LD, sK, T::LD);
    warp_mma<kTf32, D, T::BN / 8, true>(dp, myY, T::LD, sV, T::LD);
    const int valid = p.n - k0;
#pragma unroll
    for (int nt = 0; nt < T::BN / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const float pr = nt * 8 + 2 * t + (e & 1) < valid ? expf(s[nt][e] - lse[e >> 1]) : 0.f;
        s[nt][e] = pr * (dp[nt][e] - delta[e >> 1]) * p.scale;
      }
    stage_tile<kTf32>(sS, T::LDS, s);
    warp_sync();
    warp_mma<kTf32, T::BN, D / 8, false>(dq, sS, T::LDS, sK, T::LD);
    warp_sync();  // sS is rewritten by the next tile
  }
  const float one[2] = {1.f, 1.f};
  store_rows(p.dq + base, dq, wrow0, p.n, p.d, one);
}

}  // namespace ibot::cuda::attention_detail
