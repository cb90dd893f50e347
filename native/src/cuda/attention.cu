// CUDA fused attention (kernels/attention.h): FlashAttention-2 forward and backward. Kernels in cuda/attention.cuh.
//
// Rationale
// ---------
// * Forward (attention_fwd_kernel): one CTA per (head, 64 query rows) (32 for d = 128), 4 warps of 16 rows. K and V
//   pass through shared memory in 32-key tiles; each warp computes its 16 x 32 scores with mma.sync.m16n8k8 TF32
//   (fp32 FMAs on sm_75 or with strict FP32), keeps a running max and sum per row (online softmax, Milakov &
//   Gimelshein) and the 16 x d output in registers, stages the probabilities in shared memory as the A operand of
//   P V, and writes out once, with lse = m + log l. No N x N matrix exists anywhere. Scores for keys past N are set
//   to -inf; rows past N and columns past d are zero-filled at staging, so every N and every d <= 128 is exact
//   (d is padded to the template's 32, 64 or 128: odd d costs the padding's FLOPs, not correctness).
// * Backward, deterministic (no atomics), three launches: delta = rowsum(dO ⊙ O) (one warp per row); dK/dV per
//   64-key tile (32 for d = 128) accumulated in registers over all query tiles, computed transposed (keys are the
//   MMA rows: Sᵀ = K Qᵀ, dV += Pᵀ dO, dPᵀ = V dOᵀ, dK += dSᵀ Q); dQ per 64-row query tile over all key tiles
//   (S, dP recomputed: 7 products in all instead of FA2's 5 with atomics, the price of determinism).
// * Shared memory per CTA (d = 64): forward 44.5 KB, dK/dV 61.7 KB, dQ 61.4 KB; d = 128: 55.8 / 53.4 / 53.2 KB. All
//   fit sm_75's 64 KB opt-in, so both paths share the tile shapes. Row pads (+4 / +8 floats) make fragment loads
//   conflict-free (cuda/attention.cuh).
// * Expected on H100 at the ViT-S benchmark shape (B = 64, H = 6, N = 197, d = 64): the forward reads q, k, v and
//   writes out (77.5 MB) and does 3.8 GFLOP. Per 32-key tile a warp issues 64 MMAs and ~180 32-bit shared loads for
//   their fragments; the SM's shared-memory bandwidth (128 B/clk), not the tensor cores, is the limit: ~36 µs for
//   1536 CTAs over 132 SMs, against ~26 µs of HBM time at ~3 TB/s of copy bandwidth. Both overlap across the 5 CTAs
//   an SM holds (44.5 KB, 128 threads each), so ~40-45 µs, i.e. ~55-65 % of copy bandwidth; the 197 = 3·64 + 5
//   row split wastes a fifth of the last tile. Keeping Q's fragments in registers or wgmma (sm_90a) would lift the
//   shared-memory ceiling; not done yet. The backward does 7 products of 0.95 GFLOP and reads 6 tensors: ~3x the
//   forward.
// * Strict FP32 / sm_75: the same tiles with 4 FMAs per 4 shared loads per lane (the MMA's fragment layout computed
//   with fmaf): correct, shared-memory bound, a few times slower than TF32.
#include <algorithm>

#include "cuda/attention.cuh"
#include "cuda/common.cuh"
#include "cuda/scratch.cuh"
#include "kernels/attention.h"

namespace ibot::cuda {
namespace {

using namespace attention_detail;

struct DeviceCaps {
  int cc;             // 10 · major + minor
  size_t smem_optin;  // largest dynamic shared memory a block may request
};

const DeviceCaps& caps() {
  static const DeviceCaps c = [] {
    stream();  // throws when CUDA is unavailable; selects the device
    int dev = 0, major = 0, minor = 0, optin = 0;
    IBOT_CUDA_CHECK(cudaGetDevice(&dev));
    IBOT_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
    IBOT_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev));
    IBOT_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
    return DeviceCaps{major * 10 + minor, static_cast<size_t>(optin)};
  }();
  return c;
}

constexpr int kMaxHeadDim = 128;

// Runs `body` with D = the kernel template's head dimension (32, 64 or 128) that covers d.
#define IBOT_HEAD_DIM_SWITCH(d, D, ...)       \
  [&] {                                       \
    if ((d) <= 32) {                          \
      constexpr int D = 32;                   \
      return __VA_ARGS__();                   \
    } else if ((d) <= 64) {                   \
      constexpr int D = 64;                   \
      return __VA_ARGS__();                   \
    } else {                                  \
      constexpr int D = 128;                  \
      return __VA_ARGS__();                   \
    }                                         \
  }()

#define IBOT_TF32_SWITCH(cond, kTf32, ...) \
  [&] {                                    \
    if (cond) {                            \
      constexpr bool kTf32 = true;         \
      return __VA_ARGS__();                \
    } else {                               \
      constexpr bool kTf32 = false;        \
      return __VA_ARGS__();                \
    }                                      \
  }()

// Lets `kernel` use `bytes` of dynamic shared memory (above the default 48 KB), once per kernel.
template <typename Kernel>
void allow_smem(Kernel kernel, size_t bytes, const char* op) {
  if (bytes > caps().smem_optin)
    fail(op, ": needs ", bytes, " bytes of shared memory per block, the device allows ", caps().smem_optin);
  if (bytes > 48 * 1024)
    IBOT_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
}

bool use_tf32() { return allow_tf32() && caps().cc >= 80; }

// 16-byte row copies are legal: d % 4 == 0 and every base pointer 16-byte aligned (pool allocations are).
bool rows_vectorisable(int d, std::initializer_list<const void*> ptrs) {
  if (d % 4 != 0) return false;
  for (const void* p : ptrs)
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return false;
  return true;
}

