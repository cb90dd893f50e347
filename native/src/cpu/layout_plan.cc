// Copy planning shared by the CPU and CUDA layout kernels (host code only): merging dimensions, bounds checks and
// finding the 2-D transpose inside a plan.
#include <cstdlib>

#include "kernels/layout.h"

namespace ibot {

CopyPlan plan_copy(const Shape& shape, const Shape& src_strides, int64_t src_offset, const Shape& dst_strides,
                   int64_t dst_offset) {
  IBOT_CHECK(src_strides.size() == shape.size() && dst_strides.size() == shape.size(),
             "plan_copy: ", shape.size(), " dimensions but ", src_strides.size(), " and ", dst_strides.size(),
             " strides");
  CopyPlan p;
  p.src_offset = src_offset;
  p.dst_offset = dst_offset;
  for (int64_t d : shape) {
    if (d == 0) {  // empty box: rank 1, shape 0
      p.shape[0] = 0;
      return p;
    }
  }
  std::vector<int64_t> sh, ss, ds;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    // Dimension d continues d-1 in both tensors when stepping d-1 once equals stepping d through its whole extent.
    if (!sh.empty() && ss.back() == src_strides[d] * shape[d] && ds.back() == dst_strides[d] * shape[d]) {
      sh.back() *= shape[d];
      ss.back() = src_strides[d];
      ds.back() = dst_strides[d];
    } else {
      sh.push_back(shape[d]);
      ss.push_back(src_strides[d]);
      ds.push_back(dst_strides[d]);
    }
  }
  if (sh.empty()) {  // a single element
    p.shape[0] = 1;
    p.src_stride[0] = 1;
    p.dst_stride[0] = 1;
    return p;
  }
  IBOT_CHECK(sh.size() <= static_cast<size_t>(kMaxCopyRank), "this copy needs ", sh.size(),
             " dimensions after merging; at most ", kMaxCopyRank, " are supported");
  p.rank = static_cast<int>(sh.size());
  for (int d = 0; d < p.rank; ++d) {
    p.shape[d] = sh[d];
    p.src_stride[d] = ss[d];
    p.dst_stride[d] = ds[d];
  }
  return p;
}

void check_copy_bounds(const CopyPlan& p, int64_t src_numel, int64_t dst_numel, const char* op) {
  if (p.numel() == 0) return;
  // 128-bit sums: strides come from JS and may be absurd; nothing may overflow on the way to the verdict.
  __int128 smin = p.src_offset, smax = p.src_offset, dmin = p.dst_offset, dmax = p.dst_offset;
  for (int d = 0; d < p.rank; ++d) {
    __int128 s = static_cast<__int128>(p.shape[d] - 1) * p.src_stride[d];
    __int128 t = static_cast<__int128>(p.shape[d] - 1) * p.dst_stride[d];
    (s < 0 ? smin : smax) += s;
    (t < 0 ? dmin : dmax) += t;
  }
  if (smin < 0 || smax >= src_numel)
    fail(op, ": the copy reads elements [", static_cast<int64_t>(smin), ", ", static_cast<int64_t>(smax),
         "] of an input with ", src_numel, " elements");
  if (dmin < 0 || dmax >= dst_numel)
    fail(op, ": the copy writes elements [", static_cast<int64_t>(dmin), ", ", static_cast<int64_t>(dmax),
         "] of an output with ", dst_numel, " elements");
}

int inner_transpose_dim(const CopyPlan& p) {
  const int last = p.rank - 1;
  if (p.rank < 2 || p.dst_stride[last] != 1 || p.src_stride[last] == 1) return -1;
  for (int d = last - 1; d >= 0; --d)
    if (p.src_stride[d] == 1) return d;
  return -1;
}

}  // namespace ibot
