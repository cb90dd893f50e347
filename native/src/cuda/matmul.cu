// CUDA matrix products: cuda::gemm (strided-batched, any transposes and leading dimensions, fused bias + activation)
// and cuda::batch_matmul (tfjs BatchMatMul / _FusedMatMul on top of it). The kernels are in matmul_tf32.cuh (tensor
// cores) and matmul_simt.cuh (strict FP32); this file picks a variant, a tile shape and a K split per call.
//
// Rationale
// ---------
// * TF32 path (default on sm_80+): mma.sync.m16n8k8 TF32 with fp32 accumulation; operands rounded with cvt.rna.
//   CTA tiles 128x128 (4 warps of 64x64), 128x64 (4 warps of 64x32) and 64x64 (4 warps of 32x32), k tile 32,
//   3-stage cp.async pipeline (16-byte copies when the operand is 16-byte aligned with ld % 4 == 0, 4-byte copies
//   otherwise; both zero-fill out-of-range elements so boundary tiles need no separate code). 128x128 takes
//   105 KB of shared memory: 2 CTAs per SM on sm_80/sm_90; on sm_86/89 (99 KB per block) it is skipped and 128x64
//   (81 KB) is the largest. The shared-memory pads (rows of 36 floats for K-contiguous tiles, BM/BN + 8 for the
//   others) make every scalar fragment load conflict-free (matmul_tf32.cuh). The epilogue stages the C tile in the
//   then idle pipeline buffers and writes whole rows (16-byte coalesced stores when C allows).
// * Why 64x64 warp tiles: per k-step of 8 a warp issues 32 LDS.32 (16 for A, 16 for B) for 32 MMAs, i.e. 16 flop
//   per byte of shared memory read. An H100 SM does ~2048 dense TF32 flop/clk and reads 128 B/clk of shared memory,
//   so the fragment reads alone need the SM's whole shared-memory bandwidth at peak, and the cp.async fills add half
//   as much again: this design is capped near 65 % of peak by shared memory. Smaller warp tiles cap lower.
// * Expected on H100 SXM (dense TF32 peak 495 TFLOP/s with wgmma; PCIe: 378): 40–55 % of peak on large
//   well-shaped GEMMs (4096^3, the ViT qkv projection [12608,384]x[384,1152]), i.e. ~200–270 TFLOP/s. mma.sync is
//   the sm_80 instruction; only wgmma (sm_90a, not written yet) reaches the Hopper peak. The batched attention
//   products (384 x [197,64]x[64,197]) move ~100 MB for 1.9 GFLOP and are bound by memory bandwidth (~30 µs floor
//   at 3.35 TB/s), not by the tensor cores.
// * Strict FP32 path (allow_tf32() false, and sm_75 always): SIMT fmaf, 128x128x8 CTA tiles with 8x8 per thread
//   (256 threads, ~150 registers, 1 CTA per SM) or 64x64x8 with 4x4, register-staged double buffer. Expected
//   40–60 % of the FP32 peak (67 TFLOP/s on H100 SXM).
// * Tile choice per call: minimise ceil(CTAs / SMs) · (tile area / tile efficiency), so small or batched problems
//   (512^3, per-head attention) get small tiles and enough CTAs. When even then fewer than half the CTA slots are
//   busy and K is long (weight gradients: M, N = features, K = tokens), K is split into up to 32 ranges whose
//   partial sums go to a scratch buffer; a second kernel adds them in a fixed order (deterministic) and applies
//   alpha, beta, bias and the activation.
// * Batches above 65535 (grid.z limit) are split into several launches.
#include <algorithm>
#include <climits>

#include "core/broadcast.h"
#include "cuda/matmul_common.cuh"
#include "cuda/matmul_simt.cuh"
#include "cuda/matmul_testing.cuh"
#include "cuda/matmul_tf32.cuh"
#include "kernels/matmul.h"
#include "kernels/matmul_plan.h"

