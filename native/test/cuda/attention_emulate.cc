// Host emulation of the fused attention kernels (src/cuda/attention.cuh) for machines without a GPU: every CUDA
// thread of a CTA runs as a std::thread with real barriers (block and warp), and mma.sync / cvt.rna.tf32 / the warp
// shuffles are emulated (fragment layouts from the PTX ISA, as in gemm_emulate.cc). Runs the real kernel source —
// forward, probabilities, delta, dK/dV, dQ, TF32 and FP32 paths, every head-dimension template, partial tiles and odd
// d — against a float64 reference. It checks index math and masking; it cannot see timing or memory-ordering bugs.
// Build and run: bash native/test/cuda/attention_emulate.sh
#include <cuda_runtime.h>  // vector types and make_float4; nothing here calls the CUDA runtime

#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace emu {
thread_local uint3 thread_idx, block_idx, block_dim;
std::barrier<>* block_barrier = nullptr;
struct Warp {
  std::unique_ptr<std::barrier<>> bar;
  float a[32][4], b[32][2], x[32];
};
std::vector<Warp> warps;
alignas(16) float smem[24 * 1024];  // 96 KB, more than any kernel asks for
}  // namespace emu

#undef __shared__
#define __shared__ static
#define __launch_bounds__(...)
#define threadIdx (::emu::thread_idx)
#define blockIdx (::emu::block_idx)
#define blockDim (::emu::block_dim)
#define __syncthreads() ::emu::block_barrier->arrive_and_wait()
#define __CUDA_ARCH__ 800
#define IBOT_ATTENTION_HOST_EMULATION 1

namespace ibot::cuda::attention_detail {

inline float* attention_smem() { return emu::smem; }

inline emu::Warp& my_warp() { return emu::warps[threadIdx.x >> 5]; }
inline void warp_sync() { my_warp().bar->arrive_and_wait(); }

// Every lane publishes v, then computes what the shuffle butterfly gives it.
template <typename F>
inline float exchange(float v, F&& f) {
  emu::Warp& w = my_warp();
  const int lane = threadIdx.x & 31;
  w.x[lane] = v;
  w.bar->arrive_and_wait();
  float vals[32];
  std::memcpy(vals, w.x, sizeof vals);
  w.bar->arrive_and_wait();  // nobody republishes before every lane has read
  return f(vals, lane);
}

inline float quad_max(float v) {
  return exchange(v, [](const float* x, int lane) {
    const int b = lane & ~3;
    return fmaxf(fmaxf(x[b], x[b + 1]), fmaxf(x[b + 2], x[b + 3]));
  });
}

inline float quad_sum(float v) {
  // lane ^ 1 then lane ^ 2: (x0 + x1) + (x2 + x3) in every lane of the quad, up to commutation.
  return exchange(v, [](const float* x, int lane) {
    const int b = lane & ~3;
    const int pair = lane & 2;
    const float mine = x[b + pair] + x[b + pair + 1], other = x[b + (pair ^ 2)] + x[b + (pair ^ 2) + 1];
    return mine + other;
  });
}

inline float warp_sum(float v) {
  return exchange(v, [](const float* x, int lane) {
    float cur[32];
    std::memcpy(cur, x, sizeof cur);
    for (int off = 16; off > 0; off >>= 1) {
      float next[32];
      for (int l = 0; l < 32; ++l) next[l] = cur[l] + cur[l ^ off];
      std::memcpy(cur, next, sizeof cur);
    }
    return cur[lane];
  });
}

inline float warp_max(float v) {
  return exchange(v, [](const float* x, int lane) {
    float cur[32];
    std::memcpy(cur, x, sizeof cur);
    for (int off = 16; off > 0; off >>= 1) {
      float next[32];
      for (int l = 0; l < 32; ++l) next[l] = fmaxf(cur[l], cur[l ^ off]);
      std::memcpy(cur, next, sizeof cur);
    }
    return cur[lane];
  });
}

// cvt.rna.tf32.f32: round the magnitude to 10 mantissa bits, ties away from zero.
inline float round_tf32(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & 0xffffe000u;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// mma.sync.m16n8k8 row.col f32.tf32.tf32.f32, assembled from the warp's fragments (PTX ISA fragment layouts).
inline void mma_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  const int lane = threadIdx.x & 31;
  emu::Warp& w = my_warp();
  for (int i = 0; i < 4; ++i) w.a[lane][i] = from_bits(a[i]);
  for (int i = 0; i < 2; ++i) w.b[lane][i] = from_bits(b[i]);
  w.bar->arrive_and_wait();
  float A[16][8], B[8][8];
  for (int l = 0; l < 32; ++l) {
    const int g = l >> 2, t = l & 3;
    A[g][t] = w.a[l][0];
    A[g + 8][t] = w.a[l][1];
    A[g][t + 4] = w.a[l][2];
    A[g + 8][t + 4] = w.a[l][3];
    B[t][g] = w.b[l][0];
    B[t + 4][g] = w.b[l][1];
  }
  const int g = lane >> 2, t = lane & 3;
  const int rows[4] = {g, g, g + 8, g + 8}, cols[4] = {2 * t, 2 * t + 1, 2 * t, 2 * t + 1};
  for (int i = 0; i < 4; ++i) {
    float s = d[i];
    for (int k = 0; k < 8; ++k) s += round_tf32(A[rows[i]][k]) * round_tf32(B[k][cols[i]]);
    d[i] = s;
  }
  w.bar->arrive_and_wait();
}

}  // namespace ibot::cuda::attention_detail

