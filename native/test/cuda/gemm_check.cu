// Standalone GPU check and benchmark of the CUDA GEMM and conv kernels (src/cuda/matmul.cu, src/cuda/conv.cu):
// every kernel path (each tile variant, with and without a K split, TF32 and strict FP32) against a float64 CPU
// reference on fresh random inputs, then CUDA-event timings of the shapes ibotjs cares about.
// Build: bash native/test/cuda/build.sh. Run: native/test/cuda/build/gemm_check [check|bench|all] (default all).
// IBOT_SEED=<n> repeats a run's inputs. Exit status 1 when any check fails.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/shape.h"
#include "core/storage.h"
#include "core/tensor.h"
#include "cuda/common.cuh"
#include "cuda/matmul_testing.cuh"
#include "kernels/conv.h"
#include "kernels/matmul.h"

using namespace ibot;

namespace {

std::mt19937_64 g_rng;
int g_failures = 0, g_checks = 0;

std::vector<float> random_vec(int64_t n) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = u(g_rng);
  return v;
}

// A device buffer from the addon's pool (the same allocator the kernels' scratch uses).
struct DevBuf {
  Storage* s;
  int64_t n;
  explicit DevBuf(int64_t count) : s(storage_alloc(Device::kCuda, DType::kFloat32, count)), n(count) {}
  explicit DevBuf(const std::vector<float>& h) : DevBuf(static_cast<int64_t>(h.size())) { upload(h); }
  ~DevBuf() {
    storage_release(s);
    delete s;
  }
  DevBuf(const DevBuf&) = delete;
  DevBuf& operator=(const DevBuf&) = delete;
  float* ptr() const { return s->as<float>(); }
  void upload(const std::vector<float>& h) const { cuda::copy_host_to_device(ptr(), h.data(), h.size() * 4); }
  std::vector<float> download() const {
    std::vector<float> h(static_cast<size_t>(n));
    cuda::copy_device_to_host(h.data(), ptr(), h.size() * 4);
    return h;
  }
  Tensor tensor(const Shape& shape) const { return Tensor{s, shape}; }
};

double act_ref(double v, Activation a, double alpha) {
  switch (a) {
    case Activation::kRelu: return std::isnan(v) ? v : (v > 0 ? v : 0);
    case Activation::kRelu6: return std::isnan(v) ? v : std::min(std::max(v, 0.0), 6.0);
    case Activation::kElu: return v >= 0 ? v : std::expm1(v);
    case Activation::kLeakyRelu: return v < 0 ? alpha * v : v;
    case Activation::kSigmoid: return 1.0 / (1.0 + std::exp(-v));
    case Activation::kGeluErf: return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    default: return v;
  }
}

// Relative error of one product term: TF32 rounds both operands (2^-11 each, round to nearest), FP32 does not;
// fp32 accumulation of k terms adds at most k · 2^-24 of the sum of magnitudes (we allow twice that).
double term_tolerance(bool tf32, int64_t k) { return (tf32 ? std::ldexp(1.0, -10) : 0.0) + (k + 8) * std::ldexp(1.0, -23); }

struct Compare {
  std::string what;
  int64_t count = 0, bad = 0;
  double worst = 0;  // max |out - ref| / bound
  double err2 = 0, ref2 = 0;
  std::string first_bad;

  // bound: the largest |out - ref| a correct kernel can produce for element `index` (row-major in the output).
  void add(double out, double ref, double bound, int64_t index) {
    ++count;
    const double e = std::fabs(out - ref);
    if (!std::isnan(ref)) {
      err2 += std::isfinite(e) ? e * e : 1e300;
      ref2 += ref * ref;
    }
    const bool ok = std::isnan(ref) ? std::isnan(out) : e <= bound;
    if (!ok) {
      if (bad++ == 0) {
        char buf[256];
        std::snprintf(buf, sizeof buf, "element %" PRId64 ": got %.9g, want %.9g (bound %.3g)", index, out, ref,
                      bound);
        first_bad = buf;
      }
    } else if (bound > 0) {
      worst = std::max(worst, e / bound);
    }
  }
  void exact(float out, float want, int64_t offset) {  // bitwise (NaN == NaN): memory the kernel must not touch
    ++count;
    if (std::memcmp(&out, &want, 4) != 0 && bad++ == 0)
      first_bad = "buffer offset " + std::to_string(offset) + " is outside the output but changed";
  }
  bool report() const {
    ++g_checks;
    const double rel = ref2 > 0 ? std::sqrt(err2 / ref2) : std::sqrt(err2);
    std::printf("  %-4s %-72s n=%-9" PRId64 " rel=%.2e worst/bound=%.2f%s%s\n", bad ? "FAIL" : "ok", what.c_str(),
                count, rel, worst, bad ? "  " : "", bad ? first_bad.c_str() : "");
    if (bad) ++g_failures;
    return bad == 0;
  }
};

