// Float32 inner loops of the reductions and of Softmax, compiled once per x86-64 ISA from reduce_impl.inc and
// softmax_impl.inc (the *_generic.cc, *_avx2.cc and *_avx512.cc files); the kernels pick one set with cpu_isa().
#pragma once
#include <cstdint>

namespace ibot::cpu {

struct ReduceF32Loops {
  // One contiguous run of n >= 0 floats. sum: float vector partials over short blocks, added up in double.
  // max/min propagate NaN (any NaN in the run gives NaN) and return -inf/+inf for n == 0.
  double (*sum_run)(const float* x, int64_t n);
  float (*max_run)(const float* x, int64_t n);
  float (*min_run)(const float* x, int64_t n);
  // Column reductions of a [rows, cols] slab with row stride ld into per-column accumulators: acc[c] op= x[r*ld + c].
  void (*sum_cols)(const float* x, int64_t ld, int64_t rows, int64_t cols, double* acc);
  void (*max_cols)(const float* x, int64_t ld, int64_t rows, int64_t cols, float* acc);
  void (*min_cols)(const float* x, int64_t ld, int64_t rows, int64_t cols, float* acc);
};

// softmax of `rows` contiguous rows of `cols` floats each: y = exp(x - max) / sum(exp(x - max)).
using SoftmaxRowsFn = void (*)(const float* x, float* y, int64_t rows, int64_t cols);

namespace generic {
extern const ReduceF32Loops kReduceF32;
void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols);
}  // namespace generic
namespace avx2 {
extern const ReduceF32Loops kReduceF32;
void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols);
}  // namespace avx2
namespace avx512 {
extern const ReduceF32Loops kReduceF32;
void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols);
}  // namespace avx512

// The set for the ISA chosen now (cpu_isa() may change at run time, so callers ask per kernel call).
const ReduceF32Loops& reduce_f32_loops();
SoftmaxRowsFn softmax_rows_fn();

}  // namespace ibot::cpu