namespace ibot::cuda {
namespace {

using namespace gemm_detail;

constexpr int64_t kMaxGridZ = 65535;
constexpr int kMaxSplits = 32;
constexpr int64_t kMinSplitK = 256;                 // each split gets at least 8 k tiles
constexpr int64_t kMaxSplitWorkspace = 32LL << 20;  // floats (128 MB)

int g_force_variant = -1, g_force_splits = 0;  // testing::force_gemm
int g_last_variant = -1, g_last_splits = 0;
bool g_last_tf32 = false;

struct DeviceCaps {
  int cc;  // 10 · major + minor
  int sms;
  size_t smem_optin;  // largest dynamic shared memory a block may request
};

const DeviceCaps& caps() {
  static const DeviceCaps c = [] {
    stream();  // throws when CUDA is unavailable; selects the device
    int dev = 0, major = 0, minor = 0, sms = 0, optin = 0;
    IBOT_CUDA_CHECK(cudaGetDevice(&dev));
    IBOT_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
    IBOT_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev));
    IBOT_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
    IBOT_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
    return DeviceCaps{major * 10 + minor, sms, static_cast<size_t>(optin)};
  }();
  return c;
}

// ---- kernel variants -------------------------------------------------------------------------------------------

using Tf32Large = Tf32Tile<128, 128, 64, 64, 3, 2>;
using Tf32Mid = Tf32Tile<128, 64, 64, 32, 3, 2>;
using Tf32Small = Tf32Tile<64, 64, 32, 32, 3, 4>;
// Uncapped (~150 registers, 1 CTA per SM): under the 128-register cap that 2 CTAs per SM need, sm_90's ptxas spills.
using SimtLarge = SimtTile<128, 128, 8, 8, 1>;
using SimtSmall = SimtTile<64, 64, 4, 4, 2>;

struct KernelInfo {
  int blocks_per_sm;  // 0: the variant does not fit this device
};

// Raises the dynamic shared-memory limit once per instantiation and asks how many CTAs fit on an SM.
template <class T, bool TA, bool TB>
KernelInfo tf32_info() {
  static const KernelInfo info = [] {
    constexpr size_t bytes = Tf32Smem<T, TA, TB>::BYTES;
    KernelInfo k{0};
    if (bytes > caps().smem_optin) return k;
    auto* kernel = gemm_tf32_kernel<T, TA, TB>;
    IBOT_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
    IBOT_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                                         static_cast<int>(cudaSharedmemCarveoutMaxShared)));
    IBOT_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&k.blocks_per_sm, kernel, T::THREADS, bytes));
    return k;
  }();
  return info;
}

template <class T, bool TA, bool TB>
KernelInfo simt_info() {
  static const KernelInfo info = [] {
    KernelInfo k{0};
    IBOT_CUDA_CHECK(
        cudaOccupancyMaxActiveBlocksPerMultiprocessor(&k.blocks_per_sm, gemm_simt_kernel<T, TA, TB>, T::THREADS, 0));
    return k;
  }();
  return info;
}

// Launches over the batch in slices of at most 65535 / splits (grid.z).
template <class Kernel>
void launch_batches(Kernel kernel, int threads, size_t smem, const GemmKernelArgs& p, int64_t batch,
                    const char* name) {
  const int64_t per_launch = std::max<int64_t>(1, kMaxGridZ / p.splits);
  const unsigned tiles = static_cast<unsigned>(static_cast<int64_t>(p.tiles_m) * p.tiles_n);
  for (int64_t b0 = 0; b0 < batch; b0 += per_launch) {
    const int64_t nb = std::min(per_launch, batch - b0);
    GemmKernelArgs q = p;
    if (b0 > 0) {
      q.a += b0 * p.stride_a;
      q.b += b0 * p.stride_b;
      q.c += b0 * p.stride_c;
      if (q.pre) q.pre += b0 * p.stride_pre;
    }
    kernel<<<dim3(tiles, 1, static_cast<unsigned>(nb * p.splits)), threads, smem, stream()>>>(q);
    IBOT_CUDA_CHECK_LAUNCH(name);
  }
}

template <class T, bool TA, bool TB>
void tf32_launch(const GemmKernelArgs& p, int64_t batch) {
  launch_batches(gemm_tf32_kernel<T, TA, TB>, T::THREADS, Tf32Smem<T, TA, TB>::BYTES, p, batch, "gemm_tf32_kernel");
}

template <class T, bool TA, bool TB>
void simt_launch(const GemmKernelArgs& p, int64_t batch) {
  launch_batches(gemm_simt_kernel<T, TA, TB>, T::THREADS, 0, p, batch, "gemm_simt_kernel");
}