const char* act_name(Activation a) {
  static const char* names[] = {"linear", "relu", "relu6", "elu", "leakyrelu", "prelu", "sigmoid", "gelu"};
  return names[static_cast<int>(a)];
}

// ---- gemm ------------------------------------------------------------------------------------------------------

struct GemmCase {
  std::string name;
  int64_t m, n, k, batch;
  bool ta = false, tb = false;
  int pad_a = 0, pad_b = 0, pad_c = 0;  // extra leading-dimension elements
  int offset = 0;                       // element offset of every operand (odd: no 16-byte copies possible)
  bool bcast_a = false;                 // stride_a = 0: one A for the whole batch
  float alpha = 1.f, beta = 0.f;
  bool bias = false;
  Activation act = Activation::kLinear;
  float act_alpha = 0.2f;
  int pre_pad = -1;  // >= 0: also write the pre-activation matrix (GemmArgs::pre_activation), ld = n + pre_pad
};

GemmCase gc(const std::string& name, int64_t m, int64_t n, int64_t k, int64_t batch = 1, bool ta = false, bool tb = false) {
  GemmCase c;
  c.name = name;
  c.m = m;
  c.n = n;
  c.k = k;
  c.batch = batch;
  c.ta = ta;
  c.tb = tb;
  return c;
}

