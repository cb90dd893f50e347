// Host emulation of the GEMM kernels (src/cuda/matmul_tf32.cuh, src/cuda/matmul_simt.cuh) for machines without a GPU:
// every CUDA thread of a CTA runs as a std::thread with real barriers, and mma.sync / cp.async / cvt.rna are emulated
// from the PTX ISA's fragment layouts. It checks the tile, fragment, split-K and epilogue index math of the real
// kernel source against a float64 reference; it cannot see timing or memory-ordering bugs (copies land at once).
// Build and run: bash native/test/cuda/emulate.sh
#include <cuda_runtime.h>  // vector types (float4, uint3); nothing here calls the CUDA runtime

#include <barrier>
#include <cinttypes>
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
thread_local uint3 thread_idx, block_idx;
std::barrier<>* block_barrier = nullptr;
struct Warp {
  std::unique_ptr<std::barrier<>> bar;
  float a[32][4], b[32][2];
};
std::vector<Warp> warps;
alignas(16) float smem[64 * 1024];  // 256 KB, more than any variant asks for
}  // namespace emu

// Turn the CUDA dialect of the kernel headers into host C++.
#undef __shared__
#define __shared__ static
#define __launch_bounds__(...)
#define threadIdx (::emu::thread_idx)
#define blockIdx (::emu::block_idx)
#define __syncthreads() ::emu::block_barrier->arrive_and_wait()
#define __ldg(p) (*(p))
#define __CUDA_ARCH__ 800
#define IBOT_GEMM_HOST_EMULATION 1
using std::max;
using std::min;

#include "cuda/matmul_common.cuh"

namespace ibot::cuda::gemm_detail {

inline float* dynamic_smem() { return emu::smem; }
inline void cp_async_16(float* s, const float* g, int bytes) {
  for (int i = 0; i < 4; ++i) s[i] = i * 4 < bytes ? g[i] : 0.f;
}
inline void cp_async_4(float* s, const float* g, int bytes) { *s = bytes ? *g : 0.f; }
inline void cp_async_commit() {}
template <int N>
inline void cp_async_wait() {}

// cvt.rna.tf32.f32: round the magnitude to 10 mantissa bits, ties away from zero.
inline uint32_t to_tf32(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & 0xffffe000u;
  return u;
}

inline float tf32_value(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// mma.sync.m16n8k8 row.col f32.tf32.tf32.f32: the warp's lanes publish their fragments, then each lane computes its
// own four outputs from the assembled 16x8 A and 8x8 B (layouts from the PTX ISA, "Matrix Fragments for mma.m16n8k8").
inline void mma_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  const int lane = threadIdx.x & 31;
  emu::Warp& w = emu::warps[threadIdx.x >> 5];
  for (int i = 0; i < 4; ++i) w.a[lane][i] = tf32_value(a[i]);
  for (int i = 0; i < 2; ++i) w.b[lane][i] = tf32_value(b[i]);
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
    for (int k = 0; k < 8; ++k) s += A[rows[i]][k] * B[k][cols[i]];
    d[i] = s;
  }
  w.bar->arrive_and_wait();  // nobody republishes before every lane has read
}

}  // namespace ibot::cuda::gemm_detail

#include "cuda/matmul_simt.cuh"
#include "cuda/matmul_tf32.cuh"

using namespace ibot;
using namespace ibot::cuda::gemm_detail;