// One tile configuration with its four transpose instantiations.
struct Variant {
  int bm, bn, bk;
  float efficiency;  // relative throughput of one CTA per tile area: larger tiles reuse each loaded element more
  KernelInfo (*info)(bool ta, bool tb);
  void (*launch)(const GemmKernelArgs& p, int64_t batch, bool ta, bool tb);
};

#define IBOT_TRANSPOSE_SWITCH(fn, T, ...)                                      \
  (ta ? (tb ? fn<T, true, true>(__VA_ARGS__) : fn<T, true, false>(__VA_ARGS__)) \
      : (tb ? fn<T, false, true>(__VA_ARGS__) : fn<T, false, false>(__VA_ARGS__)))

template <class T>
Variant tf32_variant(float efficiency) {
  return {T::BM, T::BN, T::BK, efficiency, [](bool ta, bool tb) { return IBOT_TRANSPOSE_SWITCH(tf32_info, T); },
          [](const GemmKernelArgs& p, int64_t batch, bool ta, bool tb) {
            IBOT_TRANSPOSE_SWITCH(tf32_launch, T, p, batch);
          }};
}

template <class T>
Variant simt_variant(float efficiency) {
  return {T::BM, T::BN, T::BK, efficiency, [](bool ta, bool tb) { return IBOT_TRANSPOSE_SWITCH(simt_info, T); },
          [](const GemmKernelArgs& p, int64_t batch, bool ta, bool tb) {
            IBOT_TRANSPOSE_SWITCH(simt_launch, T, p, batch);
          }};
}

#undef IBOT_TRANSPOSE_SWITCH

// ---- split-K reduction and the broadcast epilogue ---------------------------------------------------------------

// c[b][row, col] = epilogue(sum over s of ws[b][s][row, col]); p holds the caller's C, alpha, beta, bias, activation.
__global__ void splitk_reduce_kernel(const float* __restrict__ ws, GemmKernelArgs p, int64_t batch) {
  const int64_t mn = static_cast<int64_t>(p.m) * p.n, total = batch * mn;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t b = i / mn, r = i - b * mn;
    const int row = static_cast<int>(r / p.n), col = static_cast<int>(r - static_cast<int64_t>(row) * p.n);
    const float* src = ws + b * p.splits * mn + r;
    float s = 0.f;
    for (int sp = 0; sp < p.splits; ++sp) s += src[sp * mn];
    store_one(p, p.c + b * p.stride_c, p.pre ? p.pre + b * p.stride_pre : nullptr, row, col, s);
  }
}

struct EpiloguePlan {
  int rank;
  int64_t shape[kMaxBroadcastRank];
  int64_t strides[2][kMaxBroadcastRank];  // bias, prelu weights (0 = broadcast)
};

// out = act(out + bias) with bias and prelu weights broadcast over out (the cases the GEMM epilogue cannot fuse).
__global__ void bias_activation_kernel(float* __restrict__ out, int64_t total, EpiloguePlan ep,
                                       const float* __restrict__ bias, const float* __restrict__ prelu, int act,
                                       float act_alpha) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t rem = i, ob = 0, op = 0;
    for (int d = ep.rank - 1; d >= 0; --d) {
      const int64_t idx = rem % ep.shape[d];
      rem /= ep.shape[d];
      ob += idx * ep.strides[0][d];
      op += idx * ep.strides[1][d];
    }
    float v = out[i];
    if (bias) v += bias[ob];
    if (static_cast<Activation>(act) == Activation::kPrelu) v = v < 0.f ? prelu[op] * v : v;
    else v = activate(v, act, act_alpha);
    out[i] = v;
  }
}

// ---- dispatch ---------------------------------------------------------------------------------------------------

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

