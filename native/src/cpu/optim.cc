// CPU AdamW / Ema / ClipPerParam: one parallel_for over the concatenation of all parameters (a prefix-sum table of
// tensor sizes maps each chunk back to (tensor, offset)), so a list of many small tensors still splits evenly over the
// threads. The updates are memory-bound; baseline SSE2 vectors suffice.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/optim.h"

namespace ibot::cpu {
namespace {

constexpr int64_t kGrain = 32768;       // elements per task of the update passes
constexpr int64_t kNormBlock = 16384;   // elements per partial sum of squares (a fixed partition of each tensor)

// Calls fn(i, begin, end) for the part [begin, end) of tensor i that each chunk of the concatenated range covers.
template <typename F>
void for_each_segment(const std::vector<Tensor>& tensors, int64_t grain, F&& fn) {
  std::vector<int64_t> start(tensors.size() + 1, 0);
  for (size_t i = 0; i < tensors.size(); ++i) start[i + 1] = start[i] + tensors[i].numel();
  parallel_for(start.back(), grain, [&](int64_t b, int64_t e) {
    // The last tensor starting at or before b holds b (empty tensors share their start with the next one).
    size_t i = static_cast<size_t>(std::upper_bound(start.begin(), start.end(), b) - start.begin()) - 1;
    for (; b < e; ++i) {
      const int64_t end = std::min(e, start[i + 1]);
      if (end > b) fn(i, b - start[i], end - start[i]);
      b = std::max(b, end);
    }
  });
}

typedef float V4 __attribute__((vector_size(16)));

inline V4 load4(const float* p) {
  V4 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

// Σ x² over n floats: float vectors over blocks of 64, each block's sum added in double.
double sum_squares(const float* x, int64_t n) {
  double total = 0;
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    V4 a0{}, a1{}, a2{}, a3{};
    for (int j = 0; j < 64; j += 16) {
      const V4 x0 = load4(x + i + j), x1 = load4(x + i + j + 4), x2 = load4(x + i + j + 8), x3 = load4(x + i + j + 12);
      a0 += x0 * x0;
      a1 += x1 * x1;
      a2 += x2 * x2;
      a3 += x3 * x3;
    }
    const V4 s = (a0 + a1) + (a2 + a3);
    total += (static_cast<double>(s[0]) + s[1]) + (static_cast<double>(s[2]) + s[3]);
  }
  for (; i < n; ++i) total += static_cast<double>(x[i]) * x[i];
  return total;
}

}  // namespace

void adamw(const AdamWArgs& a) {
  const float b1 = a.beta1, ob1 = a.one_minus_beta1, b2 = a.beta2, ob2 = a.one_minus_beta2, eps = a.eps;
  for_each_segment(a.p, kGrain, [&](size_t i, int64_t begin, int64_t end) {
    const AdamWScalars sc = a.scalars[i];
    const float* __restrict p = a.p[i].data<float>();
    const float* __restrict g = a.g[i].data<float>();
    const float* __restrict m = a.m[i].data<float>();
    const float* __restrict v = a.v[i].data<float>();
    float* __restrict po = a.p_out[i].data<float>();
    float* __restrict mo = a.m_out[i].data<float>();
    float* __restrict vo = a.v_out[i].data<float>();
    for (int64_t j = begin; j < end; ++j) {
      const float gj = g[j];
      const float p1 = p[j] * sc.decay;
      const float m1 = m[j] * b1 + ob1 * gj;
      const float v1 = v[j] * b2 + ob2 * gj * gj;
      const float denom = std::sqrt(v1) / sc.bc2_sqrt + eps;
      po[j] = p1 - sc.step_size * (m1 / denom);
      mo[j] = m1;
      vo[j] = v1;
    }
  });
}

void ema(const EmaArgs& a) {
  const float mom = a.momentum, omm = a.one_minus_momentum;
  for_each_segment(a.teacher, kGrain, [&](size_t i, int64_t begin, int64_t end) {
    const float* __restrict t = a.teacher[i].data<float>();
    const float* __restrict s = a.student[i].data<float>();
    float* __restrict o = a.out[i].data<float>();
    for (int64_t j = begin; j < end; ++j) o[j] = t[j] * mom + omm * s[j];
  });
}

void clip_per_param(const ClipArgs& a) {
  const size_t n = a.g.size();
  // Blocks of kNormBlock elements per tensor, numbered tensor by tensor: block_start[i] is tensor i's first block.
  std::vector<int64_t> block_start(n + 1, 0);
  for (size_t i = 0; i < n; ++i) block_start[i + 1] = block_start[i] + (a.g[i].numel() + kNormBlock - 1) / kNormBlock;
  std::vector<double> partial(static_cast<size_t>(block_start[n]));
  std::vector<int32_t> owner(partial.size());
  for (size_t i = 0; i < n; ++i)
    std::fill(owner.begin() + block_start[i], owner.begin() + block_start[i + 1], static_cast<int32_t>(i));
  parallel_for(block_start[n], 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const size_t i = static_cast<size_t>(owner[b]);
      const int64_t off = (b - block_start[i]) * kNormBlock;
      partial[b] = sum_squares(a.g[i].data<float>() + off, std::min(kNormBlock, a.g[i].numel() - off));
    }
  });
  std::vector<float> scale(n);
  float* norms = a.norms.data<float>();
  for (size_t i = 0; i < n; ++i) {
    double sq = 0;
    for (int64_t b = block_start[i]; b < block_start[i + 1]; ++b) sq += partial[b];
    const double norm = std::sqrt(sq);
    norms[i] = static_cast<float>(norm);
    scale[i] = static_cast<float>(clip_coefficient(norm, a.max_norm));
  }
  for_each_segment(a.g, kGrain, [&](size_t i, int64_t begin, int64_t end) {
    const float* __restrict g = a.g[i].data<float>();
    float* __restrict o = a.out[i].data<float>();
    const float c = scale[i];
    if (c == 1.0f) std::copy(g + begin, g + end, o + begin);  // not clipped: the gradient unchanged, bit for bit
    else for (int64_t j = begin; j < end; ++j) o[j] = g[j] * c;
  });
}

}  // namespace ibot::cpu
