// CPU index-driven kernels: GatherV2, GatherNd, ScatterNd, UnsortedSegmentSum, OneHot, and the index checks the binding
// runs first (tfjs cpu throws on out-of-range gather/scatter indices, so we do too).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/layout.h"

namespace ibot::cpu {
namespace {

constexpr int64_t kTaskBytes = 32 * 1024;

int64_t grain_for(int64_t bytes_per_item) { return std::max<int64_t>(1, kTaskBytes / std::max<int64_t>(1, bytes_per_item)); }

// Flat slice number of index tuple i (int64 sums of int32 coordinates; the binding has range-checked them).
inline int64_t nd_flat(const int32_t* idx, const NdIndexing& nd, int64_t i) {
  int64_t flat = 0;
  for (int64_t j = 0; j < nd.rank; ++j) flat += static_cast<int64_t>(idx[i * nd.rank + j]) * nd.strides[j];
  return flat;
}

template <typename T>
void scatter_add(const int32_t* idx, const T* upd, const NdIndexing& nd, T* out) {
  // Parallel over positions within a slice; each task walks every update in order, so duplicates add up in the same
  // order as tfjs's loop and the result does not depend on the thread count.
  parallel_for(nd.slice, grain_for(nd.count * static_cast<int64_t>(sizeof(T))), [&](int64_t k0, int64_t k1) {
    for (int64_t i = 0; i < nd.count; ++i) {
      T* o = out + nd_flat(idx, nd, i) * nd.slice;
      const T* u = upd + i * nd.slice;
      for (int64_t k = k0; k < k1; ++k) {
        if constexpr (std::is_floating_point_v<T>) o[k] += u[k];
        else o[k] = static_cast<T>(static_cast<uint32_t>(o[k]) + static_cast<uint32_t>(u[k]));  // wraps like tfjs
      }
    }
  });
}

template <typename X>
inline float as_f32(X v) { return static_cast<float>(v); }

// Per task: a column range [c0, c1) of the [segments, C] output (C = mid * cols), accumulated in double (tfjs sums the
// float32 products in JS doubles, so this rounds once, as tfjs does). `tag[c]` records which segment the column's
// non-finite inputs belong to: -1 none yet, s one segment, -2 several or an ignored id (then every other segment gets
// NaN).
template <typename X>
void segment_sum_typed(const X* x, const int32_t* ids, const SegmentDims& sd, float* out) {
  const int64_t C = sd.mid * sd.cols, S = sd.segments;
  // Column blocks small enough that the block's accumulators stay in cache; at least a cache line of columns.
  const int64_t block = std::min<int64_t>(C, std::max<int64_t>(16, (256 * 1024) / (8 * std::max<int64_t>(1, S))));
  const int64_t blocks = (C + block - 1) / block;
  parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
    std::vector<double> acc(static_cast<size_t>(S * block));
    std::vector<int64_t> tag(static_cast<size_t>(block));
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t c0 = blk * block, c1 = std::min(C, c0 + block), w = c1 - c0;
      std::fill(acc.begin(), acc.end(), 0.0);
      std::fill(tag.begin(), tag.end(), -1);
      bool any_bad = false;
      for (int64_t r = 0; r < sd.rows; ++r) {
        const X* xr = x + r * C;
        const int32_t* idr = ids + r * sd.cols;
        auto add = [&](int64_t c, int64_t s) {
          const bool valid = s >= 0 && s < S;
          const float v = as_f32(xr[c]);
          if (valid) acc[s * w + c - c0] += v;
          if constexpr (std::is_floating_point_v<X>) {
            if (!std::isfinite(v)) {
              any_bad = true;
              int64_t& t = tag[c - c0];
              t = (valid && (t == -1 || t == s)) ? s : -2;
            }
          }
        };
        if (sd.cols == 1) {  // rank-1 ids: one segment per row
          const int64_t s = idr[0];
          for (int64_t c = c0; c < c1; ++c) add(c, s);
        } else {
          for (int64_t c = c0; c < c1; ++c) add(c, idr[c % sd.cols]);
        }
      }
      const float nan = std::numeric_limits<float>::quiet_NaN();
      for (int64_t s = 0; s < S; ++s) {
        float* o = out + s * C + c0;
        const double* a = acc.data() + s * w;
        for (int64_t c = 0; c < w; ++c) o[c] = static_cast<float>(a[c]);
        if (any_bad)
          for (int64_t c = 0; c < w; ++c)
            if (tag[c] != -1 && tag[c] != s) o[c] = nan;
      }
    }
  });
}