void run_gemm(const GemmArgs& g, const Variant* variants, int n_variants) {
  const DeviceCaps& dev = caps();
  const bool ta = g.trans_a, tb = g.trans_b;

  int best = -1;
  double best_cost = 0;
  KernelInfo best_info{0};
  for (int i = 0; i < n_variants; ++i) {
    const Variant& v = variants[i];
    const KernelInfo info = v.info(ta, tb);
    if (info.blocks_per_sm <= 0) continue;
    const int64_t ctas = ceil_div(g.m, v.bm) * ceil_div(g.n, v.bn) * g.batch;
    const double cost = static_cast<double>(ceil_div(ctas, dev.sms)) * v.bm * v.bn / v.efficiency;
    if (g_force_variant >= 0 && i != g_force_variant) continue;
    if (best < 0 || cost < best_cost) {
      best = i;
      best_cost = cost;
      best_info = info;
    }
  }
  IBOT_CHECK(best >= 0, "gemm: no kernel variant fits this device's shared memory (", dev.smem_optin, " bytes)",
             g_force_variant >= 0 ? " (or the forced variant does not)" : "");
  const Variant& v = variants[best];

  GemmKernelArgs p{};
  p.m = static_cast<int>(g.m);
  p.n = static_cast<int>(g.n);
  p.k = static_cast<int>(g.k);
  p.a = g.a;
  p.lda = g.lda;
  p.stride_a = g.stride_a;
  p.b = g.b;
  p.ldb = g.ldb;
  p.stride_b = g.stride_b;
  p.c = g.c;
  p.ldc = g.ldc;
  p.stride_c = g.stride_c;
  p.stride_split = 0;
  p.alpha = g.alpha;
  p.beta = g.beta;
  p.bias = g.bias_n;
  p.act = static_cast<int>(g.activation);
  p.act_alpha = g.activation_alpha;
  p.pre = g.pre_activation;
  p.ldp = g.ld_pre;
  p.stride_pre = g.stride_pre;
  p.splits = 1;
  p.k_chunk = p.k;
  const int64_t tiles_m = ceil_div(g.m, v.bm), tiles_n = ceil_div(g.n, v.bn);
  IBOT_CHECK(tiles_m * tiles_n <= INT_MAX, "gemm: ", g.m, "x", g.n, " output has too many tiles");
  p.tiles_m = static_cast<int>(tiles_m);
  p.tiles_n = static_cast<int>(tiles_n);
  const bool batched = g.batch > 1;
  p.a_vec = aligned16(g.a) && g.lda % 4 == 0 && (!batched || g.stride_a % 4 == 0);
  p.b_vec = aligned16(g.b) && g.ldb % 4 == 0 && (!batched || g.stride_b % 4 == 0);
  p.c_vec4 = aligned16(g.c) && g.ldc % 4 == 0 && (!batched || g.stride_c % 4 == 0);
  p.pre_vec4 = g.pre_activation && aligned16(g.pre_activation) && g.ld_pre % 4 == 0 &&
               (!batched || g.stride_pre % 4 == 0);

  // Split K when the output tiles leave most CTA slots idle.
  const int64_t ctas = tiles_m * tiles_n * g.batch;
  const int64_t slots = static_cast<int64_t>(dev.sms) * best_info.blocks_per_sm;
  int64_t splits = 1;
  if (ctas * 2 <= slots && g.k >= 2 * kMinSplitK) {
    splits = std::min<int64_t>({slots / ctas, g.k / kMinSplitK, kMaxSplits,
                                kMaxSplitWorkspace / std::max<int64_t>(1, g.batch * g.m * g.n)});
  }
  if (g_force_splits > 0) splits = g.k > 0 ? g_force_splits : 1;
  if (splits > 1) splits = split_k_ranges(p, splits);
  g_last_variant = best;
  g_last_splits = static_cast<int>(std::max<int64_t>(splits, 1));
  if (splits <= 1) {
    v.launch(p, g.batch, ta, tb);
    return;
  }

  const int64_t mn = g.m * g.n;
  Scratch ws(g.batch * splits * mn);  // [batch][splits][M, N]
  // The workspace is 256-byte aligned; its rows and slices are n and m·n floats.
  const GemmKernelArgs q = splitk_partials_args(p, static_cast<int>(splits), ws.data(), g.n % 4 == 0);
  v.launch(q, g.batch, ta, tb);

  p.splits = q.splits;
  constexpr int kThreads = 256;
  splitk_reduce_kernel<<<blocks_for(g.batch * mn, kThreads), kThreads, 0, stream()>>>(ws.data(), p, g.batch);
  IBOT_CUDA_CHECK_LAUNCH("splitk_reduce_kernel");
}

}  // namespace

