// Broadcast iteration plan shared by the elementwise kernels (CPU and CUDA). The output is walked as `outer` rows of
// `inner` contiguous elements; each input advances by 0 or 1 element along a row. Dimensions of size 1 are dropped and
// neighbours with the same broadcast pattern are merged, so a plain [M,N] + [N] becomes 1 row pattern with no index math
// in the inner loop.
#pragma once
#include <cstdint>

#include "core/error.h"
#include "core/shape.h"

namespace ibot {

constexpr int kMaxBroadcastRank = 8;
constexpr int kMaxBroadcastInputs = 3;

struct BroadcastPlan {
  int rank = 0;                                                  // collapsed rank (>= 1)
  int inputs = 0;
  int64_t shape[kMaxBroadcastRank] = {};                         // collapsed output shape
  int64_t strides[kMaxBroadcastInputs][kMaxBroadcastRank] = {};  // element strides per input (0 = broadcast)
  int64_t inner = 1;                                             // shape[rank - 1]
  int64_t outer = 1;                                             // product of the other dims
  int64_t inner_stride[kMaxBroadcastInputs] = {};                // strides[k][rank - 1]: 0 or 1

  // Element offset of row `row` (in [0, outer)) in input k.
  int64_t row_offset(int k, int64_t row) const {
    int64_t off = 0;
    for (int d = rank - 2; d >= 0; --d) {
      int64_t i = row % shape[d];
      row /= shape[d];
      off += i * strides[k][d];
    }
    return off;
  }
};

// `ins` are the input shapes, each broadcastable to `out` (checked by the caller).
inline BroadcastPlan plan_broadcast(const Shape& out, const Shape* const* ins, int n_inputs) {
  IBOT_CHECK(n_inputs <= kMaxBroadcastInputs, "broadcast: too many inputs");
  BroadcastPlan p;
  p.inputs = n_inputs;
  int64_t st[kMaxBroadcastInputs][16];
  int64_t sh[16];
  int r = 0;
  IBOT_CHECK(out.size() <= 16, "broadcast: rank ", out.size(), " is over the supported 16");
  for (int k = 0; k < n_inputs; ++k) {
    Shape s = broadcast_strides(*ins[k], out);
    for (size_t d = 0, rr = 0; d < out.size(); ++d) {
      if (out[d] == 1) continue;
      st[k][rr++] = s[d];
    }
  }
  for (size_t d = 0; d < out.size(); ++d)
    if (out[d] != 1) sh[r++] = out[d];
  // Merge dimension d into d-1 when every input walks them as one contiguous (or fully broadcast) run.
  int m = 0;
  for (int d = 0; d < r; ++d) {
    bool merge = m > 0;
    for (int k = 0; k < n_inputs && merge; ++k) merge = st[k][m - 1] == st[k][d] * sh[d];
    if (merge) {
      sh[m - 1] *= sh[d];
      for (int k = 0; k < n_inputs; ++k) st[k][m - 1] = st[k][d];
    } else {
      sh[m] = sh[d];
      for (int k = 0; k < n_inputs; ++k) st[k][m] = st[k][d];
      ++m;
    }
  }
  if (m == 0) {  // every dimension is 1: a single element
    sh[0] = 1;
    for (int k = 0; k < n_inputs; ++k) st[k][0] = 0;
    m = 1;
  }
  IBOT_CHECK(m <= kMaxBroadcastRank, "broadcast: this pattern needs ", m, " dimensions after merging; at most ",
             kMaxBroadcastRank, " are supported");
  p.rank = m;
  for (int d = 0; d < m; ++d) {
    p.shape[d] = sh[d];
    for (int k = 0; k < n_inputs; ++k) p.strides[k][d] = st[k][d];
  }
  p.inner = sh[m - 1];
  p.outer = 1;
  for (int d = 0; d < m - 1; ++d) p.outer *= sh[d];
  for (int k = 0; k < n_inputs; ++k) p.inner_stride[k] = st[k][m - 1];
  return p;
}

}  // namespace ibot
