// CPU IbotDistill / IbotDistillGrad: rows in parallel, each row by the ISA-specific loops of distill_impl.inc.
// The teacher's column sums are taken in the same sweep: every group of rows (a fixed partition of the rows, whatever
// the thread count) sums its rows into its own float row of a scratch [groups, K], and the groups are then added up
// in order in double, so the result does not depend on threads or scheduling.
#include <algorithm>
#include <cstring>

#include "core/cpu_features.h"
#include "core/host_cache.h"
#include "core/thread_pool.h"
#include "cpu/distill_isa.h"
#include "kernels/distill.h"

namespace ibot::cpu {
namespace {

constexpr int64_t kMaxGroups = 64;    // scratch rows for the column sums (64 x K floats: 2 MiB at K = 8192)
constexpr int64_t kMinGroupRows = 8;

bool selected(const uint8_t* mask, int64_t r) { return mask == nullptr || mask[r] != 0; }

// A host buffer from the reuse cache, returned on scope exit.
class HostScratch {
 public:
  explicit HostScratch(size_t bytes) : ptr_(host_acquire(bytes, &capacity_)) {}
  ~HostScratch() { host_release(ptr_, capacity_); }
  HostScratch(const HostScratch&) = delete;
  HostScratch& operator=(const HostScratch&) = delete;
  float* floats() const { return static_cast<float*>(ptr_); }

 private:
  size_t capacity_ = 0;
  void* ptr_;
};

}  // namespace

const DistillRowLoops& distill_row_loops() {
  switch (cpu_isa()) {
    case CpuIsa::kAvx512: return avx512::kDistillRows;
    case CpuIsa::kAvx2: return avx2::kDistillRows;
    default: return generic::kDistillRows;
  }
}

void ibot_distill(const DistillArgs& a, const Tensor& loss, const Tensor& col_sum) {
  const int64_t rows = a.rows, k = a.cols;
  float* out_loss = loss.data<float>();
  float* out_sum = col_sum.data<float>();
  if (k == 0) {  // a sum over no classes; no column sums to take
    std::fill(out_loss, out_loss + rows, 0.0f);
    return;
  }
  if (rows == 0) {
    std::fill(out_sum, out_sum + k, 0.0f);
    return;
  }
  const DistillRowLoops& loops = distill_row_loops();
  const float* s = a.student.data<float>();
  const float* t = a.teacher.data<float>();
  const float* c = a.center.data<float>();
  const uint8_t* mask = a.row_mask.present() ? a.row_mask.data<uint8_t>() : nullptr;
  const float is = 1.0f / a.student_temp, it = 1.0f / a.teacher_temp;

  const int64_t group_rows = std::max(kMinGroupRows, (rows + kMaxGroups - 1) / kMaxGroups);
  const int64_t groups = (rows + group_rows - 1) / group_rows;
  HostScratch parts(static_cast<size_t>(groups * k) * sizeof(float));  // [groups, K]
  float* part_base = parts.floats();
  parallel_for(groups, 1, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) {
      float* part = part_base + g * k;
      std::memset(part, 0, static_cast<size_t>(k) * sizeof(float));
      for (int64_t r = g * group_rows; r < std::min(rows, (g + 1) * group_rows); ++r) {
        const float* tr = t + r * k;
        if (selected(mask, r)) {
          out_loss[r] = loops.loss_row(s + r * k, tr, c, is, it, k, part);
        } else {
          out_loss[r] = 0.0f;
          loops.add_row(tr, k, part);
        }
      }
    }
  });
  // Column blocks of 256 in parallel; each block adds the groups in order (double accumulators, vectorised by k).
  constexpr int64_t kCols = 256;
  parallel_for((k + kCols - 1) / kCols, std::max<int64_t>(1, 16384 / (groups * kCols)),
               [&](int64_t b0, int64_t b1) {
                 for (int64_t b = b0; b < b1; ++b) {
                   const int64_t j0 = b * kCols, n = std::min(kCols, k - j0);
                   double acc[kCols] = {};
                   for (int64_t g = 0; g < groups; ++g) {
                     const float* part = part_base + g * k + j0;
                     for (int64_t j = 0; j < n; ++j) acc[j] += part[j];
                   }
                   for (int64_t j = 0; j < n; ++j) out_sum[j0 + j] = static_cast<float>(acc[j]);
                 }
               });
}

void ibot_distill_grad(const DistillArgs& a, const Tensor& d_loss, const Tensor& d_student) {
  const int64_t rows = a.rows, k = a.cols;
  if (rows == 0 || k == 0) return;
  const DistillRowLoops& loops = distill_row_loops();
  const float* s = a.student.data<float>();
  const float* t = a.teacher.data<float>();
  const float* c = a.center.data<float>();
  const float* dl = d_loss.data<float>();
  float* ds = d_student.data<float>();
  const uint8_t* mask = a.row_mask.present() ? a.row_mask.data<uint8_t>() : nullptr;
  const float is = 1.0f / a.student_temp, it = 1.0f / a.teacher_temp;
  // ~16K elements per task, as Softmax.
  parallel_for(rows, std::max<int64_t>(1, 16384 / k), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* out = ds + r * k;
      if (selected(mask, r)) loops.grad_row(s + r * k, t + r * k, c, is, it, dl[r], k, out);
      else std::memset(out, 0, static_cast<size_t>(k) * sizeof(float));
    }
  });
}

}  // namespace ibot::cpu
