// CPU Softmax along the last axis: rows in parallel, each row by the ISA-specific loops of softmax_impl.inc.
#include <algorithm>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "cpu/reduce_isa.h"
#include "kernels/reduce.h"

namespace ibot::cpu {

SoftmaxRowsFn softmax_rows_fn() {
  switch (cpu_isa()) {
    case CpuIsa::kAvx512: return avx512::softmax_rows;
    case CpuIsa::kAvx2: return avx2::softmax_rows;
    default: return generic::softmax_rows;
  }
}

void softmax(const Tensor& x, const Tensor& out) {
  const int64_t cols = x.shape.back();
  if (x.numel() == 0) return;
  const int64_t rows = x.numel() / cols;
  const SoftmaxRowsFn rows_fn = softmax_rows_fn();
  const float* xd = x.data<float>();
  float* yd = out.data<float>();
  // ~16K elements per task: a [64, 6, 197, 197] batch gives ~900 tasks, plenty to balance two busy cores.
  parallel_for(rows, std::max<int64_t>(1, 16384 / cols),
               [&](int64_t b, int64_t e) { rows_fn(xd + b * cols, yd + b * cols, e - b, cols); });
}

}  // namespace ibot::cpu
