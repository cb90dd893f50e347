// Layout kernels: data movement with no arithmetic (transpose, slices, reverse, tile, pad, concat, split, gathers,
// scatter, one-hot, segment sums). Declared here, implemented in cpu/layout_*.cc and cuda/layout_*.cu; the binding
// (binding/layout.cc) has checked devices, dtypes, shapes and index ranges before any of these runs.
//
// Most of the family is one primitive, the strided copy. A CopyPlan walks an index box in row-major order and moves
// src[src_offset + sum_d i_d * src_stride_d] to dst[dst_offset + sum_d i_d * dst_stride_d]. Transpose, Slice,
// StridedSlice, Reverse, Tile and the interior of PadV2 are all plans. Planning drops unit dimensions and merges
// neighbours that stay contiguous in both tensors, so [64,197,6,64] with perm [0,2,3,1] becomes a batch of 64
// [197,384] -> [384,197] 2-D transposes, which the kernels then run tile by tile.
// Every kernel is dtype-agnostic: it moves 1-byte (bool) or 4-byte (float32, int32) elements.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace ibot {

// Tile of a rank-6 tensor splits each dimension into (repetition, original): 12 dimensions before merging.
constexpr int kMaxCopyRank = 12;

struct CopyPlan {
  int rank = 1;                             // >= 1 after planning
  int64_t shape[kMaxCopyRank] = {0};        // index box (merged); shape[0] == 0 means nothing to copy
  int64_t src_stride[kMaxCopyRank] = {0};   // element strides, may be negative (Reverse) or 0 (Tile)
  int64_t dst_stride[kMaxCopyRank] = {0};
  int64_t src_offset = 0;
  int64_t dst_offset = 0;

  int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < rank; ++d) n *= shape[d];
    return n;
  }
};

// Builds the merged plan. The three vectors have one entry per dimension of the index box (any rank; after dropping
// unit dimensions and merging at most kMaxCopyRank may remain).
CopyPlan plan_copy(const Shape& shape, const Shape& src_strides, int64_t src_offset, const Shape& dst_strides,
                   int64_t dst_offset);

// Throws (naming `op`) unless every element the plan reads lies in [0, src_numel) and every one it writes in
// [0, dst_numel). The binding calls it on every plan built from JS attributes.
void check_copy_bounds(const CopyPlan& p, int64_t src_numel, int64_t dst_numel, const char* op);

// The dimension `a` whose source stride is 1 while the innermost dimension has destination stride 1 and a source
// stride other than 1: the plan is then a batch of 2-D transposes over (a, innermost), which the kernels tile.
// Returns -1 when the plan has no such pair (contiguous rows, or a gather-like walk).
int inner_transpose_dim(const CopyPlan& p);

// GatherV2 after tfjs's collectGatherOpShapeInfo: x is [batch, outer, dim, slice], indices [batch, count] (int32),
// out [batch, outer, count, slice].
struct GatherDims {
  int64_t batch, outer, dim, slice, count;
};

// GatherNd and ScatterNd: `count` index tuples of `rank` int32 coordinates each pick slices of `slice` elements; the
// flat slice number is sum_j index_j * strides[j] and must lie in [0, limit).
struct NdIndexing {
  int64_t rank, count, slice, limit;
  std::vector<int64_t> strides;
};

// UnsortedSegmentSum as tfjs cpu computes it: x is [rows, mid, cols], segment ids [rows, cols] (int32), out
// [segments, mid, cols] float32 with out[s,m,c] = sum over r with ids[r,c] == s of x[r,m,c]. (tfjs expands ids of shape
// [rows, ...] to [rows, 1, ..., 1, ...] and masks x with them, so ids of rank k > 1 pair with x's last k - 1 axes; for
// the usual rank-1 ids cols is 1.) Ids outside [0, segments) are ignored. tfjs multiplies x by a 0/1 mask, so a NaN or
// infinity anywhere in column (m,c) makes that column NaN in every segment it does not belong to; the kernels
// reproduce that.
struct SegmentDims {
  int64_t rows, mid, cols, segments;
};

namespace cpu {
void strided_copy(const CopyPlan& p, const Tensor& src, const Tensor& dst);
// ins[k] viewed as [outer, w_k] -> out [outer, sum_k w_k]; split is the inverse.
void concat(const std::vector<Tensor>& ins, int64_t outer, const Tensor& out);
void split(const Tensor& x, int64_t outer, const std::vector<Tensor>& outs);
// MirrorPad: `before[d]` leading pads per dimension; offset 0 = reflect, 1 = symmetric (tfjs's convention).
void mirror_pad(const Tensor& x, const Shape& before, int64_t offset, const Tensor& out);
// Out-of-range indices are reported by the binding's check (CPU) before this runs.
void gather(const Tensor& x, const Tensor& indices, const GatherDims& g, const Tensor& out);
void gather_nd(const Tensor& params, const Tensor& indices, const NdIndexing& nd, const Tensor& out);
// out = 0, then out[slice(i)] += updates[i] for every tuple in order (duplicates add up, as in tfjs).
void scatter_nd(const Tensor& indices, const Tensor& updates, const NdIndexing& nd, const Tensor& out);
void unsorted_segment_sum(const Tensor& x, const Tensor& ids, const SegmentDims& s, const Tensor& out);
// out[i, j] = indices[i] == j ? on : off; out is [n, depth] of any dtype.
void one_hot(const Tensor& indices, int64_t depth, double on, double off, const Tensor& out);
// The first index tuple (GatherV2: the first value) that is out of range, or -1; the binding turns it into tfjs's error.
int64_t first_bad_index(const Tensor& indices, int64_t limit);
int64_t first_bad_nd_index(const Tensor& indices, const NdIndexing& nd);
}  // namespace cpu

namespace cuda {
void strided_copy(const CopyPlan& p, const Tensor& src, const Tensor& dst);
void concat(const std::vector<Tensor>& ins, int64_t outer, const Tensor& out);
void split(const Tensor& x, int64_t outer, const std::vector<Tensor>& outs);
void mirror_pad(const Tensor& x, const Shape& before, int64_t offset, const Tensor& out);
// On the GPU nothing waits to validate indices: out-of-range gathers give 0 and out-of-range scatters are dropped.
void gather(const Tensor& x, const Tensor& indices, const GatherDims& g, const Tensor& out);
void gather_nd(const Tensor& params, const Tensor& indices, const NdIndexing& nd, const Tensor& out);
void scatter_nd(const Tensor& indices, const Tensor& updates, const NdIndexing& nd, const Tensor& out);
void unsorted_segment_sum(const Tensor& x, const Tensor& ids, const SegmentDims& s, const Tensor& out);
void one_hot(const Tensor& indices, int64_t depth, double on, double off, const Tensor& out);
}  // namespace cuda

}  // namespace ibot
