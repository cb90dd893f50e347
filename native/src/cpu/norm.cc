// CPU norm family: rows in parallel on the thread pool, each row by the ISA-specific loops of norm_impl.inc; the
// LayerNorm weight gradients are summed per fixed chunk of rows and then over the chunks in order, so they are
// deterministic and independent of the thread count. LinearBiasGelu is one GEMM with a pre-activation epilogue.
//
// Roofline (2 Zen 5 cores, ~17-19 GB/s of DRAM bandwidth per core): LayerNorm forward moves 8 bytes per element
// (read x, write y), the backward 12 (read dy and x, write dx): for [64·197, 384] that is 39 MB and 58 MB, about
// 1.1 ms and 1.6 ms on both cores when the tensors come from DRAM; they often still sit in L3/L2 after the producing
// kernel, and then the arithmetic (a few flops per element) is the limit.
#include <algorithm>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "cpu/norm_isa.h"
#include "kernels/matmul.h"
#include "kernels/norm.h"

namespace ibot::cpu {
namespace {

const NormRowLoops& loops() {
  switch (cpu_isa()) {
    case CpuIsa::kAvx512: return avx512::kNormRows;
    case CpuIsa::kAvx2: return avx2::kNormRows;
    default: return generic::kNormRows;
  }
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Rows per task: ~16K elements, so a [64·197, 384] batch makes ~300 tasks for two cores and a short row still gets
// enough of them to be worth a thread.
int64_t row_grain(int64_t d) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(d, 1)); }

// Applies fn(row0, row_count) to [0, rows) in parallel.
template <typename F>
void for_rows(int64_t rows, int64_t d, F fn) {
  parallel_for(rows, row_grain(d), [&](int64_t b, int64_t e) { fn(b, e - b); });
}

}  // namespace

void layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps, const Tensor& y,
                const Tensor& mean, const Tensor& rstd) {
  const int64_t d = x.shape.back(), rows = mean.numel();
  const NormRowLoops& k = loops();
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  float* md = mean.data<float>();
  float* rd = rstd.data<float>();
  for_rows(rows, d, [&](int64_t r0, int64_t n) {
    k.layer_norm(xd + r0 * d, gamma.data<float>(), beta.data<float>(), eps, yd + r0 * d, md + r0, rd + r0, n, d);
  });
}

void layer_norm_grad(const Tensor& dy, const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd,
                     const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta) {
  const int64_t d = x.shape.back(), rows = mean.numel();
  const NormRowLoops& k = loops();
  // At most 64 chunks of whole rows (and at least ~4K elements each): each chunk accumulates its rows' dgamma and
  // dbeta terms in row order into its own [2, D] slot; the slots are then added in chunk order. The chunking depends
  // on the shape only, never on the thread count.
  constexpr int64_t kMaxChunks = 64;
  const int64_t chunk_rows = std::max(ceil_div(rows, kMaxChunks), row_grain(d) / 4 + 1);
  const int64_t chunks = ceil_div(rows, chunk_rows);
  std::vector<float> partial(static_cast<size_t>(chunks * 2 * d), 0.0f);  // [chunks][dgamma | dbeta][D]
  const float* dyd = dy.data<float>();
  const float* xd = x.data<float>();
  float* dxd = dx.data<float>();
  parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t r0 = c * chunk_rows, n = std::min(chunk_rows, rows - r0);
      float* slot = partial.data() + c * 2 * d;
      k.layer_norm_grad(dyd + r0 * d, xd + r0 * d, gamma.data<float>(), mean.data<float>() + r0,
                        rstd.data<float>() + r0, dxd + r0 * d, slot, slot + d, n, d);
    }
  });
  float* dg = dgamma.data<float>();
  float* db = dbeta.data<float>();
  parallel_for(d, 1024, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      float sg = 0.0f, sb = 0.0f;
      for (int64_t c = 0; c < chunks; ++c) {
        sg += partial[c * 2 * d + j];
        sb += partial[c * 2 * d + d + j];
      }
      dg[j] = sg;
      db[j] = sb;
    }
  });
}

void linear_bias_gelu(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y, const Tensor& z) {
  gemm(linear_bias_gelu_gemm(x, w, b, y, z));
}

void gelu_grad(const Tensor& dy, const Tensor& z, const Tensor& dz) {
  const NormRowLoops& k = loops();
  const float* dyd = dy.data<float>();
  const float* zd = z.data<float>();
  float* out = dz.data<float>();
  // erf + exp per element: ~8x an add, so smaller tasks than a plain elementwise op.
  parallel_for(dz.numel(), 4096, [&](int64_t b, int64_t e) { k.gelu_grad(dyd + b, zd + b, out + b, e - b); });
}

void l2_normalize(const Tensor& x, float eps, const Tensor& y, const Tensor& norm) {
  const int64_t d = x.shape.back(), rows = norm.numel();
  const NormRowLoops& k = loops();
  for_rows(rows, d, [&](int64_t r0, int64_t n) {
    k.l2_normalize(x.data<float>() + r0 * d, eps, y.data<float>() + r0 * d, norm.data<float>() + r0, n, d);
  });
}

void l2_normalize_grad(const Tensor& dy, const Tensor& y, const Tensor& norm, float eps, const Tensor& dx) {
  const int64_t d = y.shape.back(), rows = norm.numel();
  const NormRowLoops& k = loops();
  for_rows(rows, d, [&](int64_t r0, int64_t n) {
    k.l2_normalize_grad(dy.data<float>() + r0 * d, y.data<float>() + r0 * d, norm.data<float>() + r0, eps,
                        dx.data<float>() + r0 * d, n, d);
  });
}

void weight_norm(const Tensor& v, const Tensor& g, const Tensor& w, const Tensor& v_norm) {
  const int64_t d = v.shape.back(), rows = v_norm.numel();
  const NormRowLoops& k = loops();
  for_rows(rows, d, [&](int64_t r0, int64_t n) {
    k.weight_norm(v.data<float>() + r0 * d, g.data<float>() + r0, w.data<float>() + r0 * d,
                  v_norm.data<float>() + r0, n, d);
  });
}

void weight_norm_grad(const Tensor& dw, const Tensor& v, const Tensor& g, const Tensor& v_norm, const Tensor& dv,
                      const Tensor& dg) {
  const int64_t d = v.shape.back(), rows = v_norm.numel();
  const NormRowLoops& k = loops();
  for_rows(rows, d, [&](int64_t r0, int64_t n) {
    k.weight_norm_grad(dw.data<float>() + r0 * d, v.data<float>() + r0 * d, g.data<float>() + r0,
                       v_norm.data<float>() + r0, dv.data<float>() + r0 * d, dg.data<float>() + r0, n, d);
  });
}

}  // namespace ibot::cpu