void check_gemm(const GemmCase& c) {
  const int64_t a_rows = c.ta ? c.k : c.m, a_cols = c.ta ? c.m : c.k;
  const int64_t b_rows = c.tb ? c.n : c.k, b_cols = c.tb ? c.k : c.n;
  const int64_t lda = a_cols + c.pad_a, ldb = b_cols + c.pad_b, ldc = c.n + c.pad_c;
  const int64_t stride_a = c.bcast_a ? 0 : a_rows * lda, stride_b = b_rows * ldb, stride_c = c.m * ldc;
  const int64_t na = c.offset + (c.bcast_a ? 1 : c.batch) * a_rows * lda + 1;
  const int64_t nb = c.offset + c.batch * stride_b + 1, nc = c.offset + c.batch * stride_c + 1;
  std::vector<float> ha = random_vec(na), hb = random_vec(nb), hbias = random_vec(std::max<int64_t>(c.n, 1));
  std::vector<float> hc0 = random_vec(nc);
  if (c.beta == 0.f) std::fill(hc0.begin(), hc0.end(), std::nanf(""));  // poison: beta = 0 must not read C

  // float64 reference, computed once for every configuration below.
  const int64_t outs = c.batch * c.m * c.n;
  std::vector<double> ref(outs), pre_mag(outs), pre(outs);
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        double s = 0, mag = 0;
        for (int64_t p = 0; p < c.k; ++p) {
          const double x = ha[c.offset + b * stride_a + (c.ta ? p * lda + i : i * lda + p)];
          const double y = hb[c.offset + b * stride_b + (c.tb ? j * ldb + p : p * ldb + j)];
          s += x * y;
          mag += std::fabs(x * y);
        }
        const int64_t o = (b * c.m + i) * c.n + j;
        double v = c.alpha * s;
        if (c.beta != 0.f) v += c.beta * static_cast<double>(hc0[c.offset + b * stride_c + i * ldc + j]);
        if (c.bias) v += hbias[j];
        pre[o] = v;
        pre_mag[o] = std::fabs(c.alpha) * mag;
        ref[o] = act_ref(v, c.act, c.act_alpha);
      }

  const int64_t ldp = c.n + std::max(c.pre_pad, 0), stride_pre = c.m * ldp;
  const int64_t np = c.pre_pad >= 0 ? c.offset + c.batch * stride_pre + 1 : 1;
  const std::vector<float> hp0(np, std::nanf(""));
  DevBuf da(ha), db(hb), dbias(hbias), dc(nc), dp(np);
  GemmArgs g;
  g.m = c.m;
  g.n = c.n;
  g.k = c.k;
  g.batch = c.batch;
  g.a = da.ptr() + c.offset;
  g.lda = lda;
  g.stride_a = stride_a;
  g.trans_a = c.ta;
  g.b = db.ptr() + c.offset;
  g.ldb = ldb;
  g.stride_b = stride_b;
  g.trans_b = c.tb;
  g.c = dc.ptr() + c.offset;
  g.ldc = ldc;
  g.stride_c = stride_c;
  g.alpha = c.alpha;
  g.beta = c.beta;
  g.bias_n = c.bias ? dbias.ptr() : nullptr;
  g.activation = c.act;
  g.activation_alpha = c.act_alpha;
  if (c.pre_pad >= 0) {
    g.pre_activation = dp.ptr() + c.offset;
    g.ld_pre = ldp;
    g.stride_pre = stride_pre;
  }

  for (int mode = 0; mode < 2; ++mode) {
    const bool tf32 = mode == 0;
    cuda::set_allow_tf32(tf32);
    const int variants = tf32 ? 3 : 2;
    for (int v = -1; v < variants; ++v) {
      for (int splits : {0, 3}) {
        cuda::testing::force_gemm(v, splits);
        dc.upload(hc0);
        if (c.pre_pad >= 0) dp.upload(hp0);
        std::string where = c.name;
        try {
          cuda::gemm(g);
          std::vector<float> out = dc.download();
          int ran_v = -1, ran_s = 0;
          bool ran_tf32 = false;
          cuda::testing::last_gemm(&ran_v, &ran_s, &ran_tf32);
          char label[200];
          std::snprintf(label, sizeof label, "%s %s var=%d%s split=%d%s", c.name.c_str(), ran_tf32 ? "tf32" : "fp32",
                        ran_v, v < 0 ? "(auto)" : "", ran_s, splits == 0 ? "(auto)" : "");
          Compare cmp;
          cmp.what = label;
          const double tol = term_tolerance(ran_tf32, c.k + ran_s);
          std::vector<char> inside(nc, 0);
          for (int64_t b = 0; b < c.batch; ++b)
            for (int64_t i = 0; i < c.m; ++i)
              for (int64_t j = 0; j < c.n; ++j) {
                const int64_t at = c.offset + b * stride_c + i * ldc + j, o = (b * c.m + i) * c.n + j;
                inside[at] = 1;
                const double bound = 1.2 * (tol * pre_mag[o] + std::ldexp(1.0, -21) * std::fabs(pre[o])) +
                                     1e-6 * (1.0 + std::fabs(pre[o]));
                cmp.add(out[at], ref[o], bound, o);
              }
          for (int64_t e = 0; e < nc; ++e)
            if (!inside[e]) cmp.exact(out[e], hc0[e], e);
          if (c.pre_pad >= 0) {  // the value before the activation, within the same bound
            const std::vector<float> got_pre = dp.download();
            std::vector<char> in_pre(np, 0);
            for (int64_t b = 0; b < c.batch; ++b)
              for (int64_t i = 0; i < c.m; ++i)
                for (int64_t j = 0; j < c.n; ++j) {
                  const int64_t at = c.offset + b * stride_pre + i * ldp + j, o = (b * c.m + i) * c.n + j;
                  in_pre[at] = 1;
                  const double bound = 1.2 * (tol * pre_mag[o] + std::ldexp(1.0, -21) * std::fabs(pre[o])) +
                                       1e-6 * (1.0 + std::fabs(pre[o]));
                  cmp.add(got_pre[at], pre[o], bound, o);
                }
            for (int64_t e = 0; e < np; ++e)
              if (!in_pre[e]) cmp.exact(got_pre[e], hp0[e], e);
          }
          cmp.report();
        } catch (const std::exception& e) {
          ++g_checks;
          ++g_failures;
          std::printf("  FAIL %s var=%d split=%d: threw %s\n", where.c_str(), v, splits, e.what());
        }
        if (c.m * c.n * c.batch == 0) break;  // nothing to vary
      }
      if (c.m * c.n * c.batch == 0) break;
    }
  }
  cuda::testing::force_gemm(-1, 0);
}