namespace {

std::mt19937_64 g_rng(12345);
int g_failures = 0, g_checks = 0;

// Runs grid (tiles, 1, z) CTAs one after another, each with `threads` std::threads.
void launch(const std::function<void(const GemmKernelArgs&)>& kernel, unsigned tiles, unsigned z, int threads,
            const GemmKernelArgs& p) {
  for (unsigned bz = 0; bz < z; ++bz)
    for (unsigned bx = 0; bx < tiles; ++bx) {
      std::fill(std::begin(emu::smem), std::end(emu::smem), std::nanf(""));  // stale shared memory reads show up
      std::barrier<> block(threads);
      emu::block_barrier = &block;
      emu::warps.clear();
      emu::warps.resize(threads / 32);
      for (auto& w : emu::warps) w.bar = std::make_unique<std::barrier<>>(32);
      std::vector<std::thread> ts;
      for (int t = 0; t < threads; ++t)
        ts.emplace_back([&, t] {
          emu::thread_idx = uint3{static_cast<unsigned>(t), 0, 0};
          emu::block_idx = uint3{bx, 0, bz};
          kernel(p);
        });
      for (auto& t : ts) t.join();
    }
}

struct Variant {
  const char* name;
  int bm, bn, threads;
  bool tf32;
  std::function<void(const GemmKernelArgs&)> kernel[4];  // [ta + 2 tb]
};

template <class T>
Variant tf32_variant(const char* name) {
  return {name, T::BM, T::BN, T::THREADS, true,
          {gemm_tf32_kernel<T, false, false>, gemm_tf32_kernel<T, true, false>, gemm_tf32_kernel<T, false, true>,
           gemm_tf32_kernel<T, true, true>}};
}

template <class T>
Variant simt_variant(const char* name) {
  return {name, T::BM, T::BN, T::THREADS, false,
          {gemm_simt_kernel<T, false, false>, gemm_simt_kernel<T, true, false>, gemm_simt_kernel<T, false, true>,
           gemm_simt_kernel<T, true, true>}};
}

struct Case {
  std::string name;
  int m, n, k, batch = 1;
  bool ta = false, tb = false;
  int pad = 0, offset = 0;  // leading-dimension padding, misalignment of every operand
  bool bcast_a = false;
  float alpha = 1.f, beta = 0.f;
  bool bias = false;
  Activation act = Activation::kLinear;
  int pre_pad = -1;  // >= 0: also write the pre-activation matrix, leading dimension n + pre_pad
};

double act_ref(double v, Activation a) {
  switch (a) {
    case Activation::kRelu: return v > 0 ? v : 0;
    case Activation::kGeluErf: return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    case Activation::kSigmoid: return 1.0 / (1.0 + std::exp(-v));
    default: return v;
  }
}

std::vector<float> random_vec(int64_t n) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(g_rng);
  return v;
}

