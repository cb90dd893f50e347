// CPU fused attention (kernels/attention.h): FlashAttention-2-style tiles of query rows against all keys of a head,
// so the largest intermediate is one per-thread tile of `tile` x N scores that stays in L2, never an N x N matrix.
//
// Forward, per (head, query tile) task:   S = Q_t Kᵀ                      [tile, N]   scores (K packed once per head)
//                                          E = exp(scale·S - max), lse     softmax_rows (exact: the tile spans all keys)
//                                          O_t = (E V) / rowsum(E)         product, then one scale per row
// Backward, per head (dK and dV gather over its query tiles, so one head belongs to one thread: no races; heads are
// claimed one at a time by whichever thread is free, see Claims):
//   D = rowsum(dO ⊙ O);  per tile:  P = exp(scale · Q_t Kᵀ - lse),  dS = P ⊙ (dO_t Vᵀ - D) · scale  (both in the
//                                   score product's register tiles: ScoresEpilogue),
//                                   dV += Pᵀ dO_t,  dQ_t = dS K,  dK += dSᵀ Q_t.
// The leaf routines (cpu/attention_kernels.inc) are register-tiled products that read the probability tile and the
// [N, d] tensors in place; only K and V are repacked (once per head, O(N d)) into the key panels of the score
// product.
//
// Roofline for the ViT-S shape on the development machine (B = 8, H = 6, N = 197, d = 64; 2 Zen 5 cores, ~215
// GFLOP/s of zmm FMAs per core, ~17-19 GB/s of DRAM per core):
//   FLOPs: each product is 2 N² d = 4.97 MFLOP per head; forward 2, backward 5 (S is recomputed) -> 7 x 4.97 x 48
//          = 1.67 GFLOP, plus 2 x 48 x 197² = 3.7 M exps (~15 instructions per 16 lanes with AVX-512's vscalefps,
//          twice that with exp_f32; with the max, sum and dS passes around them ~12 % of the measured time).
//   Bytes: forward reads q, k, v and writes out (4 x 2.42 MB) + lse; backward reads q, k, v, out, dy, lse and writes
//          dq, dk, dv (8 x 2.42 MB): ~29 MB in all, ~1 ms of DRAM time on both cores.
//   So compute-bound at ~57 FLOP/byte: 1.67 GFLOP / 430 GFLOP/s = 3.9 ms at peak; with edge tiles (197 = 32·6 + 5
//   rows, 13 key panels of 16 for 197 keys) and the packing, ~65-75 % of peak is the realistic ceiling: 5-6 ms.
//   The composite (tfjs ops) does 6 of these products but also writes and rereads ~10 N x N tensors of 7.45 MB
//   (~150 MB of traffic, ~5 ms) and runs ~15 kernels.
//   Per-thread working set: tile x N_pad x 4 bytes per score tile (197 x 208 x 4 = 164 KB; two in the backward) plus
//   the packed K and V (52 KB each) and the head's [N, d] inputs (50 KB each): inside Zen 5's 1 MB L2.
// Measured (one thread, thread CPU time, per head, data in L2): each product 22-24 us (~205-218 GFLOP/s, i.e. at
//   the FMA peak), softmax_rows 9.5 us, the backward's P and dS epilogues ~7 us (they were an 8-10 us pass of their
//   own), packing 1.3 us; whole calls: forward ~3.1 ms, backward ~6.8 ms (~63 us and ~140 us per head: the rest is
//   DRAM traffic, partly hidden by prefetching the next head). Two threads, quiet machine: ~1.6 + ~3.4 ms wall.
//   What that means for "fused >= 3x the composite": the composite's 6 GEMMs alone are 1.43 GFLOP against our 1.67
//   (the recomputed S is the 7th product), and it measures ~17-20 ms of CPU time in all (9-11 ms wall on two quiet
//   cores); 1.67 GFLOP at the FMA peak is ~7.7 ms of CPU time, so ~2.2-2.6x is the ceiling in FP32 here whatever
//   the schedule (we measure 1.6-1.8x quiet, ~2x under load); 3x would need fewer FLOPs (storing P, against the
//   no-N x N rule) or lower-precision products.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "core/cpu_features.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/attention_kernels.h"
#include "kernels/attention.h"

