// The iBOT distillation loss (IBOT_SPEC §4.2, §4.3; contract: packages/ops/src/kernel_names.ts, IbotDistill(+Grad)).
// Implemented in cpu/distill*.cc and cuda/distill.cu; the binding (binding/distill.cc) has checked dtypes, devices and
// shapes. Per row r of [R, K], with t' = (t - center) / teacherTemp and s' = s / studentTemp:
//   p = softmax(t'),  loss[r] = logsumexp(s') - Σ_k p_k s'_k,  dStudent[r] = dLoss[r] (softmax(s') - p) / studentTemp
// on the rows where rowMask is set (all rows when it is absent), 0 elsewhere; teacherColSum[k] = Σ_r t[r, k] over ALL
// rows. K = 0 gives loss 0 (a sum over no classes).
//
// One pass over K per row: the row statistics are kept online (Milakov & Gimelshein) as
//   m_t = max t', Z_t = Σ e^{t'-m_t}, A = Σ e^{t'-m_t} (m_s - s'), m_s = max s', Z_s = Σ e^{s'-m_s}
// and loss = A / Z_t + log Z_s. Writing the cross term against m_s (every term >= 0) instead of as Σ p s' avoids the
// cancellation of two large numbers in logsumexp(s') - Σ p s'; when m_s grows by δ, A grows by δ Z_t.
// teacherColSum is summed over fixed groups of rows and then the groups in order, so it does not depend on the thread
// count (or block schedule).
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ibot {

struct DistillArgs {
  Tensor student;  // [R, K] float32 (any leading shape, flattened to R rows)
  Tensor teacher;  // [R, K] float32
  Tensor center;   // K float32
  Tensor row_mask; // [R] bool, or absent (storage == nullptr): every row
  float student_temp, teacher_temp;
  int64_t rows, cols;
};

namespace cpu {
// loss [R], col_sum [K].
void ibot_distill(const DistillArgs& a, const Tensor& loss, const Tensor& col_sum);
// d_loss [R] float32 -> d_student [R, K].
void ibot_distill_grad(const DistillArgs& a, const Tensor& d_loss, const Tensor& d_student);
}  // namespace cpu

namespace cuda {
void ibot_distill(const DistillArgs& a, const Tensor& loss, const Tensor& col_sum);
void ibot_distill_grad(const DistillArgs& a, const Tensor& d_loss, const Tensor& d_student);
}  // namespace cuda

}  // namespace ibot