// Mirrors run_gemm in src/cuda/matmul.cu for one variant and K split, on host memory.
void run(const Variant& v, const Case& c, int want_splits) {
  const int64_t a_rows = c.ta ? c.k : c.m, a_cols = c.ta ? c.m : c.k, b_rows = c.tb ? c.n : c.k,
                b_cols = c.tb ? c.k : c.n;
  const int64_t lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.n + c.pad;
  const int64_t stride_a = c.bcast_a ? 0 : a_rows * lda, stride_b = b_rows * ldb, stride_c = c.m * ldc;
  std::vector<float> ha = random_vec(c.offset + (c.bcast_a ? 1 : c.batch) * a_rows * lda + 4);
  std::vector<float> hb = random_vec(c.offset + c.batch * stride_b + 4), hbias = random_vec(c.n + 4);
  std::vector<float> hc0 = random_vec(c.offset + c.batch * stride_c + 4);
  if (c.beta == 0.f) std::fill(hc0.begin(), hc0.end(), std::nanf(""));
  std::vector<float> hc = hc0;
  const int64_t ldp = c.n + std::max(c.pre_pad, 0), stride_pre = c.m * ldp;
  const std::vector<float> hp0(c.pre_pad >= 0 ? c.offset + c.batch * stride_pre + 4 : 0, std::nanf(""));
  std::vector<float> hp = hp0;
  // 16-byte alignment as the device would see it: vectors' data are 16-byte aligned in practice, checked below.
  auto aligned16 = [](const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; };

  GemmKernelArgs p{};
  p.m = c.m;
  p.n = c.n;
  p.k = c.k;
  p.a = ha.data() + c.offset;
  p.lda = lda;
  p.stride_a = stride_a;
  p.b = hb.data() + c.offset;
  p.ldb = ldb;
  p.stride_b = stride_b;
  p.c = hc.data() + c.offset;
  p.ldc = ldc;
  p.stride_c = stride_c;
  p.alpha = c.alpha;
  p.beta = c.beta;
  p.bias = c.bias ? hbias.data() : nullptr;
  p.act = static_cast<int>(c.act);
  p.act_alpha = 0.2f;
  p.pre = c.pre_pad >= 0 ? hp.data() + c.offset : nullptr;
  p.ldp = ldp;
  p.stride_pre = stride_pre;
  p.splits = 1;
  p.k_chunk = c.k;
  p.tiles_m = (c.m + v.bm - 1) / v.bm;
  p.tiles_n = (c.n + v.bn - 1) / v.bn;
  const bool batched = c.batch > 1;
  p.a_vec = aligned16(p.a) && lda % 4 == 0 && (!batched || stride_a % 4 == 0);
  p.b_vec = aligned16(p.b) && ldb % 4 == 0 && (!batched || stride_b % 4 == 0);
  p.c_vec4 = aligned16(p.c) && ldc % 4 == 0 && (!batched || stride_c % 4 == 0);
  p.pre_vec4 = p.pre && aligned16(p.pre) && ldp % 4 == 0 && (!batched || stride_pre % 4 == 0);
  int splits = 1;
  if (want_splits > 1 && c.k > 0) splits = static_cast<int>(split_k_ranges(p, want_splits));
  const auto& kernel = v.kernel[(c.ta ? 1 : 0) + (c.tb ? 2 : 0)];
  const unsigned tiles = p.tiles_m * p.tiles_n;
  if (splits == 1) {
    launch(kernel, tiles, c.batch, v.threads, p);
  } else {
    const int64_t mn = int64_t(c.m) * c.n;
    std::vector<float> ws(c.batch * splits * mn + 4, std::nanf(""));
    const GemmKernelArgs q = splitk_partials_args(p, splits, ws.data(), c.n % 4 == 0 && aligned16(ws.data()));
    launch(kernel, tiles, c.batch * splits, v.threads, q);
    p.splits = splits;
    for (int64_t b = 0; b < c.batch; ++b)  // splitk_reduce_kernel's loop body
      for (int64_t r = 0; r < mn; ++r) {
        float s = 0.f;
        for (int sp = 0; sp < splits; ++sp) s += ws[b * splits * mn + sp * mn + r];
        store_one(p, p.c + b * p.stride_c, p.pre ? p.pre + b * p.stride_pre : nullptr, static_cast<int>(r / c.n),
                  static_cast<int>(r % c.n), s);
      }
  }

  int64_t bad = 0, count = 0;
  double worst = 0;
  std::string first;
  const double tol = (v.tf32 ? std::ldexp(1.0, -10) : 0.0) + (c.k + 8) * std::ldexp(1.0, -23);
  std::vector<char> inside(hc.size(), 0), inside_pre(hp.size(), 0);
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        double s = 0, mag = 0;
        for (int64_t q = 0; q < c.k; ++q) {
          const double x = ha[c.offset + b * stride_a + (c.ta ? q * lda + i : i * lda + q)];
          const double y = hb[c.offset + b * stride_b + (c.tb ? j * ldb + q : q * ldb + j)];
          s += x * y;
          mag += std::fabs(x * y);
        }
        const int64_t at = c.offset + b * stride_c + i * ldc + j;
        inside[at] = 1;
        double pre = c.alpha * s + (c.beta != 0.f ? c.beta * double(hc0[at]) : 0.0) + (c.bias ? hbias[j] : 0.0);
        const double ref = act_ref(pre, c.act);
        const double bound = 1.2 * (tol * std::fabs(c.alpha) * mag + std::ldexp(1.0, -21) * std::fabs(pre)) +
                             1e-6 * (1 + std::fabs(pre));
        double e = std::fabs(hc[at] - ref);
        if (p.pre) {  // the value before the activation, within the same bound
          const int64_t pat = c.offset + b * stride_pre + i * ldp + j;
          inside_pre[pat] = 1;
          e = std::max(e, std::fabs(hp[pat] - pre));
          if (hp[pat] != hp[pat]) e = NAN;
        }
        ++count;
        if (!(e <= bound)) {
          if (bad++ == 0) {
            char buf[200];
            std::snprintf(buf, sizeof buf, "[%" PRId64 ",%" PRId64 ",%" PRId64 "] got %.7g want %.7g", b, i, j,
                          hc[at], ref);
            first = buf;
          }
        } else {
          worst = std::max(worst, e / bound);
        }
      }
  for (size_t e = 0; e < hc.size(); ++e)
    if (!inside[e] && std::memcmp(&hc[e], &hc0[e], 4) != 0 && bad++ == 0) first = "wrote outside the output";
  for (size_t e = 0; e < hp.size(); ++e)
    if (!inside_pre[e] && std::memcmp(&hp[e], &hp0[e], 4) != 0 && bad++ == 0) first = "wrote outside pre";
  ++g_checks;
  if (bad) ++g_failures;
  std::printf("  %-4s %-10s %-48s split=%d a_vec=%d b_vec=%d c_vec4=%d pre_vec4=%d worst/bound=%.2f %s\n",
              bad ? "FAIL" : "ok", v.name, c.name.c_str(), splits, p.a_vec, p.b_vec, p.c_vec4, p.pre_vec4, worst,
              first.c_str());
}

}  // namespace