void gemm_checks() {
  std::printf("gemm: every variant (var) with automatic and 3-way K splits, TF32 and FP32\n");
  std::vector<GemmCase> cases;
  cases.push_back(gc("1x1x1", 1, 1, 1));
  cases.push_back(gc("m=0", 0, 5, 3));
  cases.push_back(gc("n=0", 7, 0, 3));
  {
    GemmCase c = gc("k=0 beta=0.5 bias relu pre", 5, 6, 0, 2);
    c.beta = 0.5f;
    c.bias = true;
    c.act = Activation::kRelu;
    c.pre_pad = 0;
    cases.push_back(c);
  }
  for (int t = 0; t < 4; ++t) {
    const bool ta = t & 1, tb = t & 2;
    const std::string tr = std::string(ta ? "T" : "N") + (tb ? "T" : "N");
    cases.push_back(gc("17x33x9 " + tr, 17, 33, 9, 1, ta, tb));
    GemmCase c = gc("127x129x65 padded ld " + tr, 127, 129, 65, 1, ta, tb);
    c.pad_a = 3;
    c.pad_b = 1;
    c.pad_c = 2;
    cases.push_back(c);
  }
  cases.push_back(gc("128x128x32 exact tiles", 128, 128, 32));
  cases.push_back(gc("256x192x100", 256, 192, 100));
  cases.push_back(gc("attention QK^T 197x197x64 x6 NT", 197, 197, 64, 6, false, true));
  cases.push_back(gc("attention PV 197x64x197 x6", 197, 64, 197, 6));
  cases.push_back(gc("weight grad 96x80x3001 TN", 96, 80, 3001, 1, true, false));
  {
    GemmCase c = gc("64x64x5000 alpha beta bias gelu pre ld+1", 64, 64, 5000);
    c.alpha = 0.5f;
    c.beta = 2.f;
    c.bias = true;
    c.act = Activation::kGeluErf;
    c.pre_pad = 1;
    cases.push_back(c);
  }
  {
    GemmCase c = gc("k=30 lda=32 (zero-filled 16B chunk)", 70, 66, 30);
    c.pad_a = 2;
    c.pad_c = 2;
    cases.push_back(c);
  }
  {
    GemmCase c = gc("misaligned operands 65x70x33 TT", 65, 70, 33, 3, true, true);
    c.offset = 1;
    cases.push_back(c);
    c.name = "LinearBiasGelu-like 197x1536x384 bias gelu pre";
    c.m = 197;
    c.n = 1536;
    c.k = 384;
    c.batch = 1;
    c.ta = c.tb = false;
    c.offset = 0;
    c.bias = true;
    c.act = Activation::kGeluErf;
    c.pre_pad = 0;  // 16-byte pre-activation stores
    cases.push_back(c);
  }
  {
    GemmCase c = gc("misaligned 100x36x77 NN", 100, 36, 77, 2);
    c.offset = 3;
    c.beta = -1.f;
    cases.push_back(c);
  }
  {
    GemmCase c = gc("broadcast A 40x50x60 x5", 40, 50, 60, 5);
    c.bcast_a = true;
    cases.push_back(c);
  }
  cases.push_back(gc("batch 70000 of 2x3x4 (grid.z > 65535)", 2, 3, 4, 70000));
  cases.push_back(gc("2048x2048x64 (large tiles win)", 2048, 2048, 64));
  const Activation acts[] = {Activation::kLinear, Activation::kRelu, Activation::kRelu6, Activation::kElu,
                             Activation::kLeakyRelu, Activation::kSigmoid, Activation::kGeluErf};
  for (Activation a : acts) {
    GemmCase c = gc(std::string("33x47x29 NT bias ") + act_name(a), 33, 47, 29, 2, false, true);
    c.bias = true;
    c.act = a;
    c.act_alpha = 0.3f;
    cases.push_back(c);
  }
  for (const GemmCase& c : cases) check_gemm(c);
}

// ---- batch_matmul ----------------------------------------------------------------------------------------------

struct BmmCase {
  std::string name;
  Shape a, b;
  bool ta = false, tb = false;
  bool has_bias = false;
  Shape bias;
  Activation act = Activation::kLinear;
  Shape prelu;  // used when act == kPrelu
  float leaky = 0.2f;
};