void gemm(const GemmArgs& g) {
  IBOT_CHECK(g.m >= 0 && g.n >= 0 && g.k >= 0 && g.batch >= 0, "gemm: negative size (m=", g.m, ", n=", g.n,
             ", k=", g.k, ", batch=", g.batch, ")");
  if (g.m == 0 || g.n == 0 || g.batch == 0) return;
  IBOT_CHECK(g.m <= INT_MAX && g.n <= INT_MAX && g.k <= INT_MAX, "gemm: a dimension is over 2^31 - 1 (m=", g.m,
             ", n=", g.n, ", k=", g.k, ")");
  IBOT_CHECK(g.lda >= (g.trans_a ? g.m : g.k) && g.ldb >= (g.trans_b ? g.k : g.n) && g.ldc >= g.n,
             "gemm: leading dimension too small (lda=", g.lda, ", ldb=", g.ldb, ", ldc=", g.ldc, " for m=", g.m,
             ", n=", g.n, ", k=", g.k, ")");
  IBOT_CHECK(g.c && (g.k == 0 || (g.a && g.b)), "gemm: null operand");
  IBOT_CHECK(!g.pre_activation || g.ld_pre >= g.n, "gemm: pre-activation leading dimension too small (ld_pre=",
             g.ld_pre, ", n=", g.n, ")");
  IBOT_CHECK(g.activation != Activation::kPrelu, "gemm: prelu takes per-element weights; batch_matmul applies it");

  static const Variant tf32[] = {tf32_variant<Tf32Large>(1.0f), tf32_variant<Tf32Mid>(0.9f),
                                 tf32_variant<Tf32Small>(0.75f)};
  static const Variant simt[] = {simt_variant<SimtLarge>(1.0f), simt_variant<SimtSmall>(0.6f)};
  // TF32 tensor cores exist from sm_80; sm_75 always takes the FP32 path (its image has empty TF32 kernels).
  g_last_tf32 = allow_tf32() && caps().cc >= 80;
  if (g_last_tf32) run_gemm(g, tf32, 3);
  else run_gemm(g, simt, 2);
}

void batch_matmul(const MatMulParams& p) {
  if (p.out.numel() == 0) return;
  const int64_t n = p.out.shape.back();
  const bool prelu = p.activation == Activation::kPrelu;
  IBOT_CHECK(!prelu || p.prelu.present(), "BatchMatMul: prelu activation without prelu weights");
  // A bias that is one value per output column rides in the GEMM write-back, and so does the activation unless a
  // broadcast bias or prelu weights need the separate elementwise pass.
  const bool bias_per_col =
      p.bias.present() && p.bias.numel() == n && (p.bias.rank() == 0 ? n == 1 : p.bias.shape.back() == n);
  const bool fuse_activation = !prelu && (!p.bias.present() || bias_per_col);

  MatMulPlan plan = plan_matmul(p);
  for (GemmArgs call : plan.calls) {
    call.bias_n = bias_per_col ? p.bias.data<float>() : nullptr;
    call.activation = fuse_activation ? p.activation : Activation::kLinear;
    call.activation_alpha = p.leaky_alpha;
    gemm(call);
  }
  if (fuse_activation) return;

  const Tensor* bias = p.bias.present() && !bias_per_col ? &p.bias : nullptr;
  const Shape none;  // rank 0: broadcasts everywhere, never read
  const Shape* ins[2] = {bias ? &bias->shape : &none, prelu ? &p.prelu.shape : &none};
  const BroadcastPlan bp = plan_broadcast(p.out.shape, ins, 2);
  EpiloguePlan ep{};
  ep.rank = bp.rank;
  for (int d = 0; d < bp.rank; ++d) {
    ep.shape[d] = bp.shape[d];
    ep.strides[0][d] = bp.strides[0][d];
    ep.strides[1][d] = bp.strides[1][d];
  }
  const int64_t total = p.out.numel();
  constexpr int kThreads = 256;
  bias_activation_kernel<<<blocks_for(total, kThreads), kThreads, 0, stream()>>>(
      p.out.data<float>(), total, ep, bias ? bias->data<float>() : nullptr,
      prelu ? p.prelu.data<float>() : nullptr, static_cast<int>(p.activation), p.leaky_alpha);
  IBOT_CUDA_CHECK_LAUNCH("bias_activation_kernel");
}

namespace testing {

void force_gemm(int variant, int splits) {
  g_force_variant = variant;
  g_force_splits = std::min(std::max(splits, 0), kMaxSplits);
}

void last_gemm(int* variant, int* splits, bool* tf32) {
  *variant = g_last_variant;
  *splits = g_last_splits;
  *tf32 = g_last_tf32;
}

}  // namespace testing
}  // namespace ibot::cuda
