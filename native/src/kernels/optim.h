// Multi-tensor optimizer updates over all parameters in one call (contract: packages/ops/src/kernel_names.ts, AdamW,
// Ema, ClipPerParam; IBOT_SPEC §5.3, §5.5, §5.6). Implemented in cpu/optim.cc and cuda/optim.cu; the binding
// (binding/optim.cc) has checked that the lists match in length, shape, dtype (float32) and device, and has turned the
// per-parameter attributes into the scalars below in double, as PyTorch computes its Python scalars.
//
// The per-element arithmetic is float32 in PyTorch's order (torch.optim.AdamW with foreach/fused off):
//   AdamW:  p1 = p (1 - lr wd);  m' = β1 m + (1-β1) g;  v' = β2 v + (1-β2) g²;
//           p' = p1 - (lr / (1-β1^t)) · m' / (√v' / √(1-β2^t) + eps)
//   Ema:    t' = m t + (1-m) s
//   Clip:   n = ‖g‖₂ (squares summed in double); c = maxNorm / (n + 1e-6) in double; g' = c < 1 ? g c : g
// Outputs are fresh buffers (the caller assigns them to its variables). Norms are summed over fixed blocks and then
// the blocks in order, so they do not depend on the thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace ibot {

// One parameter's AdamW scalars.
struct AdamWScalars {
  float decay;      // 1 - lr wd
  float step_size;  // lr / (1 - β1^t)
  float bc2_sqrt;   // √(1 - β2^t)
};

struct AdamWArgs {
  std::vector<Tensor> p, g, m, v;          // inputs, n each, p[i], g[i], m[i], v[i] of one shape
  std::vector<Tensor> p_out, m_out, v_out;  // outputs, same shapes
  std::vector<AdamWScalars> scalars;        // n
  float beta1, one_minus_beta1, beta2, one_minus_beta2, eps;
};

struct EmaArgs {
  std::vector<Tensor> teacher, student, out;
  float momentum, one_minus_momentum;
};

struct ClipArgs {
  std::vector<Tensor> g, out;
  Tensor norms;  // [n] float32
  double max_norm;
};

namespace cpu {
void adamw(const AdamWArgs& a);
void ema(const EmaArgs& a);
void clip_per_param(const ClipArgs& a);
}  // namespace cpu

namespace cuda {
void adamw(const AdamWArgs& a);
void ema(const EmaArgs& a);
void clip_per_param(const ClipArgs& a);
}  // namespace cuda

#if defined(__CUDACC__)
#define IBOT_HOST_DEVICE __host__ __device__
#else
#define IBOT_HOST_DEVICE
#endif

// The clipping rule, shared by both devices: the factor for a tensor of norm n (1 when it is not clipped).
IBOT_HOST_DEVICE inline double clip_coefficient(double norm, double max_norm) {
  const double c = max_norm / (norm + 1e-6);
  return c < 1.0 ? c : 1.0;  // a NaN norm gives NaN < 1 = false: left alone, as PyTorch does
}

}  // namespace ibot