#include "cuda/attention.cuh"

using namespace ibot::cuda::attention_detail;

namespace {

std::mt19937_64 g_rng(20240607);
std::string g_filter;  // argv[1]: run only the cases whose label contains it
int g_failures = 0, g_checks = 0;

// Runs `blocks` CTAs one after another, each with `threads` std::threads.
void launch(const std::function<void()>& kernel, unsigned blocks, int threads) {
  for (unsigned bx = 0; bx < blocks; ++bx) {
    std::fill(std::begin(emu::smem), std::end(emu::smem), std::nanf(""));  // stale shared memory reads show up
    std::barrier<> block(threads);
    emu::block_barrier = &block;
    emu::warps.clear();
    emu::warps.resize((threads + 31) / 32);
    for (auto& w : emu::warps) w.bar = std::make_unique<std::barrier<>>(32);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        emu::thread_idx = uint3{static_cast<unsigned>(t), 0, 0};
        emu::block_idx = uint3{bx, 0, 0};
        emu::block_dim = uint3{static_cast<unsigned>(threads), 1, 1};
        kernel();
      });
    for (auto& t : ts) t.join();
  }
}

// An output buffer with guard zones before and after, all poisoned with NaN.
struct Guarded {
  static constexpr int kGuard = 64;
  std::vector<float> buf;
  explicit Guarded(size_t n) : buf(n + 2 * kGuard, std::nanf("")) {}
  float* data() { return buf.data() + kGuard; }
  size_t size() const { return buf.size() - 2 * kGuard; }
  bool guards_intact() const {
    for (int i = 0; i < kGuard; ++i)
      if (!std::isnan(buf[i]) || !std::isnan(buf[buf.size() - 1 - i])) return false;
    return true;
  }
};

struct Reference {
  std::vector<double> out, lse, probs, dq, dk, dv;
  double logit_mag = 0, lse_mag = 0, mag_dq = 0, mag_dk = 0, mag_dv = 0;
};

