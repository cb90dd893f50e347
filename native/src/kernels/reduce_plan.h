// How a reduction over an axis set walks its input, shared by the CPU and CUDA reductions. Size-1 dimensions are
// dropped and neighbours of the same kind (kept or reduced) are merged, so most axis sets become x = [outer, reduce,
// inner] -> out = [outer, inner] (the "simple" form: rows when inner == 1, columns otherwise). What is left over (e.g.
// reducing axes 0 and 2 of [A, B, C]) is described as kept and reduced blocks with their strides. The CUDA kernels
// take the plan itself as an argument (in the general form), so its offset helpers compile for both sides.
#pragma once
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/shape.h"

#ifdef __CUDACC__
#define IBOT_REDUCE_HD __host__ __device__
#else
#define IBOT_REDUCE_HD
#endif

namespace ibot {

// Kept and reduced blocks alternate after merging, so a rank-16 input needs at most 8 of each.
constexpr int kMaxReduceBlocks = 8;

struct ReducePlan {
  int64_t out_numel = 1;     // product of the kept dimensions
  int64_t reduce_numel = 1;  // elements reduced into each output (0 for an empty reduced axis)

  bool simple = true;  // x is [outer, reduce, inner] (row-major), out is [outer, inner]
  int64_t outer = 1, reduce = 1, inner = 1;

  // General form. Kept blocks are in output order (the output is their row-major product); offsets are elements of x.
  int kept_rank = 0, red_rank = 0;
  int64_t kept_shape[kMaxReduceBlocks] = {}, kept_stride[kMaxReduceBlocks] = {};
  int64_t red_shape[kMaxReduceBlocks] = {}, red_stride[kMaxReduceBlocks] = {};

  // Offset in x of the first element reduced into output `o` (general form).
  IBOT_REDUCE_HD int64_t kept_offset(int64_t o) const {
    int64_t off = 0;
    for (int d = kept_rank - 1; d >= 0; --d) {
      int64_t i = o % kept_shape[d];
      o /= kept_shape[d];
      off += i * kept_stride[d];
    }
    return off;
  }
  // Offset from there of the r-th reduced element, r in row-major order of the reduced indices (tfjs's order).
  IBOT_REDUCE_HD int64_t red_offset(int64_t r) const {
    int64_t off = 0;
    for (int d = red_rank - 1; d >= 0; --d) {
      off += (r % red_shape[d]) * red_stride[d];
      r /= red_shape[d];
    }
    return off;
  }
};

// The simple form [outer, R, inner] written as the general one (kept {outer, inner}, reduced {R}), for walkers that
// only know the general form.
inline ReducePlan general_form(ReducePlan p) {
  if (!p.simple) return p;
  p.simple = false;
  p.kept_rank = 2;
  p.kept_shape[0] = p.outer;
  p.kept_stride[0] = p.reduce * p.inner;
  p.kept_shape[1] = p.inner;
  p.kept_stride[1] = 1;
  p.red_rank = 1;
  p.red_shape[0] = p.reduce;
  p.red_stride[0] = p.inner;
  return p;
}

// `axes` must be sorted, unique and in [0, rank) (the binding checks). Only meaningful for the walk when both
// out_numel and reduce_numel are non-zero; callers handle the empty cases first.
inline ReducePlan plan_reduce(const Shape& shape, const std::vector<int>& axes) {
  const int rank = static_cast<int>(shape.size());
  std::vector<bool> reduced(rank, false);
  for (int a : axes) reduced[a] = true;

  ReducePlan p;
  struct Block {
    int64_t size;
    bool reduced;
  };
  std::vector<Block> blocks;
  for (int d = 0; d < rank; ++d) {
    (reduced[d] ? p.reduce_numel : p.out_numel) *= shape[d];
    if (shape[d] == 1) continue;  // walks the same whichever kind it is
    if (!blocks.empty() && blocks.back().reduced == reduced[d]) blocks.back().size *= shape[d];
    else blocks.push_back({shape[d], reduced[d]});
  }
  if (p.out_numel == 0 || p.reduce_numel == 0) return p;

  const int nb = static_cast<int>(blocks.size());
  int first_reduced = -1, reduced_blocks = 0;
  for (int b = 0; b < nb; ++b) {
    if (!blocks[b].reduced) continue;
    if (first_reduced < 0) first_reduced = b;
    ++reduced_blocks;
  }
  if (reduced_blocks == 0) {  // nothing to reduce (axes [] or only size-1 axes): out is a copy of x
    p.inner = p.out_numel;
    return p;
  }
  if (reduced_blocks == 1) {  // [outer?, reduce, inner?]
    p.outer = first_reduced > 0 ? blocks[0].size : 1;
    p.reduce = blocks[first_reduced].size;
    p.inner = first_reduced + 1 < nb ? blocks[first_reduced + 1].size : 1;
    return p;
  }

  p.simple = false;
  int64_t stride = 1;
  std::vector<int64_t> strides(nb);
  for (int b = nb - 1; b >= 0; --b) {
    strides[b] = stride;
    stride *= blocks[b].size;
  }
  for (int b = 0; b < nb; ++b) {
    int& r = blocks[b].reduced ? p.red_rank : p.kept_rank;
    IBOT_CHECK(r < kMaxReduceBlocks, "reduce: shape ", shape_str(shape), " with these axes needs more than ",
               kMaxReduceBlocks, " alternating blocks of kept/reduced dimensions");
    (blocks[b].reduced ? p.red_shape : p.kept_shape)[r] = blocks[b].size;
    (blocks[b].reduced ? p.red_stride : p.kept_stride)[r] = strides[b];
    ++r;
  }
  return p;
}

}  // namespace ibot