void check_batch_matmul(const BmmCase& c) {
  const int ra = static_cast<int>(c.a.size()), rb = static_cast<int>(c.b.size());
  const int64_t m = c.ta ? c.a[ra - 1] : c.a[ra - 2], k = c.ta ? c.a[ra - 2] : c.a[ra - 1];
  const int64_t n = c.tb ? c.b[rb - 2] : c.b[rb - 1];
  Shape ab(c.a.begin(), c.a.end() - 2), bb(c.b.begin(), c.b.end() - 2), ob;
  broadcast_shapes(ab, bb, &ob);
  Shape os = ob;
  os.push_back(m);
  os.push_back(n);
  std::vector<float> ha = random_vec(numel(c.a)), hb = random_vec(numel(c.b));
  std::vector<float> hbias = random_vec(c.has_bias ? numel(c.bias) : 1);
  const bool prelu = c.act == Activation::kPrelu;
  std::vector<float> hprelu = random_vec(prelu ? numel(c.prelu) : 1);
  const int64_t total = numel(os), batches = numel(ob);

  // Reference through broadcast strides of every operand over the output index.
  Shape a_st = broadcast_strides(ab, ob), b_st = broadcast_strides(bb, ob);
  Shape bias_st = c.has_bias ? broadcast_strides(c.bias, os) : Shape(os.size(), 0);
  Shape prelu_st = prelu ? broadcast_strides(c.prelu, os) : Shape(os.size(), 0);
  Shape ost = strides_of(os), obst = strides_of(ob);
  std::vector<double> ref(total), bound(total);
  const double tol = term_tolerance(cuda::allow_tf32(), k);
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t ao = 0, bo = 0;
    for (size_t d = 0; d < ob.size(); ++d) {
      const int64_t idx = (bi / obst[d]) % ob[d];
      ao += idx * a_st[d];
      bo += idx * b_st[d];
    }
    ao *= c.a[ra - 2] * c.a[ra - 1];
    bo *= c.b[rb - 2] * c.b[rb - 1];
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0, mag = 0;
        for (int64_t p = 0; p < k; ++p) {
          const double x = ha[ao + (c.ta ? p * m + i : i * k + p)], y = hb[bo + (c.tb ? j * k + p : p * n + j)];
          s += x * y;
          mag += std::fabs(x * y);
        }
        const int64_t o = (bi * m + i) * n + j;
        int64_t bias_o = 0, prelu_o = 0;
        for (size_t d = 0; d < os.size(); ++d) {
          const int64_t idx = (o / ost[d]) % os[d];
          bias_o += idx * bias_st[d];
          prelu_o += idx * prelu_st[d];
        }
        double v = s + (c.has_bias ? hbias[bias_o] : 0.0);
        ref[o] = prelu ? (v < 0 ? hprelu[prelu_o] * v : v) : act_ref(v, c.act, c.leaky);
        bound[o] = 1.2 * (tol * mag + std::ldexp(1.0, -21) * std::fabs(v)) + 1e-6 * (1.0 + std::fabs(v));
      }
  }

  DevBuf da(ha), db(hb), dbias(hbias), dprelu(hprelu), dout(total);
  std::vector<float> poison(total, std::nanf(""));
  dout.upload(poison);
  MatMulParams p;
  p.a = da.tensor(c.a);
  p.b = db.tensor(c.b);
  p.transpose_a = c.ta;
  p.transpose_b = c.tb;
  if (c.has_bias) p.bias = dbias.tensor(c.bias);
  p.activation = c.act;
  if (prelu) p.prelu = dprelu.tensor(c.prelu);
  p.leaky_alpha = c.leaky;
  p.out = dout.tensor(os);
  Compare cmp;
  cmp.what = "batch_matmul " + c.name + (cuda::allow_tf32() ? " tf32" : " fp32");
  try {
    cuda::batch_matmul(p);
    std::vector<float> out = dout.download();
    for (int64_t o = 0; o < total; ++o) cmp.add(out[o], ref[o], bound[o], o);
    cmp.report();
  } catch (const std::exception& e) {
    ++g_checks;
    ++g_failures;
    std::printf("  FAIL %s: threw %s\n", cmp.what.c_str(), e.what());
  }
}

void batch_matmul_checks() {
  std::printf("batch_matmul: broadcast batches, fused and separate epilogues\n");
  std::vector<BmmCase> cases;
  auto add = [&](const char* name, Shape a, Shape b, bool ta, bool tb) {
    BmmCase c;
    c.name = name;
    c.a = a;
    c.b = b;
    c.ta = ta;
    c.tb = tb;
    cases.push_back(c);
    return cases.size() - 1;
  };
  add("[2,1,13,21]x[3,21,17]", {2, 1, 13, 21}, {3, 21, 17}, false, false);
  add("[19,24]x[4,24,9] ta=0 tb=0", {19, 24}, {4, 24, 9}, false, false);
  add("[3,1,24,19]x[1,4,9,24] ta tb", {3, 1, 24, 19}, {1, 4, 9, 24}, true, true);
  add("[5,1,2,7,6]x[1,3,1,6,5] irregular", {5, 1, 2, 7, 6}, {1, 3, 1, 6, 5}, false, false);
  size_t i = add("[2,30,40]x[2,40,50] bias[50] relu", {2, 30, 40}, {2, 40, 50}, false, false);
  cases[i].has_bias = true;
  cases[i].bias = {50};
  cases[i].act = Activation::kRelu;
  i = add("[2,30,40]x[40,50] bias[30,50] gelu", {2, 30, 40}, {40, 50}, false, false);
  cases[i].has_bias = true;
  cases[i].bias = {30, 50};
  cases[i].act = Activation::kGeluErf;
  i = add("[30,40]x[50,40]^T bias[1] sigmoid", {30, 40}, {50, 40}, false, true);
  cases[i].has_bias = true;
  cases[i].bias = {1};
  cases[i].act = Activation::kSigmoid;
  i = add("[3,30,40]x[3,40,50] bias[1,1,50] prelu[50]", {3, 30, 40}, {3, 40, 50}, false, false);
  cases[i].has_bias = true;
  cases[i].bias = {1, 1, 50};
  cases[i].act = Activation::kPrelu;
  cases[i].prelu = {50};
  i = add("[3,30,40]x[3,40,50] prelu[3,30,1]", {3, 30, 40}, {3, 40, 50}, false, false);
  cases[i].act = Activation::kPrelu;
  cases[i].prelu = {3, 30, 1};
  i = add("[4,8,16]x[4,16,12] leakyrelu 0.3 bias[12]", {4, 8, 16}, {4, 16, 12}, false, false);
  cases[i].has_bias = true;
  cases[i].bias = {12};
  cases[i].act = Activation::kLeakyRelu;
  cases[i].leaky = 0.3f;
  i = add("[4,8,16]x[4,16,12] elu", {4, 8, 16}, {4, 16, 12}, false, false);
  cases[i].act = Activation::kElu;
  i = add("[4,8,16]x[4,16,12] relu6 bias[12]", {4, 8, 16}, {4, 16, 12}, false, false);
  cases[i].has_bias = true;
  cases[i].bias = {12};
  cases[i].act = Activation::kRelu6;
  add("[2,0,5]x[2,5,3] empty", {2, 0, 5}, {2, 5, 3}, false, false);
  add("[2,4,0]x[2,0,3] k=0", {2, 4, 0}, {2, 0, 3}, false, false);
  for (bool tf32 : {true, false}) {
    cuda::set_allow_tf32(tf32);
    for (const BmmCase& c : cases) check_batch_matmul(c);
  }
}