Reference reference(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                    const std::vector<float>& dy, int heads, int n, int d, float scale) {
  Reference r;
  const size_t hd = static_cast<size_t>(n) * d;
  r.out.assign(heads * hd, 0);
  r.dq.assign(heads * hd, 0);
  r.dk.assign(heads * hd, 0);
  r.dv.assign(heads * hd, 0);
  r.lse.assign(static_cast<size_t>(heads) * n, 0);
  r.probs.assign(static_cast<size_t>(heads) * n * n, 0);
  std::vector<double> aq(heads * hd, 0), ak(heads * hd, 0), av(heads * hd, 0), s(n), dp(n), dpa(n);
  for (int h = 0; h < heads; ++h) {
    const size_t b = h * hd;
    for (int i = 0; i < n; ++i) {
      double mx = -INFINITY;
      for (int j = 0; j < n; ++j) {
        double dot = 0, mag = 0;
        for (int c = 0; c < d; ++c) {
          dot += double(q[b + i * d + c]) * k[b + j * d + c];
          mag += std::fabs(double(q[b + i * d + c]) * k[b + j * d + c]);
        }
        s[j] = scale * dot;
        r.logit_mag = std::max(r.logit_mag, std::fabs(scale) * mag);
        mx = std::max(mx, s[j]);
      }
      double sum = 0;
      for (int j = 0; j < n; ++j) sum += std::exp(s[j] - mx);
      const double l = mx + std::log(sum);
      r.lse[size_t(h) * n + i] = l;
      r.lse_mag = std::max(r.lse_mag, std::fabs(l));
      double* P = &r.probs[(size_t(h) * n + i) * n];
      for (int j = 0; j < n; ++j) P[j] = std::exp(s[j] - l);
      // dpa[j] = Σ_c |dy_c · v_c|: dP's float32 rounding error scales with it, not with |dP| (which may cancel).
      double D = 0, Da = 0;
      for (int j = 0; j < n; ++j) {
        double dot = 0, abs = 0;
        for (int c = 0; c < d; ++c) {
          r.out[b + i * d + c] += P[j] * v[b + j * d + c];
          dot += double(dy[b + i * d + c]) * v[b + j * d + c];
          abs += std::fabs(double(dy[b + i * d + c]) * v[b + j * d + c]);
        }
        dp[j] = dot;
        dpa[j] = abs;
        D += P[j] * dot;
        Da += P[j] * abs;
      }
      for (int j = 0; j < n; ++j) {
        const double ds = P[j] * (dp[j] - D) * scale, dsm = P[j] * (dpa[j] + Da) * std::fabs(scale);
        for (int c = 0; c < d; ++c) {
          r.dv[b + j * d + c] += P[j] * dy[b + i * d + c];
          r.dq[b + i * d + c] += ds * k[b + j * d + c];
          r.dk[b + j * d + c] += ds * q[b + i * d + c];
          av[b + j * d + c] += P[j] * std::fabs(dy[b + i * d + c]);
          aq[b + i * d + c] += dsm * std::fabs(k[b + j * d + c]);
          ak[b + j * d + c] += dsm * std::fabs(q[b + i * d + c]);
        }
      }
    }
  }
  for (double x : aq) r.mag_dq = std::max(r.mag_dq, x);
  for (double x : ak) r.mag_dk = std::max(r.mag_dk, x);
  for (double x : av) r.mag_dv = std::max(r.mag_dv, x);
  return r;
}

// Error bound relative to `mag` (the result's or its terms' size): float32 sums (sqrt(K) 2^-24 per term, x16), the
// scores' rounding through exp, lse's rounding; with TF32 every staged operand (q·scale, k, v, P, dS, dO) is rounded
// to 2^-11 relative, which the scores carry into P through exp (x logit magnitude).
double bound(const Reference& r, int n, int d, double mag, bool tf32) {
  const double eps = std::ldexp(1.0, -24);
  double b = eps * (16 * (std::sqrt(n) + std::sqrt(d)) + 8 * std::sqrt(d) * r.logit_mag + 4 * r.lse_mag + 16);
  if (tf32) b += std::ldexp(1.0, -11) * (8 + 4 * r.logit_mag);
  return mag * b + 1e-30;
}

void compare(const char* what, const std::string& name, const float* got, const std::vector<double>& want,
             double atol, const Guarded* g) {
  size_t bad = 0, first = 0;
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double e = std::fabs(got[i] - want[i]);
    if (!(e <= atol + 1e-6 * std::fabs(want[i]))) {
      if (bad++ == 0) first = i;
    } else {
      worst = std::max(worst, e / atol);
    }
  }
  const bool guards = !g || g->guards_intact();
  ++g_checks;
  if (bad || !guards) ++g_failures;
  std::printf("  %-4s %-36s %-6s worst/bound=%.3f", bad || !guards ? "FAIL" : "ok", name.c_str(), what, worst);
  if (bad) std::printf("  %zu bad, first [%zu] got %.7g want %.7g", bad, first, got[first], want[first]);
  if (!guards) std::printf("  wrote outside the output");
  std::printf("\n");
}

std::vector<float> random_vec(size_t n, float lo = -1, float hi = 1) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> x(n);
  for (auto& e : x) e = u(g_rng);
  return x;
}

