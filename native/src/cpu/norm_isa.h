// Row loops of the norm family (LayerNorm, L2Normalize, WeightNorm and the GELU derivative), compiled once per x86-64
// ISA from norm_impl.inc (norm_generic.cc, norm_avx2.cc, norm_avx512.cc); cpu/norm.cc picks one set with cpu_isa()
// and runs the rows on the thread pool. Every loop works on `rows` contiguous rows of `d` floats.
#pragma once
#include <cstdint>

namespace ibot::cpu {

struct NormRowLoops {
  // y = (x - mean) · rstd · gamma + beta; mean[r], rstd[r] written per row (two passes over a row held in L1).
  void (*layer_norm)(const float* x, const float* gamma, const float* beta, float eps, float* y, float* mean,
                     float* rstd, int64_t rows, int64_t d);
  // dx for each row, and dgamma_acc[j] += Σ_rows dy · xhat, dbeta_acc[j] += Σ_rows dy in row order.
  void (*layer_norm_grad)(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd,
                          float* dx, float* dgamma_acc, float* dbeta_acc, int64_t rows, int64_t d);
  void (*l2_normalize)(const float* x, float eps, float* y, float* norm, int64_t rows, int64_t d);
  void (*l2_normalize_grad)(const float* dy, const float* y, const float* norm, float eps, float* dx, int64_t rows,
                            int64_t d);
  // g and dg hold one value per row.
  void (*weight_norm)(const float* v, const float* g, float* w, float* v_norm, int64_t rows, int64_t d);
  void (*weight_norm_grad)(const float* dw, const float* v, const float* g, const float* v_norm, float* dv, float* dg,
                           int64_t rows, int64_t d);
  // dz = dy · (Φ(z) + z · φ(z)) over n elements.
  void (*gelu_grad)(const float* dy, const float* z, float* dz, int64_t n);
};

namespace generic {
extern const NormRowLoops kNormRows;
}  // namespace generic
namespace avx2 {
extern const NormRowLoops kNormRows;
}  // namespace avx2
namespace avx512 {
extern const NormRowLoops kNormRows;
}  // namespace avx512

}  // namespace ibot::cpu
