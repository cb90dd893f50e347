// CPU GEMM driver (cpu::gemm) and tfjs's BatchMatMul/_FusedMatMul on top of it (cpu::batch_matmul).
//
// Design (BLIS-style). op(A) [M, K] and op(B) [K, N] are copied ("packed") into contiguous panels, transposes and
// leading dimensions resolved there, so one register-tiled micro-kernel (cpu/matmul_kernels.inc) sees one layout:
//   for jc in N by NC:                     B block kc x nc lives in L3 (shared by all threads)
//     for pc in K by KC:                   pack B[pc:pc+kc, jc:jc+nc]          (parallel over nr-panels)
//       for ic in M by MC (parallel):      pack A[ic:ic+mc, pc:pc+kc] (per thread, mc x kc lives in L2)
//         for jr in nc by NR:              one kc x nr panel of B stays in L1
//           for ir in mc by MR:            micro-kernel: MR x NR accumulators in registers, K-loop of FMAs
// The first K block overwrites (or accumulates onto beta * C), the last one applies the fused epilogue (bias, then
// activation; the value before the activation is also stored when GemmArgs::pre_activation asks) to each tile while
// it is still in L1. Threads: many small matrices (attention heads: [197,64]x[64,197]
// x 384) go one whole matrix per task; one large matrix is cut into one slice of C per thread, each running the loops
// above on its own (gemm_split), unless the threads are so many that re-packing the shared operand per slice would
// cost more than sharing packed B blocks between row-block tasks (gemm_parallel, as in the loop nest above).
//
// Roofline for the development machine (2 Zen 5 EPYC cores, measured with an FMA-chain loop: ~215-220 GFLOP/s per
// core with zmm FMAs and ~110 with ymm, i.e. 512-bit FMAs at full width here; ~17-19 GB/s of DRAM bandwidth per core).
//  - Micro-kernel: an MR x NR tile does 2*MR*NR flops per k step for MR broadcasts + NR/W vector loads. 12x32 zmm is
//    24 FMAs per 14 loads, 6x16 ymm 12 per 8: both FMA-bound (2 FMA pipes, 2+ loads per cycle), and 24 (12)
//    independent accumulators cover the 4-cycle FMA latency on both pipes.
//  - 512^3: 268 MFLOP against 3 MB of operands; each K block packs B once (kc x n) and A once per row block, O(1/N)
//    of the work, so ~85-90 % of peak is the ceiling: ~190 GFLOP/s on one core, ~380 on two.
//  - ViT linear layers ([12608, 384] x [384, 1152] and their gradients): large in every dimension, same ceiling.
//  - Attention per head (384 x [197, 64] x [64, 197] and [197, 197] x [197, 64]): 1.9 GFLOP per call against ~100 MB
//    of DRAM traffic (the 60 MB score matrix is written once, plus its read-for-ownership), ~9 ms of memory time on one
//    core next to ~9 ms of FMA time, so ~50-60 % of peak from DRAM; the same shapes reach ~75 % when they sit in cache
//    (K = 64 leaves only 64 FMA steps per written tile, and 197 = 16*12 + 5 = 6*32 + 5 wastes a few % at the edges).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/broadcast.h"
#include "core/cpu_features.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/matmul_kernels.h"
#include "kernels/matmul.h"
#include "kernels/matmul_plan.h"