template <bool kTf32, int D>
void run_case(int heads, int n, int d, float scale, bool misaligned) {
  const size_t hd = size_t(n) * d, total = heads * hd;
  // misaligned: every input starts one float past a 16-byte boundary, so the 4-byte staging path runs.
  const int off = misaligned ? 1 : 0;
  std::vector<float> qb = random_vec(total + 4), kb = random_vec(total + 4), vb = random_vec(total + 4),
                     yb = random_vec(total + 4);
  const float* q = qb.data() + off;
  const float* k = kb.data() + off;
  const float* v = vb.data() + off;
  const float* dy = yb.data() + off;
  const bool vec = d % 4 == 0 && !misaligned && reinterpret_cast<uintptr_t>(q) % 16 == 0 &&
                   reinterpret_cast<uintptr_t>(k) % 16 == 0 && reinterpret_cast<uintptr_t>(v) % 16 == 0 &&
                   reinterpret_cast<uintptr_t>(dy) % 16 == 0;
  char label[160];
  std::snprintf(label, sizeof label, "%s D=%d heads=%d n=%d d=%d%s", kTf32 ? "tf32" : "fp32", D, heads, n, d,
                vec ? " vec" : " scalar");
  if (std::string(label).find(g_filter) == std::string::npos) return;
  const std::vector<float> qv(q, q + total), kv(k, k + total), vv(v, v + total), yv(dy, dy + total);
  const Reference ref = reference(qv, kv, vv, yv, heads, n, d, scale);

  Guarded out(total), lse(size_t(heads) * n), probs(size_t(heads) * n * n);
  FwdArgs fa{q, k, v, out.data(), lse.data(), n, d, scale};
  using F = FwdTile<D>;
  launch([&] { attention_fwd_kernel<kTf32, D>(fa, vec); }, heads * ((n + F::BM - 1) / F::BM), F::THREADS);
  ProbsArgs pa{q, k, lse.data(), probs.data(), n, d, scale};
  const int pt = (n + 31) / 32;
  launch([&] { attention_probs_kernel(pa); }, heads * pt * pt, 256);
  const int64_t prob_rows = int64_t(heads) * n;
  launch([&] { attention_probs_normalise_kernel(probs.data(), prob_rows, n); },
         static_cast<unsigned>((prob_rows + 7) / 8), 256);

  // The backward from the forward's own out and lse, as in training.
  Guarded delta(size_t(heads) * n), dq(total), dk(total), dv(total);
  BwdArgs ba{q, k, v, out.data(), dy, lse.data(), delta.data(), dq.data(), dk.data(), dv.data(), n, d, scale};
  const int64_t rows = int64_t(heads) * n;
  launch([&] { attention_delta_kernel(ba, rows); }, unsigned((rows * 32 + 255) / 256), 256);
  using KV = DkvTile<D>;
  launch([&] { attention_dkv_kernel<kTf32, D>(ba, vec); }, heads * ((n + KV::BNK - 1) / KV::BNK), KV::THREADS);
  using Q = DqTile<D>;
  launch([&] { attention_dq_kernel<kTf32, D>(ba, vec); }, heads * ((n + Q::BM - 1) / Q::BM), Q::THREADS);

  double out_mag = 0;
  for (double x : ref.out) out_mag = std::max(out_mag, std::fabs(x));
  compare("out", label, out.data(), ref.out, bound(ref, n, d, std::max(out_mag, 1.0), kTf32), &out);
  compare("lse", label, lse.data(), ref.lse, bound(ref, n, d, std::max(ref.lse_mag, 1.0), kTf32), &lse);
  // probs: exact fp32 scores, normalised per row.
  compare("probs", label, probs.data(), ref.probs, bound(ref, n, d, 1.0, kTf32), &probs);
  compare("dq", label, dq.data(), ref.dq, bound(ref, n, d, ref.mag_dq, kTf32), &dq);
  compare("dk", label, dk.data(), ref.dk, bound(ref, n, d, ref.mag_dk, kTf32), &dk);
  compare("dv", label, dv.data(), ref.dv, bound(ref, n, d, ref.mag_dv, kTf32), &dv);
}

template <int D>
void run_both(int heads, int n, int d, float scale, bool misaligned = false) {
  run_case<false, D>(heads, n, d, scale, misaligned);
  run_case<true, D>(heads, n, d, scale, misaligned);
}

}  // namespace

// Optional argument: a substring of the case labels to run, e.g. "tf32 D=64".
int main(int argc, char** argv) {
  if (argc > 1) g_filter = argv[1];
  // Each head-dimension template with full and partial query/key tiles (BM 64/32, BN 32/16, BNK 64/32, BMQ 32/16),
  // odd d padded up to the template, a single token, and misaligned inputs (4-byte staging).
  run_both<32>(2, 37, 32, 0.18f);
  run_both<32>(1, 1, 32, 0.5f);
  run_both<32>(1, 70, 17, 0.3f, true);
  run_both<64>(2, 37, 64, 0.125f);
  run_both<64>(1, 197, 64, 0.125f);
  run_both<64>(1, 65, 48, -0.2f);
  run_both<64>(1, 33, 63, 0.1f, true);
  run_both<128>(1, 50, 128, 0.09f);
  run_both<128>(2, 17, 100, 0.1f);
  run_both<128>(1, 33, 128, 0.09f, true);
  std::printf("\n%d checks, %d failed\n", g_checks, g_failures);
  return g_failures ? 1 : 0;
}