// ---- conv ------------------------------------------------------------------------------------------------------

struct ConvCase {
  std::string name;
  int64_t b, h, w, cin, cout, fh, fw, sh, sw, dh, dw, pt, pl, pb, pr;
};

void check_conv(const ConvCase& c) {
  Conv2DGeometry g;
  g.batch = c.b;
  g.in_h = c.h;
  g.in_w = c.w;
  g.in_c = c.cin;
  g.out_c = c.cout;
  g.filter_h = c.fh;
  g.filter_w = c.fw;
  g.stride_h = c.sh;
  g.stride_w = c.sw;
  g.dilation_h = c.dh;
  g.dilation_w = c.dw;
  g.pad_top = c.pt;
  g.pad_left = c.pl;
  g.out_h = (c.h + c.pt + c.pb - c.dh * (c.fh - 1) - 1) / c.sh + 1;
  g.out_w = (c.w + c.pl + c.pr - c.dw * (c.fw - 1) - 1) / c.sw + 1;
  const Shape xs{c.b, c.h, c.w, c.cin}, fs{c.fh, c.fw, c.cin, c.cout}, ys{c.b, g.out_h, g.out_w, c.cout};
  std::vector<float> hx = random_vec(numel(xs)), hf = random_vec(numel(fs)), hdy = random_vec(numel(ys));
  std::vector<double> out(numel(ys)), out_mag(numel(ys)), dx(numel(xs)), dx_mag(numel(xs)), df(numel(fs)),
      df_mag(numel(fs));
  for (int64_t b = 0; b < c.b; ++b)
    for (int64_t oh = 0; oh < g.out_h; ++oh)
      for (int64_t ow = 0; ow < g.out_w; ++ow)
        for (int64_t fh = 0; fh < c.fh; ++fh)
          for (int64_t fw = 0; fw < c.fw; ++fw) {
            const int64_t h = oh * c.sh - c.pt + fh * c.dh, w = ow * c.sw - c.pl + fw * c.dw;
            if (h < 0 || h >= c.h || w < 0 || w >= c.w) continue;
            for (int64_t ci = 0; ci < c.cin; ++ci)
              for (int64_t co = 0; co < c.cout; ++co) {
                const int64_t xi = ((b * c.h + h) * c.w + w) * c.cin + ci, fi = ((fh * c.fw + fw) * c.cin + ci) * c.cout + co;
                const int64_t yi = ((b * g.out_h + oh) * g.out_w + ow) * c.cout + co;
                const double x = hx[xi], f = hf[fi], dy = hdy[yi];
                out[yi] += x * f;
                out_mag[yi] += std::fabs(x * f);
                dx[xi] += dy * f;
                dx_mag[xi] += std::fabs(dy * f);
                df[fi] += x * dy;
                df_mag[fi] += std::fabs(x * dy);
              }
          }
  DevBuf dxin(hx), dfil(hf), ddy(hdy), dout(numel(ys)), ddx(numel(xs)), ddf(numel(fs));
  const int64_t rows = c.b * g.out_h * g.out_w;
  for (int64_t limit : {int64_t(0), int64_t(300)}) {
    cuda::testing::set_conv_column_limit(limit);
    for (bool tf32 : {true, false}) {
      cuda::set_allow_tf32(tf32);
      struct Op {
        const char* name;
        const DevBuf* buf;
        const std::vector<double>* ref;
        const std::vector<double>* mag;
        int64_t k;
      } ops[] = {{"forward", &dout, &out, &out_mag, c.fh * c.fw * c.cin},
                 {"backprop_input", &ddx, &dx, &dx_mag, c.cout + c.fh * c.fw},
                 {"backprop_filter", &ddf, &df, &df_mag, rows}};
      for (const Op& op : ops) {
        std::vector<float> poison(op.buf->n, std::nanf(""));
        op.buf->upload(poison);
        Compare cmp;
        cmp.what = "conv " + c.name + " " + op.name + (tf32 ? " tf32" : " fp32") + (limit ? " chunked" : "");
        try {
          if (op.buf == &dout) cuda::conv2d(g, dxin.tensor(xs), dfil.tensor(fs), dout.tensor(ys));
          else if (op.buf == &ddx) cuda::conv2d_backprop_input(g, ddy.tensor(ys), dfil.tensor(fs), ddx.tensor(xs));
          else cuda::conv2d_backprop_filter(g, dxin.tensor(xs), ddy.tensor(ys), ddf.tensor(fs));
          std::vector<float> got = op.buf->download();
          int dummy_v, splits;
          bool ran_tf32;
          cuda::testing::last_gemm(&dummy_v, &splits, &ran_tf32);
          const double tol = term_tolerance(ran_tf32, op.k + 32);
          for (size_t e = 0; e < got.size(); ++e)
            cmp.add(got[e], (*op.ref)[e], tol * (*op.mag)[e] + 1e-6, static_cast<int64_t>(e));
          cmp.report();
        } catch (const std::exception& e) {
          ++g_checks;
          ++g_failures;
          std::printf("  FAIL %s: threw %s\n", cmp.what.c_str(), e.what());
        }
      }
    }
  }
  cuda::testing::set_conv_column_limit(0);
}