namespace ibot::cpu {
namespace {

const GemmKernels& kernels_for_isa() {
  switch (cpu_isa()) {
    case CpuIsa::kAvx512: return gemm_kernels_avx512();
    case CpuIsa::kAvx2: return gemm_kernels_avx2();
    default: return gemm_kernels_generic();
  }
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// A per-thread, 64-byte aligned scratch buffer that only grows (packing buffers are reused call after call).
class Scratch {
 public:
  ~Scratch() { std::free(data_); }
  // Null when the allocation fails (workers must not throw: the caller checks and throws instead).
  float* get(int64_t floats) noexcept {
    if (floats > size_) {
      std::free(data_);
      size_t bytes = round_up(floats * static_cast<int64_t>(sizeof(float)), 64);
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      size_ = data_ ? floats : 0;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  int64_t size_ = 0;
};

thread_local Scratch t_pack_a, t_pack_b;

[[noreturn]] void out_of_memory() { fail("gemm: out of memory for the packing buffers"); }

// One matrix of a (possibly batched) GEMM: the pointers of batch element i.
struct Operands {
  const float* a;
  const float* b;
  float* c;
};

const float* a_at(const GemmArgs& g, const float* a, int64_t i, int64_t p) {
  return g.trans_a ? a + p * g.lda + i : a + i * g.lda + p;
}
const float* b_at(const GemmArgs& g, const float* b, int64_t p, int64_t j) {
  return g.trans_b ? b + j * g.ldb + p : b + p * g.ldb + j;
}

// C[rows r0:r1] = beta * C (0 when beta is 0, never reading C, which may hold garbage).
void scale_rows(const GemmArgs& g, float* c, int64_t r0, int64_t r1) {
  for (int64_t i = r0; i < r1; ++i) {
    float* row = c + i * g.ldc;
    if (g.beta == 0.0f) std::memset(row, 0, g.n * sizeof(float));
    else for (int64_t j = 0; j < g.n; ++j) row[j] *= g.beta;
  }
}

// Block sizes for one matrix: the kernel table's targets, evened out so that no block is a thin remainder (K = 384
// runs as one block of 384 rather than 256 + 128). kc stays a multiple of 8 for the 8 x 8 packing transposes.
struct Blocking {
  int64_t kc, mc, nc;
};

Blocking blocking(const GemmKernels& kr, const GemmArgs& g, int64_t m_parts) {
  Blocking b;
  const int64_t k_blocks = ceil_div(g.k, kr.kc + kr.kc / 2);  // up to 1.5 kc before splitting
  b.kc = std::min(g.k, round_up(ceil_div(g.k, k_blocks), 8));
  const int64_t m_blocks = round_up(ceil_div(g.m, kr.mc), m_parts);
  b.mc = round_up(ceil_div(g.m, m_blocks), kr.mr);
  const int64_t n_blocks = ceil_div(g.n, kr.nc);
  b.nc = round_up(ceil_div(g.n, n_blocks), kr.nr);
  return b;
}

// One whole matrix on the calling thread. Returns false (having done nothing) when its buffers cannot be allocated.
bool gemm_serial(const GemmKernels& kr, const GemmArgs& g, const Operands& o, const GemmEpilogue* epi) {
  const Blocking bl = blocking(kr, g, 1);
  float* bp = t_pack_b.get(bl.nc * bl.kc);
  float* ap = t_pack_a.get(bl.mc * bl.kc);
  if (!ap || !bp) return false;
  if (g.beta != 0.0f && g.beta != 1.0f) scale_rows(g, o.c, 0, g.m);
  for (int64_t jc = 0; jc < g.n; jc += bl.nc) {
    const int64_t nc = std::min(bl.nc, g.n - jc);
    for (int64_t pc = 0; pc < g.k; pc += bl.kc) {
      const int64_t kc = std::min(bl.kc, g.k - pc);
      const bool accumulate = pc > 0 || g.beta != 0.0f;
      const bool last = pc + kc == g.k;
      kr.pack_b(b_at(g, o.b, pc, jc), g.ldb, g.trans_b, kc, nc, bp);
      for (int64_t ic = 0; ic < g.m; ic += bl.mc) {
        const int64_t mc = std::min(bl.mc, g.m - ic);
        kr.pack_a(a_at(g, o.a, ic, pc), g.lda, g.trans_a, mc, kc, g.alpha, ap);
        const GemmEpilogue e = last && epi ? epi->at(ic, jc) : GemmEpilogue{};
        kr.macro(mc, nc, kc, ap, bp, o.c + ic * g.ldc + jc, g.ldc, accumulate, last && epi ? &e : nullptr, jc);
      }
    }
  }
  return true;
}

// One matrix over the whole thread pool: B blocks are packed once into the caller's buffer and shared; the C block
// is split into (row block x column chunk) tasks, each packing its own A block.
void gemm_parallel(const GemmKernels& kr, const GemmArgs& g, const Operands& o, const GemmEpilogue* epi,
                   int threads) {
  if (g.beta != 0.0f && g.beta != 1.0f)
    parallel_for(g.m, 16, [&](int64_t r0, int64_t r1) { scale_rows(g, o.c, r0, r1); });
  // Row blocks in a multiple of the thread count; when the rows alone cannot feed every thread (down to 4 micro-rows
  // per block, where packing A is still amortised over the columns), the columns are split too.
  Blocking bl = blocking(kr, g, threads);
  int64_t m_blocks = ceil_div(g.m, bl.mc);
  if (m_blocks < threads && bl.mc > 4 * kr.mr) {
    bl.mc = std::max<int64_t>(4 * kr.mr, round_up(ceil_div(g.m, threads), kr.mr));
    m_blocks = ceil_div(g.m, bl.mc);
  }
  int64_t n_split = 1;
  if (m_blocks < threads) n_split = std::min(ceil_div(threads, m_blocks), ceil_div(bl.nc, kr.nr));
  float* bp = t_pack_b.get(bl.nc * bl.kc);
  if (!bp) out_of_memory();
  std::atomic<bool> failed{false};

  for (int64_t jc = 0; jc < g.n; jc += bl.nc) {
    const int64_t nc = std::min(bl.nc, g.n - jc);
    const int64_t panels = ceil_div(nc, kr.nr);
    const int64_t chunk = ceil_div(panels, n_split) * kr.nr;  // columns per task, whole panels
    const int64_t n_chunks = ceil_div(nc, chunk);
    for (int64_t pc = 0; pc < g.k; pc += bl.kc) {
      const int64_t kc = std::min(bl.kc, g.k - pc);
      const bool accumulate = pc > 0 || g.beta != 0.0f;
      const bool last = pc + kc == g.k;
      parallel_for(panels, 4, [&](int64_t p0, int64_t p1) {
        const int64_t j0 = p0 * kr.nr, j1 = std::min(nc, p1 * kr.nr);
        kr.pack_b(b_at(g, o.b, pc, jc + j0), g.ldb, g.trans_b, kc, j1 - j0, bp + j0 * kc);
      });
      parallel_for(m_blocks * n_chunks, 1, [&](int64_t t0, int64_t t1) {
        float* ap = t_pack_a.get(bl.mc * bl.kc);
        if (!ap) {
          failed = true;
          return;
        }
        int64_t packed_block = -1;
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t mb = t / n_chunks, nb = t % n_chunks;
          const int64_t ic = mb * bl.mc, rows = std::min(bl.mc, g.m - ic);
          const int64_t j0 = nb * chunk, cols = std::min(chunk, nc - j0);
          if (mb != packed_block) {  // consecutive tasks of one row block share its packed A
            kr.pack_a(a_at(g, o.a, ic, pc), g.lda, g.trans_a, rows, kc, g.alpha, ap);
            packed_block = mb;
          }
          const GemmEpilogue e = last && epi ? epi->at(ic, jc + j0) : GemmEpilogue{};
          kr.macro(rows, cols, kc, ap, bp + j0 * kc, o.c + ic * g.ldc + jc + j0, g.ldc, accumulate,
                   last && epi ? &e : nullptr, jc + j0);
        }
      });
      if (failed) out_of_memory();
    }
  }
}

// One matrix as `threads` independent serial GEMMs on slices of C, with no synchronisation between K blocks. Each
// slice packs its own copy of the operand the slices share, so the split goes along the dimension whose shared
// operand is smaller: columns (every thread packs all of A) or rows (every thread packs all of B). Slices start on
// micro-tile boundaries, so every element is computed exactly as on one thread.
void gemm_split(const GemmKernels& kr, const GemmArgs& g, const Operands& o, const GemmEpilogue* epi, int threads) {
  const bool by_cols = g.m * g.k <= g.k * g.n;
  const int64_t extent = by_cols ? g.n : g.m, unit = by_cols ? kr.nr : kr.mr;
  const int64_t step = round_up(ceil_div(extent, threads), unit);
  const int64_t parts = ceil_div(extent, step);
  std::atomic<bool> failed{false};
  parallel_for(parts, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1 && !failed; ++t) {
      const int64_t lo = t * step, hi = std::min(extent, lo + step);
      GemmArgs sub = g;
      Operands so = o;
      GemmEpilogue e = epi ? *epi : GemmEpilogue{};
      if (by_cols) {
        sub.n = hi - lo;
        so.b = b_at(g, o.b, 0, lo);
        so.c = o.c + lo;
        e = e.at(0, lo);
        if (e.bias) e.bias += lo;
      } else {
        sub.m = hi - lo;
        so.a = a_at(g, o.a, lo, 0);
        so.c = o.c + lo * g.ldc;
        e = e.at(lo, 0);
      }
      if (!gemm_serial(kr, sub, so, epi ? &e : nullptr)) failed = true;
    }
  });
  if (failed) out_of_memory();
}

// Below this many multiply-adds a matrix is not worth waking the pool for.
constexpr int64_t kParallelMacs = 48 * 48 * 48;

}  // namespace

void gemm(const GemmArgs& g_in) {
  GemmArgs g = g_in;
  IBOT_CHECK(g.m >= 0 && g.n >= 0 && g.k >= 0 && g.batch >= 0, "gemm: negative size m=", g.m, " n=", g.n, " k=", g.k,
             " batch=", g.batch);
  if (g.m == 0 || g.n == 0 || g.batch == 0) return;
  IBOT_CHECK(g.ldc >= g.n && g.lda >= (g.trans_a ? g.m : g.k) && g.ldb >= (g.trans_b ? g.k : g.n),
             "gemm: leading dimension too small");
  IBOT_CHECK(!g.pre_activation || g.ld_pre >= g.n, "gemm: pre-activation leading dimension too small");
  const GemmKernels& kr = kernels_for_isa();
  IBOT_CHECK(g.activation != Activation::kPrelu, "gemm: prelu is applied by batch_matmul, not in the GEMM epilogue");

  // A batch of row-major A matrices stored back to back against one shared B is a single tall GEMM.
  if (g.batch > 1 && g.stride_b == 0 && !g.trans_a && g.stride_a == g.m * g.lda && g.lda == g.k &&
      g.stride_c == g.m * g.ldc && g.ldc == g.n &&
      (!g.pre_activation || (g.stride_pre == g.m * g.ld_pre && g.ld_pre == g.n))) {
    g.m *= g.batch;
    g.batch = 1;
  }
  // The epilogue of batch element i (its pre-activation matrix; everything else is shared).
  auto epilogue_of = [&](int64_t i) {
    GemmEpilogue e{g.bias_n, g.activation, g.activation_alpha, nullptr, g.ld_pre};
    if (g.pre_activation) e.pre = g.pre_activation + i * g.stride_pre;
    return e;
  };
  const bool has_epilogue = epilogue_of(0).active();

  if (g.k == 0 || g.alpha == 0.0f) {  // no product term: C = act(beta * C + bias)
    parallel_for(g.batch * g.m, 64, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        float* row = g.c + (r / g.m) * g.stride_c + (r % g.m) * g.ldc;
        if (g.beta == 0.0f) std::memset(row, 0, g.n * sizeof(float));
        else if (g.beta != 1.0f) for (int64_t j = 0; j < g.n; ++j) row[j] *= g.beta;
        if (has_epilogue) kr.epilogue(row, g.ldc, 1, g.n, epilogue_of(r / g.m).at(r % g.m, 0), 0);
      }
    });
    return;
  }

  auto operands = [&](int64_t i) { return Operands{g.a + i * g.stride_a, g.b + i * g.stride_b, g.c + i * g.stride_c}; };
  const int threads = num_threads();
  const int64_t macs = g.m * g.n * g.k;
  // Matrices too small to split well, and many of them: one matrix per task.
  const bool by_batch = g.batch > 1 && (g.batch >= 4 * threads || macs <= 128 * 128 * 128);
  if (threads == 1 || (g.batch == 1 && macs < kParallelMacs) || by_batch) {
    const int64_t grain = by_batch ? std::max<int64_t>(1, kParallelMacs / macs) : g.batch;
    std::atomic<bool> failed{false};
    parallel_for(g.batch, grain, [&](int64_t b0, int64_t b1) {
      for (int64_t i = b0; i < b1 && !failed; ++i) {
        const GemmEpilogue e = epilogue_of(i);
        if (!gemm_serial(kr, g, operands(i), has_epilogue ? &e : nullptr)) failed = true;
      }
    });
    if (failed) out_of_memory();
    return;
  }
  // Independent slices need no barrier per K block (2 threads, 512^3: 378 vs 328 GFLOP/s; [12608,384]^T x
  // [12608,1152]: 368 vs 316), but every thread packs the shared operand: (T - 1) * min(M, N) * K extra copies
  // against M * N * K / T multiply-adds per thread. Below ~6 % of that, split; with many threads, share B blocks.
  const int64_t wide = std::max(g.m, g.n);
  const bool split = int64_t{threads} * (threads - 1) * 16 <= wide && wide >= int64_t{threads} * 2 * kr.nr;
  for (int64_t i = 0; i < g.batch; ++i) {
    const GemmEpilogue e = epilogue_of(i);
    if (split) gemm_split(kr, g, operands(i), has_epilogue ? &e : nullptr, threads);
    else gemm_parallel(kr, g, operands(i), has_epilogue ? &e : nullptr, threads);
  }
}

