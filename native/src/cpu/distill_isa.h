// Row loops of the iBOT distillation loss, compiled once per x86-64 ISA from distill_impl.inc (distill_generic.cc,
// distill_avx2.cc, distill_avx512.cc); cpu/distill.cc picks one set with cpu_isa() and runs rows in parallel.
#pragma once
#include <cstdint>

namespace ibot::cpu {

struct DistillRowLoops {
  // The loss of one row of K logits (kernels/distill.h); also adds the raw teacher row t into col_part [K].
  // is = 1 / studentTemp, it = 1 / teacherTemp.
  float (*loss_row)(const float* s, const float* t, const float* c, float is, float it, int64_t k, float* col_part);
  // col_part [K] += t: the only work of a row the mask leaves out.
  void (*add_row)(const float* t, int64_t k, float* col_part);
  // ds [K] = g (softmax(s') - softmax(t')) / studentTemp for one row, g = dLoss of the row.
  void (*grad_row)(const float* s, const float* t, const float* c, float is, float it, float g, int64_t k, float* ds);
};

namespace generic {
extern const DistillRowLoops kDistillRows;
}  // namespace generic
namespace avx2 {
extern const DistillRowLoops kDistillRows;
}  // namespace avx2
namespace avx512 {
extern const DistillRowLoops kDistillRows;
}  // namespace avx512

// The set for the ISA chosen now (cpu_isa() may change at run time, so callers ask per kernel call).
const DistillRowLoops& distill_row_loops();

}  // namespace ibot::cpu
