// The norm family of fused kernels (contract: packages/ops/src/kernel_names.ts): LayerNorm forward/backward,
// LinearBiasGelu (one GEMM whose epilogue writes both z = x w + b and GELU(z)) and GeluGrad, L2Normalize(+Grad) and
// WeightNorm(+Grad). Implemented in cpu/norm*.cc and cuda/norm*.cu; the binding (binding/norm.cc) has already checked
// devices, dtypes (float32 everywhere), shapes and attributes. "rows" are all leading dimensions flattened, D (or C)
// is the last dimension.
#pragma once
#include "core/tensor.h"
#include "kernels/matmul.h"

namespace ibot {

namespace cpu {

// y = (x - mean) · rstd · gamma + beta with rstd = 1 / sqrt(var + eps), biased variance over the last axis.
// x, y [rows, D]; gamma, beta [D]; mean, rstd [rows].
void layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps, const Tensor& y,
                const Tensor& mean, const Tensor& rstd);
// With g = dy · gamma and xhat = (x - mean) · rstd: dx = rstd · (g - mean(g) - xhat · mean(g · xhat)) per row,
// dgamma = Σ_rows dy · xhat, dbeta = Σ_rows dy, summed in a fixed order (the same bits for any thread count).
// dy, x, dx [rows, D]; gamma, dgamma, dbeta [D]; mean, rstd [rows].
void layer_norm_grad(const Tensor& dy, const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd,
                     const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta);
// z = x w + b and y = GELU(z) (exact erf) from one GEMM. x [M, K], w [K, N], b [N]; y, z [M, N].
void linear_bias_gelu(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y, const Tensor& z);
// dz = dy · (Φ(z) + z · φ(z)); dy, z, dz of one shape.
void gelu_grad(const Tensor& dy, const Tensor& z, const Tensor& dz);
// y = x / max(norm, eps) with norm = ‖x‖₂ over the last axis (a NaN norm stays NaN). x, y [rows, D]; norm [rows].
void l2_normalize(const Tensor& x, float eps, const Tensor& y, const Tensor& norm);
// dx = (dy - y · (dy · y)) / norm where norm > eps (or is NaN); dx = dy / eps where the clamp was active.
// dy, y, dx [rows, D]; norm [rows].
void l2_normalize_grad(const Tensor& dy, const Tensor& y, const Tensor& norm, float eps, const Tensor& dx);
// w[k] = g[k] · v[k] / ‖v[k]‖₂. v, w [K, C]; g [K, 1]; v_norm [K].
void weight_norm(const Tensor& v, const Tensor& g, const Tensor& w, const Tensor& v_norm);
// With n = ‖v[k]‖ and s = dw[k] · v[k]: dv[k] = g[k] / n · (dw[k] - v[k] · s / n²), dg[k] = s / n.
// dw, v, dv [K, C]; g, dg [K, 1]; v_norm [K].
void weight_norm_grad(const Tensor& dw, const Tensor& v, const Tensor& g, const Tensor& v_norm, const Tensor& dv,
                      const Tensor& dg);

}  // namespace cpu

namespace cuda {  // the same kernels on the GPU (cuda/norm*.cu)

void layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps, const Tensor& y,
                const Tensor& mean, const Tensor& rstd);
void layer_norm_grad(const Tensor& dy, const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd,
                     const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta);
void linear_bias_gelu(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y, const Tensor& z);
void gelu_grad(const Tensor& dy, const Tensor& z, const Tensor& dz);
void l2_normalize(const Tensor& x, float eps, const Tensor& y, const Tensor& norm);
void l2_normalize_grad(const Tensor& dy, const Tensor& y, const Tensor& norm, float eps, const Tensor& dx);
void weight_norm(const Tensor& v, const Tensor& g, const Tensor& w, const Tensor& v_norm);
void weight_norm_grad(const Tensor& dw, const Tensor& v, const Tensor& g, const Tensor& v_norm, const Tensor& dv,
                      const Tensor& dg);

}  // namespace cuda

// The GEMM of LinearBiasGelu on either device: y = GELU(x w + b), with z = x w + b as its pre-activation output.
inline GemmArgs linear_bias_gelu_gemm(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y,
                                      const Tensor& z) {
  GemmArgs g;
  g.m = x.shape[0];
  g.k = x.shape[1];
  g.n = w.shape[1];
  g.a = x.data<float>();
  g.lda = g.k;
  g.b = w.data<float>();
  g.ldb = g.n;
  g.c = y.data<float>();
  g.ldc = g.n;
  g.bias_n = b.data<float>();
  g.activation = Activation::kGeluErf;
  g.pre_activation = z.data<float>();
  g.ld_pre = g.n;
  return g;
}

}  // namespace ibot
