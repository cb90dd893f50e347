// CPU Concat / SplitV (and through them Pack / Unpack) and MirrorPad. Concat and split see every tensor as
// [outer, width]: one pass moves each input's row segment with memcpy, parallel over rows, or over chunks of each
// segment when there are too few rows to share out (concatenation along axis 0).
#include <algorithm>
#include <cstring>

#include "core/thread_pool.h"
#include "kernels/layout.h"

namespace ibot::cpu {
namespace {

constexpr int64_t kTaskBytes = 64 * 1024;

// Copies `outer` rows of `parts` segments each; segment(row, part, &src, &dst, &bytes) says where one goes. Rows are
// shared out when there are enough of them, otherwise each segment is split into chunks.
template <typename SegmentFn>
void copy_segments(int64_t outer, int64_t parts, int64_t row_bytes, SegmentFn segment) {
  if (outer * row_bytes == 0) return;
  if (outer >= 4 * num_threads() || outer * row_bytes < kTaskBytes) {
    parallel_for(outer, std::max<int64_t>(1, kTaskBytes / row_bytes), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r)
        for (int64_t k = 0; k < parts; ++k) {
          const uint8_t* s;
          uint8_t* d;
          int64_t n;
          segment(r, k, &s, &d, &n);
          std::memcpy(d, s, static_cast<size_t>(n));
        }
    });
    return;
  }
  for (int64_t r = 0; r < outer; ++r)
    for (int64_t k = 0; k < parts; ++k) {
      const uint8_t* s;
      uint8_t* d;
      int64_t n;
      segment(r, k, &s, &d, &n);
      parallel_for(n, kTaskBytes, [&](int64_t b, int64_t e) { std::memcpy(d + b, s + b, static_cast<size_t>(e - b)); });
    }
}

int64_t reflect(int64_t c, int64_t before, int64_t extent, int64_t offset) {
  // tfjs MirrorPad: coordinates left of the input mirror around `before`, right of it around its last element.
  const int64_t end = before + extent;
  if (c < before) c = before * 2 - c - offset;
  else if (c >= end) c = (end - 1) * 2 - c + offset;
  return c - before;
}

template <typename T>
void mirror_pad_typed(const Tensor& x, const Shape& before, int64_t offset, const Tensor& out) {
  const T* src = x.data<T>();
  T* dst = out.data<T>();
  const int rank = x.rank();
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  const Shape& xs = x.shape;
  const Shape& os = out.shape;
  const Shape xst = strides_of(xs);
  const int64_t len = os[rank - 1];
  // Source column of every destination column: the innermost dimension is the same for every row.
  std::vector<int64_t> col(static_cast<size_t>(len));
  for (int64_t j = 0; j < len; ++j) col[j] = reflect(j, before[rank - 1], xs[rank - 1], offset);
  const int64_t rows = out.numel() / len;
  parallel_for(rows, std::max<int64_t>(1, kTaskBytes / (len * static_cast<int64_t>(sizeof(T)))),
               [&](int64_t b, int64_t e) {
                 for (int64_t r = b; r < e; ++r) {
                   int64_t rem = r, in = 0;
                   for (int d = rank - 2; d >= 0; --d) {
                     const int64_t c = rem % os[d];
                     rem /= os[d];
                     in += reflect(c, before[d], xs[d], offset) * xst[d];
                   }
                   const T* s = src + in;
                   T* o = dst + r * len;
                   for (int64_t j = 0; j < len; ++j) o[j] = s[col[j]];
                 }
               });
}

}  // namespace

void concat(const std::vector<Tensor>& ins, int64_t outer, const Tensor& out) {
  if (outer == 0 || out.numel() == 0) return;
  const int64_t es = static_cast<int64_t>(dtype_size(out.dtype()));
  std::vector<int64_t> width(ins.size()), col(ins.size());
  int64_t total = 0;
  for (size_t k = 0; k < ins.size(); ++k) {
    width[k] = ins[k].numel() / outer * es;
    col[k] = total;
    total += width[k];
  }
  uint8_t* dst = out.data<uint8_t>();
  copy_segments(outer, static_cast<int64_t>(ins.size()), total,
                [&](int64_t r, int64_t k, const uint8_t** s, uint8_t** d, int64_t* n) {
                  *s = ins[k].data<uint8_t>() + r * width[k];
                  *d = dst + r * total + col[k];
                  *n = width[k];
                });
}

void split(const Tensor& x, int64_t outer, const std::vector<Tensor>& outs) {
  if (outer == 0 || x.numel() == 0) return;
  const int64_t es = static_cast<int64_t>(dtype_size(x.dtype()));
  std::vector<int64_t> width(outs.size()), col(outs.size());
  int64_t total = 0;
  for (size_t k = 0; k < outs.size(); ++k) {
    width[k] = outs[k].numel() / outer * es;
    col[k] = total;
    total += width[k];
  }
  const uint8_t* src = x.data<uint8_t>();
  copy_segments(outer, static_cast<int64_t>(outs.size()), total,
                [&](int64_t r, int64_t k, const uint8_t** s, uint8_t** d, int64_t* n) {
                  *s = src + r * total + col[k];
                  *d = outs[k].data<uint8_t>() + r * width[k];
                  *n = width[k];
                });
}

void mirror_pad(const Tensor& x, const Shape& before, int64_t offset, const Tensor& out) {
  if (out.numel() == 0) return;
  if (dtype_size(x.dtype()) == 1) mirror_pad_typed<uint8_t>(x, before, offset, out);
  else mirror_pad_typed<uint32_t>(x, before, offset, out);
}

}  // namespace ibot::cpu