namespace {

// out = act(out + bias) and/or prelu, for a bias that is not a per-column row ([M, N], [M, 1], batched, ...) and for
// prelu weights: both broadcast over the finished product, walked like an elementwise op.
void broadcast_epilogue(const MatMulParams& p, bool add_bias, const GemmKernels& kr) {
  const Shape* ins[2];
  int n_in = 0;
  const int bias_k = add_bias ? n_in++ : -1;
  if (add_bias) ins[bias_k] = &p.bias.shape;
  const bool prelu = p.activation == Activation::kPrelu;
  const int prelu_k = prelu ? n_in++ : -1;
  if (prelu) ins[prelu_k] = &p.prelu.shape;
  const BroadcastPlan bp = plan_broadcast(p.out.shape, ins, n_in);
  const GemmEpilogue act{nullptr, prelu ? Activation::kLinear : p.activation, p.leaky_alpha};
  const float* bias = add_bias ? p.bias.data<float>() : nullptr;
  const float* weights = prelu ? p.prelu.data<float>() : nullptr;
  float* out = p.out.data<float>();
  parallel_for(bp.outer * bp.inner, 16384, [&](int64_t s, int64_t e) {
    while (s < e) {
      const int64_t row = s / bp.inner, c0 = s - row * bp.inner, c1 = std::min(bp.inner, c0 + (e - s));
      float* o = out + row * bp.inner;
      if (add_bias) {
        const float* b = bias + bp.row_offset(bias_k, row);
        const int64_t st = bp.inner_stride[bias_k];
        for (int64_t i = c0; i < c1; ++i) o[i] += b[i * st];
      }
      if (prelu) {
        const float* w = weights + bp.row_offset(prelu_k, row);
        const int64_t st = bp.inner_stride[prelu_k];
        for (int64_t i = c0; i < c1; ++i) o[i] = o[i] < 0.0f ? w[i * st] * o[i] : o[i];
      } else if (act.active()) {
        kr.epilogue(o + c0, 0, 1, c1 - c0, act, 0);
      }
      s += c1 - c0;
    }
  });
}

}  // namespace

void batch_matmul(const MatMulParams& p) {
  if (p.out.numel() == 0) return;
  const MatMulPlan plan = plan_matmul(p);
  const int64_t n = plan.base.n;
  // A bias that is one value per column ([N], [1, N], [1, 1, N]) or a single value rides in the GEMM epilogue.
  std::vector<float> bias_row;
  const float* bias_n = nullptr;
  bool bias_general = false;
  if (p.bias.present()) {
    const Shape& bs = p.bias.shape;
    const int64_t count = numel(bs);
    if (count == 1) {
      bias_row.assign(n, p.bias.data<float>()[0]);
      bias_n = bias_row.data();
    } else if (!bs.empty() && bs.back() == n && count == n) {
      bias_n = p.bias.data<float>();
    } else {
      bias_general = true;
    }
  }
  const bool after = bias_general || p.activation == Activation::kPrelu;
  for (GemmArgs call : plan.calls) {
    call.bias_n = bias_n;
    call.activation = after ? Activation::kLinear : p.activation;
    call.activation_alpha = p.leaky_alpha;
    gemm(call);
  }
  if (after) broadcast_epilogue(p, bias_general, kernels_for_isa());
}

}  // namespace ibot::cpu