template <typename T>
void one_hot_typed(const int32_t* idx, int64_t n, int64_t depth, T on, T off, T* out) {
  parallel_for(n, grain_for(depth * static_cast<int64_t>(sizeof(T))), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T* o = out + i * depth;
      std::fill(o, o + depth, off);
      const int64_t v = idx[i];
      if (v >= 0 && v < depth) o[v] = on;
    }
  });
}

}  // namespace

void gather(const Tensor& x, const Tensor& indices, const GatherDims& g, const Tensor& out) {
  if (out.numel() == 0) return;
  const int64_t es = static_cast<int64_t>(dtype_size(x.dtype()));
  const uint8_t* src = x.data<uint8_t>();
  uint8_t* dst = out.data<uint8_t>();
  const int32_t* idx = indices.data<int32_t>();
  const int64_t row = g.slice * es, rows = g.batch * g.outer * g.count;
  parallel_for(rows, grain_for(row), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      // r = ((batch * outer) + o) * count + j
      const int64_t j = r % g.count, bo = r / g.count, bi = bo / g.outer;
      const int64_t v = idx[bi * g.count + j];
      std::memcpy(dst + r * row, src + (bo * g.dim + v) * row, static_cast<size_t>(row));
    }
  });
}

void gather_nd(const Tensor& params, const Tensor& indices, const NdIndexing& nd, const Tensor& out) {
  if (out.numel() == 0) return;
  const int64_t row = nd.slice * static_cast<int64_t>(dtype_size(params.dtype()));
  const uint8_t* src = params.data<uint8_t>();
  uint8_t* dst = out.data<uint8_t>();
  const int32_t* idx = indices.data<int32_t>();
  parallel_for(nd.count, grain_for(row), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      std::memcpy(dst + i * row, src + nd_flat(idx, nd, i) * row, static_cast<size_t>(row));
  });
}

void scatter_nd(const Tensor& indices, const Tensor& updates, const NdIndexing& nd, const Tensor& out) {
  std::memset(out.data<uint8_t>(), 0, out.storage->nbytes);
  if (nd.slice == 0 || nd.count == 0) return;
  const int32_t* idx = indices.data<int32_t>();
  switch (out.dtype()) {
    case DType::kFloat32: return scatter_add(idx, updates.data<float>(), nd, out.data<float>());
    case DType::kInt32: return scatter_add(idx, updates.data<int32_t>(), nd, out.data<int32_t>());
    case DType::kBool: return scatter_add(idx, updates.data<uint8_t>(), nd, out.data<uint8_t>());
  }
}

void unsorted_segment_sum(const Tensor& x, const Tensor& ids, const SegmentDims& s, const Tensor& out) {
  if (out.numel() == 0) return;
  const int32_t* id = ids.data<int32_t>();
  float* o = out.data<float>();
  switch (x.dtype()) {
    case DType::kFloat32: return segment_sum_typed(x.data<float>(), id, s, o);
    case DType::kInt32: return segment_sum_typed(x.data<int32_t>(), id, s, o);
    case DType::kBool: return segment_sum_typed(x.data<uint8_t>(), id, s, o);
  }
}

void one_hot(const Tensor& indices, int64_t depth, double on, double off, const Tensor& out) {
  if (out.numel() == 0) return;
  const int32_t* idx = indices.data<int32_t>();
  const int64_t n = indices.numel();
  switch (out.dtype()) {
    case DType::kFloat32:
      return one_hot_typed(idx, n, depth, static_cast<float>(on), static_cast<float>(off), out.data<float>());
    case DType::kInt32:
      return one_hot_typed(idx, n, depth, static_cast<int32_t>(on), static_cast<int32_t>(off), out.data<int32_t>());
    case DType::kBool:
      return one_hot_typed(idx, n, depth, static_cast<uint8_t>(on), static_cast<uint8_t>(off), out.data<uint8_t>());
  }
}

int64_t first_bad_index(const Tensor& indices, int64_t limit) {
  const int32_t* idx = indices.data<int32_t>();
  for (int64_t i = 0, n = indices.numel(); i < n; ++i)
    if (idx[i] < 0 || idx[i] >= limit) return i;
  return -1;
}

int64_t first_bad_nd_index(const Tensor& indices, const NdIndexing& nd) {
  const int32_t* idx = indices.data<int32_t>();
  for (int64_t i = 0; i < nd.count; ++i) {
    __int128 flat = 0;
    for (int64_t j = 0; j < nd.rank; ++j) flat += static_cast<__int128>(idx[i * nd.rank + j]) * nd.strides[j];
    if (flat < 0 || flat >= nd.limit) return i;
  }
  return -1;
}

}  // namespace ibot::cpu