void check_dims(const char* op, const AttentionDims& dims) {
  if (dims.d > kMaxHeadDim)
    fail(op, ": head dimension d = ", dims.d, " is not supported on CUDA (at most ", kMaxHeadDim, ")");
  if (dims.n > (1 << 24)) fail(op, ": N = ", dims.n, " tokens is more than this kernel handles (2^24)");
}

// grid.x = heads · tiles must fit in 2^31 - 1.
unsigned grid_for(const char* op, int64_t heads, int64_t tiles) {
  const int64_t blocks = heads * tiles;
  if (blocks > 0x7fffffff) fail(op, ": ", heads, " heads x ", tiles, " tiles is too many blocks for one launch");
  return static_cast<unsigned>(blocks);
}

}  // namespace

void fused_attention(const AttentionForward& a) {
  const AttentionDims dims = attention_dims(a.q);
  if (dims.heads == 0 || dims.n == 0) return;
  check_dims("FusedAttention", dims);
  FwdArgs p{a.q.data<float>(), a.k.data<float>(), a.v.data<float>(), a.out.data<float>(), a.lse.data<float>(),
            static_cast<int>(dims.n), static_cast<int>(dims.d), a.scale};
  const bool vec = rows_vectorisable(p.d, {p.q, p.k, p.v});
  IBOT_HEAD_DIM_SWITCH(dims.d, D, [&] {
    IBOT_TF32_SWITCH(use_tf32(), kTf32, [&] {
      using T = FwdTile<D>;
      auto* kernel = attention_fwd_kernel<kTf32, D>;
      static const bool once = (allow_smem(kernel, T::BYTES, "FusedAttention"), true);
      (void)once;
      const unsigned blocks = grid_for("FusedAttention", dims.heads, (dims.n + T::BM - 1) / T::BM);
      kernel<<<blocks, T::THREADS, T::BYTES, stream()>>>(p, vec);
      IBOT_CUDA_CHECK_LAUNCH("attention_fwd_kernel");
    });
  });
  if (a.probs.present()) {
    ProbsArgs pp{p.q, p.k, p.lse, a.probs.data<float>(), p.n, p.d, p.scale};
    const int64_t tiles = (dims.n + 31) / 32;
    const size_t bytes = sizeof(float) * 2 * 32 * (dims.d + 1);
    attention_probs_kernel<<<grid_for("FusedAttention", dims.heads, tiles * tiles), 256, bytes, stream()>>>(pp);
    IBOT_CUDA_CHECK_LAUNCH("attention_probs_kernel");
    // One warp per row, 8 rows per block; launched in slices so the grid stays far below its x limit.
    constexpr int64_t kRowsPerLaunch = int64_t(1) << 22;
    const int64_t rows = dims.heads * dims.n;
    for (int64_t r0 = 0; r0 < rows; r0 += kRowsPerLaunch) {
      const int64_t count = std::min(rows - r0, kRowsPerLaunch);
      attention_probs_normalise_kernel<<<static_cast<unsigned>((count + 7) / 8), 256, 0, stream()>>>(
          a.probs.data<float>() + r0 * dims.n, count, p.n);
      IBOT_CUDA_CHECK_LAUNCH("attention_probs_normalise_kernel");
    }
  }
}

void fused_attention_grad(const AttentionBackward& a) {
  const AttentionDims dims = attention_dims(a.q);
  if (dims.heads == 0 || dims.n == 0 || dims.d == 0) return;  // d = 0: the gradients are empty
  check_dims("FusedAttentionGrad", dims);
  Scratch delta(dims.heads * dims.n);
  BwdArgs p{a.q.data<float>(), a.k.data<float>(), a.v.data<float>(), a.out.data<float>(), a.dy.data<float>(),
            a.lse.data<float>(), delta.data(), a.dq.data<float>(), a.dk.data<float>(), a.dv.data<float>(),
            static_cast<int>(dims.n), static_cast<int>(dims.d), a.scale};
  const bool vec = rows_vectorisable(p.d, {p.q, p.k, p.v, p.dy});
  const int64_t rows = dims.heads * dims.n;
  attention_delta_kernel<<<blocks_for(rows * 32, 256, 0x7fffffff), 256, 0, stream()>>>(p, rows);
  IBOT_CUDA_CHECK_LAUNCH("attention_delta_kernel");
  IBOT_HEAD_DIM_SWITCH(dims.d, D, [&] {
    IBOT_TF32_SWITCH(use_tf32(), kTf32, [&] {
      using K = DkvTile<D>;
      auto* dkv = attention_dkv_kernel<kTf32, D>;
      static const bool once_kv = (allow_smem(dkv, K::BYTES, "FusedAttentionGrad"), true);
      (void)once_kv;
      dkv<<<grid_for("FusedAttentionGrad", dims.heads, (dims.n + K::BNK - 1) / K::BNK), K::THREADS, K::BYTES,
            stream()>>>(p, vec);
      IBOT_CUDA_CHECK_LAUNCH("attention_dkv_kernel");
      using Q = DqTile<D>;
      auto* dq = attention_dq_kernel<kTf32, D>;
      static const bool once_q = (allow_smem(dq, Q::BYTES, "FusedAttentionGrad"), true);
      (void)once_q;
      dq<<<grid_for("FusedAttentionGrad", dims.heads, (dims.n + Q::BM - 1) / Q::BM), Q::THREADS, Q::BYTES,
           stream()>>>(p, vec);
      IBOT_CUDA_CHECK_LAUNCH("attention_dq_kernel");
    });
  });
}

}  // namespace ibot::cuda