namespace ibot::cpu {
namespace {

const AttentionKernels& kernels_for_isa() {
  switch (cpu_isa()) {
    case CpuIsa::kAvx512: return attention_kernels_avx512();
    case CpuIsa::kAvx2: return attention_kernels_avx2();
    default: return attention_kernels_generic();
  }
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// Floats per score tile: 64 K floats = 256 KB, so the backward's two tiles leave half of a 1 MB L2 for K, V and the
// head's rows. Heads up to N = 256 fit in one tile (no second pass over K and V, and dK/dV written once).
constexpr int64_t kTileFloats = 64 * 1024;

// A per-thread, 64-byte aligned scratch buffer that only grows; carved into the arrays one task needs.
class Scratch {
 public:
  ~Scratch() { std::free(data_); }
  // Null when the allocation fails (workers must not throw: the caller checks a flag and throws).
  float* get(int64_t floats) noexcept {
    if (floats > size_) {
      std::free(data_);
      data_ = static_cast<float*>(std::aligned_alloc(64, round_up(floats * int64_t{sizeof(float)}, 64)));
      size_ = data_ ? floats : 0;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  int64_t size_ = 0;
};

thread_local Scratch t_scratch;

// Hands out consecutive 64-byte aligned arrays from one buffer (sizes computed up front by `total`).
class Carve {
 public:
  explicit Carve(float* base) : at_(base) {}
  float* take(int64_t floats) {
    float* p = at_;
    at_ += round_up(floats, 16);
    return p;
  }
  static int64_t total(std::initializer_list<int64_t> sizes) {
    int64_t t = 0;
    for (int64_t s : sizes) t += round_up(s, 16);
    return t;
  }

 private:
  float* at_;
};

// How one call is cut up.
struct Plan {
  AttentionDims dims;
  int64_t n_pad;  // score row stride: N rounded up to the key panel width
  int64_t d_pad;  // product column count: d rounded up to the vector width
  bool padded;    // d is not a multiple of the vector width: heads are staged through zero-padded [N, d_pad] copies
  int64_t tile;   // query rows per tile (a multiple of the register tile's rows, except the last tile)
  int64_t tiles;  // per head
};

// `min_tiles`: at least this many tiles per head when N allows (the forward splits heads to feed every thread).
Plan make_plan(const AttentionKernels& kr, const AttentionDims& dims, int64_t min_tiles) {
  Plan p;
  p.dims = dims;
  const int64_t n = dims.n;
  p.n_pad = round_up(std::max<int64_t>(n, 1), kr.width);
  p.d_pad = round_up(dims.d, kr.width);
  p.padded = p.d_pad != dims.d;
  const int64_t max_rows = std::max<int64_t>(4 * kr.mr, kTileFloats / p.n_pad / kr.mr * kr.mr);
  int64_t tiles = std::max(ceil_div(n, max_rows), int64_t{1});
  tiles = std::max(tiles, std::min(min_tiles, ceil_div(n, 4 * kr.mr)));  // no tiles thinner than 4 register tiles
  p.tile = round_up(ceil_div(std::max<int64_t>(n, 1), tiles), kr.mr);
  p.tiles = ceil_div(std::max<int64_t>(n, 1), p.tile);
  return p;
}

// dst [rows, ld_dst] (zero-padded past `cols`) <- src [rows, cols].
void copy_padded(const float* src, int64_t rows, int64_t cols, float* dst, int64_t ld_dst) {
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(dst + r * ld_dst, src + r * cols, cols * sizeof(float));
    std::memset(dst + r * ld_dst + cols, 0, (ld_dst - cols) * sizeof(float));
  }
}

// dst [rows, cols] <- src [rows, ld_src].
void copy_unpadded(const float* src, int64_t ld_src, int64_t rows, int64_t cols, float* dst) {
  for (int64_t r = 0; r < rows; ++r) std::memcpy(dst + r * cols, src + r * ld_src, cols * sizeof(float));
}

// Asks for the cache lines of x[0:floats] ahead of use (the next head's inputs while this one computes).
void prefetch(const float* x, int64_t floats) {
  for (int64_t i = 0; i < floats; i += 16) __builtin_prefetch(x + i, 0, 3);
}

// Pulls a head's [n, d] inputs into the cache a slice at a time between the current head's products, so that the
// DRAM reads overlap arithmetic instead of stalling the first product of the next head (the backward reads 5 arrays
// per head, ~250 KB at ViT-S: measured ~5 % faster than leaving it to the hardware prefetcher).
class Prefetcher {
 public:
  Prefetcher() = default;
  // Up to 5 arrays of `floats` each, spread over `steps` calls of step().
  Prefetcher(std::initializer_list<const float*> arrays, int64_t floats, int64_t steps) : floats_(floats) {
    for (const float* a : arrays) arrays_[count_++] = a;
    lines_per_step_ = ceil_div(count_ * ceil_div(floats, 16), std::max<int64_t>(steps, 1));
  }
  void step() {
    for (int64_t l = 0; l < lines_per_step_ && array_ < count_; ++l) {
      __builtin_prefetch(arrays_[array_] + at_, 0, 2);  // into L2: the current head keeps L1
      at_ += 16;
      if (at_ >= floats_) {
        at_ = 0;
        ++array_;
      }
    }
  }

 private:
  const float* arrays_[5] = {};
  int count_ = 0, array_ = 0;
  int64_t floats_ = 0, at_ = 0, lines_per_step_ = 0;
};

// Work handed out one unit at a time to whichever thread asks (on this shared 2-core machine a thread is often
// descheduled mid-call: with fixed chunks of several heads the other thread then waits for all of them; here it only
// ever waits for one). A thread claims its next unit when it starts the current one, so that it can prefetch that
// unit's inputs. Every unit's arithmetic is the same whichever thread runs it: results do not depend on the order.
class Claims {
 public:
  explicit Claims(int64_t units) : units_(units) {}
  // How many workers to start (parallel_for over this many items, each running a claim loop).
  int64_t workers(int threads) const { return std::min<int64_t>(threads, units_); }
  // The next unclaimed unit, or -1 when none is left.
  int64_t claim() {
    const int64_t u = next_.fetch_add(1, std::memory_order_relaxed);
    return u < units_ ? u : -1;
  }

 private:
  int64_t units_;
  std::atomic<int64_t> next_{0};
};

[[noreturn]] void out_of_memory(const char* op, int64_t floats) {
  fail(op, ": out of memory for ", floats, " floats of per-thread scratch");
}

}  // namespace

void fused_attention(const AttentionForward& a) {
  const AttentionDims dims = attention_dims(a.q);
  const int64_t H = dims.heads, n = dims.n, d = dims.d;
  if (H == 0 || n == 0) return;
  const AttentionKernels& kr = kernels_for_isa();
  const int threads = num_threads();
  // Enough (head, tile) tasks for every thread to get a few, when there are few heads.
  const Plan plan = make_plan(kr, dims, ceil_div(4 * int64_t{threads}, H));
  const int64_t n_pad = plan.n_pad, d_pad = plan.d_pad, tile = plan.tile;
  const int64_t scratch = Carve::total({n_pad * std::max<int64_t>(d, 1), tile * n_pad, tile,
                                        plan.padded ? n * d_pad : 0, plan.padded ? tile * d_pad : 0});
  const float* Q = a.q.data<float>();
  const float* K = a.k.data<float>();
  const float* Vv = a.v.data<float>();
  float* O = a.out.data<float>();
  float* L = a.lse.data<float>();
  float* P = a.probs.present() ? a.probs.data<float>() : nullptr;
  const float scale = a.scale;
  std::atomic<bool> failed{false};

  // Units of work: whole heads (all their tiles, in order) when there are enough heads, else single tiles.
  const int64_t per_unit = H >= 4 * int64_t{threads} ? plan.tiles : 1;
  Claims claims(H * plan.tiles / per_unit);
  parallel_for(claims.workers(threads), 1, [&](int64_t, int64_t) {
    float* base = t_scratch.get(scratch);
    if (!base) {
      failed = true;
      return;
    }
    Carve carve(base);
    float* kp = carve.take(n_pad * std::max<int64_t>(d, 1));  // packed K of the current head
    float* s = carve.take(tile * n_pad);                       // [tile, n_pad] scores, then exp
    float* inv = carve.take(tile);                             // 1 / row sums
    float* vpad = plan.padded ? carve.take(n * d_pad) : nullptr;  // V [n, d_pad] (odd d only)
    float* opad = plan.padded ? carve.take(tile * d_pad) : nullptr;
    int64_t packed_head = -1;  // consecutive tasks of one head share its packed K
    for (int64_t unit = claims.claim(), next_unit; unit >= 0; unit = next_unit) {
      next_unit = claims.claim();  // claimed now so that its inputs can be fetched during this unit
      for (int64_t t = unit * per_unit; t < (unit + 1) * per_unit; ++t) {
        const int64_t h = t / plan.tiles, r0 = (t % plan.tiles) * tile, rows = std::min(tile, n - r0);
        if (rows <= 0) continue;
        const float* q = Q + h * n * d;
        const float* v = Vv + h * n * d;
        if (h != packed_head) {
          kr.pack_rows(K + h * n * d, d, n, d, scale, kp);  // scale folded into K: S comes out scaled
          if (plan.padded) copy_padded(v, n, d, vpad, d_pad);
          packed_head = h;
        }
        // On the unit's last task, pull in the next unit's K, Q rows and V when it starts another head, a piece per
        // phase, so that the DRAM reads overlap this tile's arithmetic (measured ~5 % on the ViT shape).
        const int64_t tn = next_unit * per_unit, hn = tn / plan.tiles, rn = (tn % plan.tiles) * tile;
        const bool fetch_next = t + 1 == (unit + 1) * per_unit && next_unit >= 0 && hn != h;
        if (fetch_next) prefetch(K + hn * n * d, n * d);
        kr.scores(q + r0 * d, d, rows, d, kp, n, s, n_pad, nullptr);
        if (fetch_next) prefetch(Q + (hn * n + rn) * d, std::min(tile, n - rn) * d);
        kr.softmax_rows(s, n_pad, rows, n, L + h * n + r0, inv);
        if (fetch_next) prefetch(Vv + hn * n * d, n * d);
        // O_t = E V, then each row times 1 / Σ E: rows * d multiplies instead of rows * N to normalise E.
        float* o = O + (h * n + r0) * d;
        float* ot = plan.padded ? opad : o;
        const int64_t ldo = plan.padded ? d_pad : d;
        kr.product(s, n_pad, false, rows, n, plan.padded ? vpad : v, ldo, d_pad, ot, ldo, false);
        for (int64_t i = 0; i < rows; ++i) {
          const float r = inv[i];
          const float* src = ot + i * ldo;
          float* dst = o + i * d;
          for (int64_t c = 0; c < d; ++c) dst[c] = src[c] * r;
        }
        if (P) {
          for (int64_t i = 0; i < rows; ++i) {
            const float r = inv[i];
            const float* src = s + i * n_pad;
            float* dst = P + (h * n + r0 + i) * n;
            for (int64_t j = 0; j < n; ++j) dst[j] = src[j] * r;
          }
        }
      }
    }
  });
  if (failed) out_of_memory("FusedAttention", scratch);
}

void fused_attention_grad(const AttentionBackward& a) {
  const AttentionDims dims = attention_dims(a.q);
  const int64_t H = dims.heads, n = dims.n, d = dims.d;
  if (H == 0 || n == 0) return;
  const AttentionKernels& kr = kernels_for_isa();
  const Plan plan = make_plan(kr, dims, 1);
  const int64_t n_pad = plan.n_pad, d_pad = plan.d_pad, tile = plan.tile;
  const int64_t dk = std::max<int64_t>(d, 1);
  const int64_t pads = plan.padded ? n * d_pad : 0;
  const int64_t scratch = Carve::total({n_pad * dk, n_pad * dk, tile * n_pad, tile * n_pad, n, pads, pads, pads,
                                        pads, pads, pads});
  const float* Q = a.q.data<float>();
  const float* K = a.k.data<float>();
  const float* Vv = a.v.data<float>();
  const float* O = a.out.data<float>();
  const float* L = a.lse.data<float>();
  const float* DY = a.dy.data<float>();
  float* DQ = a.dq.data<float>();
  float* DK = a.dk.data<float>();
  float* DV = a.dv.data<float>();
  const float scale = a.scale;
  std::atomic<bool> failed{false};

  const int threads = num_threads();
  Claims claims(H);  // one head per unit
  parallel_for(claims.workers(threads), 1, [&](int64_t, int64_t) {
    float* base = t_scratch.get(scratch);
    if (!base) {
      failed = true;
      return;
    }
    Carve carve(base);
    float* kp = carve.take(n_pad * dk);  // K packed as key panels (for S = Q Kᵀ)
    float* vp = carve.take(n_pad * dk);  // V packed likewise (for dP = dO Vᵀ)
    float* s = carve.take(tile * n_pad);   // S, then P
    float* dp = carve.take(tile * n_pad);  // dP, then dS
    float* delta = carve.take(n);          // D_i = rowsum(dO ⊙ O)
    // Odd d: the product operands and results as zero-padded [n, d_pad] copies.
    float* qpad = plan.padded ? carve.take(pads) : nullptr;
    float* kpad = plan.padded ? carve.take(pads) : nullptr;
    float* ypad = plan.padded ? carve.take(pads) : nullptr;
    float* dqpad = plan.padded ? carve.take(pads) : nullptr;
    float* dkpad = plan.padded ? carve.take(pads) : nullptr;
    float* dvpad = plan.padded ? carve.take(pads) : nullptr;
    for (int64_t h = claims.claim(), h_next; h >= 0; h = h_next) {
      h_next = claims.claim();  // claimed now so that its inputs can be fetched during this head
      const int64_t off = h * n * d;
      // The next head's inputs, fetched during this head's 5 leaf calls per tile.
      Prefetcher next;
      if (h_next >= 0) {
        const int64_t nx = h_next * n * d;
        next = Prefetcher({Q + nx, K + nx, Vv + nx, DY + nx, O + nx}, n * d, 5 * plan.tiles);
      }
      const float* q = Q + off;
      const float* k = K + off;
      const float* dy = DY + off;
      const float* o = O + off;
      const float* lse = L + h * n;
      kr.pack_rows(k, d, n, d, scale, kp);  // scaled: S = scale · Q Kᵀ directly
      kr.pack_rows(Vv + off, d, n, d, 1.0f, vp);
      kr.row_dots(dy, o, n, d, delta);
      // Product views: B operands (rows of Q, K, dO) and results (dQ, dK, dV) with their row strides.
      const int64_t ld = plan.padded ? d_pad : d;
      const float* qb = q;
      const float* kb = k;
      const float* yb = dy;
      float* dq = DQ + off;
      float* dkh = DK + off;
      float* dv = DV + off;
      if (plan.padded) {
        copy_padded(q, n, d, qpad, d_pad);
        copy_padded(k, n, d, kpad, d_pad);
        copy_padded(dy, n, d, ypad, d_pad);
        qb = qpad;
        kb = kpad;
        yb = ypad;
        dq = dqpad;
        dkh = dkpad;
        dv = dvpad;
      }
      for (int64_t r0 = 0; r0 < n; r0 += tile) {
        const int64_t rows = std::min(tile, n - r0);
        const bool accumulate = r0 > 0;
        // P = exp(scale · Q_t Kᵀ - lse) and dS = P ⊙ (dO_t Vᵀ - D) · scale, each in its product's register tiles.
        const ScoresEpilogue probs{ScoresEpilogue::kProbs, lse + r0, nullptr, 0.0f};
        kr.scores(q + r0 * d, d, rows, d, kp, n, s, n_pad, &probs);
        next.step();
        const ScoresEpilogue grad{ScoresEpilogue::kGradScores, delta + r0, s, scale};
        kr.scores(dy + r0 * d, d, rows, d, vp, n, dp, n_pad, &grad);
        next.step();
        // dV [n, d] (+)= Pᵀ [n, rows] dO_t [rows, d]
        kr.product(s, n_pad, true, n, rows, yb + r0 * ld, ld, d_pad, dv, ld, accumulate);
        next.step();
        // dQ_t [rows, d] = dS [rows, n] K [n, d]
        kr.product(dp, n_pad, false, rows, n, kb, ld, d_pad, dq + r0 * ld, ld, false);
        next.step();
        // dK [n, d] (+)= dSᵀ [n, rows] Q_t [rows, d]
        kr.product(dp, n_pad, true, n, rows, qb + r0 * ld, ld, d_pad, dkh, ld, accumulate);
        next.step();
      }
      if (plan.padded) {
        copy_unpadded(dqpad, d_pad, n, d, DQ + off);
        copy_unpadded(dkpad, d_pad, n, d, DK + off);
        copy_unpadded(dvpad, d_pad, n, d, DV + off);
      }
    }
  });
  if (failed) out_of_memory("FusedAttentionGrad", scratch);
}

}  // namespace ibot::cpu
