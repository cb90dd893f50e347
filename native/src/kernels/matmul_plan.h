// Device-independent lowering of a broadcast batch matmul (kernels/matmul.h MatMulParams) to strided-batched GEMMs:
// the batch dimensions of a, b and out are collapsed with the elementwise broadcast planner, so the common cases
// (equal batches, one side broadcast, no batch) become a single GemmArgs, and only irregular broadcasts loop.
#pragma once
#include <vector>

#include "core/broadcast.h"
#include "kernels/matmul.h"

namespace ibot {

struct MatMulPlan {
  GemmArgs base;                // m, n, k, leading dims, transposes, alpha/beta; pointers at batch 0
  std::vector<GemmArgs> calls;  // one strided-batched GEMM per collapsed outer batch row
};

// Requires validated shapes (the binding checks them). The epilogue fields are left for the caller.
inline MatMulPlan plan_matmul(const MatMulParams& p) {
  const Shape& as = p.a.shape;
  const Shape& bs = p.b.shape;
  const Shape& os = p.out.shape;
  const int ra = static_cast<int>(as.size()), rb = static_cast<int>(bs.size()), ro = static_cast<int>(os.size());
  MatMulPlan plan;
  GemmArgs& g = plan.base;
  g.m = os[ro - 2];
  g.n = os[ro - 1];
  g.k = p.transpose_a ? as[ra - 2] : as[ra - 1];
  g.trans_a = p.transpose_a;
  g.trans_b = p.transpose_b;
  g.lda = as[ra - 1];
  g.ldb = bs[rb - 1];
  g.ldc = g.n;
  const int64_t a_mat = as[ra - 2] * as[ra - 1], b_mat = bs[rb - 2] * bs[rb - 1], c_mat = g.m * g.n;
  const float* a = p.a.data<float>();
  const float* b = p.b.data<float>();
  float* c = p.out.data<float>();
  g.a = a;
  g.b = b;
  g.c = c;

  Shape a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2), o_batch(os.begin(), os.end() - 2);
  const Shape* ins[2] = {&a_batch, &b_batch};
  BroadcastPlan bp = plan_broadcast(o_batch, ins, 2);
  for (int64_t row = 0; row < bp.outer; ++row) {
    GemmArgs call = g;
    call.batch = bp.inner;
    call.a = a + bp.row_offset(0, row) * a_mat;
    call.b = b + bp.row_offset(1, row) * b_mat;
    call.c = c + row * bp.inner * c_mat;
    call.stride_a = bp.inner_stride[0] * a_mat;
    call.stride_b = bp.inner_stride[1] * b_mat;
    call.stride_c = c_mat;
    plan.calls.push_back(call);
  }
  return plan;
}

}  // namespace ibot