// Optional filters: argv[1] selects variants whose name contains it, argv[2] cases likewise.
int main(int argc, char** argv) {
  const std::string vf = argc > 1 ? argv[1] : "", cf = argc > 2 ? argv[2] : "";
  using L = Tf32Tile<128, 128, 64, 64, 3, 2>;
  using M = Tf32Tile<128, 64, 64, 32, 3, 2>;
  using S = Tf32Tile<64, 64, 32, 32, 3, 4>;
  const Variant variants[] = {tf32_variant<L>("tf32 128²"), tf32_variant<M>("tf32 128x64"),
                              tf32_variant<S>("tf32 64²"), simt_variant<SimtTile<128, 128, 8, 8, 1>>("simt 128²"),
                              simt_variant<SimtTile<64, 64, 4, 4, 2>>("simt 64²")};
  std::vector<Case> cases;
  for (int t = 0; t < 4; ++t) {
    const bool ta = t & 1, tb = t & 2;
    const std::string tr = std::string(ta ? "T" : "N") + (tb ? "T" : "N");
    Case c{"17x33x9 " + tr, 17, 33, 9};
    c.ta = ta;
    c.tb = tb;
    cases.push_back(c);
    Case d{"130x70x100 pad 4 bias gelu pre ld+1 " + tr, 130, 70, 100};
    d.ta = ta;
    d.tb = tb;
    d.pad = 4;
    d.bias = true;
    d.act = Activation::kGeluErf;
    d.pre_pad = 1;  // scalar pre-activation stores
    cases.push_back(d);
    Case f{"132x72x100 16-byte paths bias sigmoid pre " + tr, 132, 72, 100};  // every ld % 4 == 0
    f.ta = ta;
    f.tb = tb;
    f.bias = true;
    f.act = Activation::kSigmoid;
    f.pre_pad = 0;  // 16-byte pre-activation stores
    cases.push_back(f);
    Case e{"67x131x45 misaligned beta " + tr, 67, 131, 45};
    e.ta = ta;
    e.tb = tb;
    e.offset = 1;
    e.pad = 1;
    e.beta = 0.5f;
    e.alpha = -1.5f;
    cases.push_back(e);
  }
  {
    Case c{"k=0 beta bias relu pre batch 2", 9, 10, 0, 2};
    c.beta = 2.f;
    c.bias = true;
    c.act = Activation::kRelu;
    c.pre_pad = 2;
    cases.push_back(c);
  }
  {
    Case c{"k=30 ld=32 broadcast A pre batch 3", 40, 36, 30, 3};
    c.pad = 2;
    c.bcast_a = true;
    c.pre_pad = 0;  // pre's batch stride (m * n) differs from C's (m * (n + 2))
    cases.push_back(c);
  }
  for (const Variant& v : variants)
    for (const Case& c : cases)
      if (std::string(v.name).find(vf) != std::string::npos && c.name.find(cf) != std::string::npos)
        for (int splits : {1, 3}) run(v, c, splits);
  std::printf("\n%d checks, %d failed\n", g_checks, g_failures);
  return g_failures ? 1 : 0;
}