void conv_checks() {
  std::printf("conv2d: forward, backprop input, backprop filter; default and tiny column chunks\n");
  const ConvCase cases[] = {
      {"1x1 pointwise", 2, 7, 5, 6, 10, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
      {"3x3 same", 2, 9, 11, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
      {"3x3 stride 2 cin%4==0", 3, 10, 9, 4, 8, 3, 3, 2, 2, 1, 1, 1, 0, 1, 1},
      {"3x2 dilation 2 stride (1,2)", 1, 12, 13, 3, 5, 3, 2, 1, 2, 2, 2, 2, 1, 2, 0},
      {"ViT patch 16x16/16", 2, 64, 48, 3, 24, 16, 16, 16, 16, 1, 1, 0, 0, 0, 0},
      {"patch 4x4/4 with leftover pixels", 2, 18, 17, 4, 16, 4, 4, 4, 4, 1, 1, 0, 0, 0, 0},
      {"1x1 stride 2", 2, 9, 9, 8, 4, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0},
      {"5x5 pad 2 wide channels", 1, 8, 8, 32, 40, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2},
  };
  for (const ConvCase& c : cases) check_conv(c);
}

// ---- benchmarks ------------------------------------------------------------------------------------------------

struct BenchCase {
  const char* name;
  int64_t m, n, k, batch;
  bool ta, tb;
};

void bench(const BenchCase& bc, bool tf32, std::vector<std::string>& table) {
  cuda::set_allow_tf32(tf32);
  const int64_t a_elems = bc.m * bc.k * bc.batch, b_elems = bc.k * bc.n * bc.batch, c_elems = bc.m * bc.n * bc.batch;
  const int64_t set_bytes = (a_elems + b_elems) * 4;
  // Rotate input sets so repeated runs do not find the operands in L2 (50 MB on H100).
  const int sets = static_cast<int>(std::clamp<int64_t>((256LL << 20) / std::max<int64_t>(set_bytes, 1), 1, 8));
  std::vector<std::vector<float>> ha, hb;
  std::vector<DevBuf*> da, db;
  for (int s = 0; s < sets; ++s) {
    ha.push_back(random_vec(a_elems));
    hb.push_back(random_vec(b_elems));
    da.push_back(new DevBuf(ha.back()));
    db.push_back(new DevBuf(hb.back()));
  }
  DevBuf dc(c_elems);
  GemmArgs g;
  g.m = bc.m;
  g.n = bc.n;
  g.k = bc.k;
  g.batch = bc.batch;
  g.trans_a = bc.ta;
  g.trans_b = bc.tb;
  g.lda = bc.ta ? bc.m : bc.k;
  g.ldb = bc.tb ? bc.k : bc.n;
  g.ldc = bc.n;
  g.stride_a = bc.m * bc.k;
  g.stride_b = bc.k * bc.n;
  g.stride_c = bc.m * bc.n;
  g.c = dc.ptr();
  cudaEvent_t start, stop;
  IBOT_CUDA_CHECK(cudaEventCreate(&start));
  IBOT_CUDA_CHECK(cudaEventCreate(&stop));
  const int kWarm = 3, kRuns = 20;
  std::vector<float> times;
  int last_set = 0;
  for (int r = 0; r < kWarm + kRuns; ++r) {
    last_set = r % sets;
    g.a = da[last_set]->ptr();
    g.b = db[last_set]->ptr();
    IBOT_CUDA_CHECK(cudaEventRecord(start, cuda::stream()));
    cuda::gemm(g);
    IBOT_CUDA_CHECK(cudaEventRecord(stop, cuda::stream()));
    IBOT_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    IBOT_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    if (r >= kWarm) times.push_back(ms);
  }
  std::sort(times.begin(), times.end());
  const double med = times[times.size() / 2];
  const double tflops = 2.0 * bc.m * bc.n * bc.k * bc.batch / (med * 1e-3) / 1e12;
  int v, splits;
  bool ran_tf32;
  cuda::testing::last_gemm(&v, &splits, &ran_tf32);

  // Spot-check 256 outputs of the last run against float64.
  std::vector<float> out = dc.download();
  const std::vector<float>& A = ha[last_set];
  const std::vector<float>& B = hb[last_set];
  Compare cmp;
  cmp.what = std::string("bench result ") + bc.name + (ran_tf32 ? " tf32" : " fp32");
  std::uniform_int_distribution<int64_t> pick(0, c_elems - 1);
  const double tol = term_tolerance(ran_tf32, bc.k + splits);
  for (int s = 0; s < 256; ++s) {
    const int64_t o = pick(g_rng), b = o / (bc.m * bc.n), i = (o / bc.n) % bc.m, j = o % bc.n;
    double sum = 0, mag = 0;
    for (int64_t p = 0; p < bc.k; ++p) {
      const double x = A[b * g.stride_a + (bc.ta ? p * bc.m + i : i * bc.k + p)];
      const double y = B[b * g.stride_b + (bc.tb ? j * bc.k + p : p * bc.n + j)];
      sum += x * y;
      mag += std::fabs(x * y);
    }
    cmp.add(out[o], sum, tol * mag + 1e-6, o);
  }
  cmp.report();

  char line[256];
  std::snprintf(line, sizeof line, "%-44s %-4s var=%d split=%-2d %9.3f ms %8.1f TFLOP/s", bc.name,
                ran_tf32 ? "tf32" : "fp32", v, splits, med, tflops);
  table.push_back(line);
  std::printf("  %s\n", line);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  for (DevBuf* p : da) delete p;
  for (DevBuf* p : db) delete p;
}

void benchmarks() {
  std::printf("benchmarks: median of 20 after 3 warm-up runs, CUDA events around each gemm call\n");
  const BenchCase cases[] = {
      {"512^3", 512, 512, 512, 1, false, false},
      {"4096^3", 4096, 4096, 4096, 1, false, false},
      {"qkv [12608,384]x[384,1152]", 12608, 1152, 384, 1, false, false},
      {"attn QK^T 384 x [197,64]x[64,197]", 197, 197, 64, 384, false, true},
      {"attn PV 384 x [197,197]x[197,64]", 197, 64, 197, 384, false, false},
      {"qkv dW [12608,384]^T x [12608,1152]", 384, 1152, 12608, 1, true, false},
      {"qkv dX [12608,1152] x [384,1152]^T", 12608, 384, 1152, 1, false, true},
  };
  std::vector<std::string> table;
  for (bool tf32 : {true, false})
    for (const BenchCase& c : cases) bench(c, tf32, table);
  std::printf("\n%-44s %-4s %-15s %12s %16s\n", "shape", "mode", "variant/split", "median", "rate");
  for (const std::string& l : table) std::printf("%s\n", l.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "all";
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("IBOT_SEED")) seed = std::strtoull(s, nullptr, 10);
  g_rng.seed(seed);
  const cuda::CudaInfo& info = cuda::cuda_info();
  if (!info.available) {
    std::printf("CUDA not available: %s\n", info.reason.c_str());
    return 2;
  }
  cudaDeviceProp prop;
  IBOT_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("gemm_check seed=%" PRIu64 " device=%s cc=%d.%d SMs=%d smem/block optin=%zu driver=%d runtime=%d\n",
              seed, prop.name, prop.major, prop.minor, prop.multiProcessorCount, prop.sharedMemPerBlockOptin,
              info.driver_version, info.runtime_version);
  try {
    if (what == "check" || what == "all") {
      gemm_checks();
      batch_matmul_checks();
      conv_checks();
    }
    if (what == "bench" || what == "all") benchmarks();
    cuda::synchronize();
  } catch (const std::exception& e) {
    std::printf("FATAL: %s\n", e.what());
    return 1;
  }
  std::printf("\n%d checks, %d failed (seed %" PRIu64 ")\n", g_checks, g_failures, seed);
  return g_failures ? 1 : 0;
}
