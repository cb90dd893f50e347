// CPU strided copy (Transpose, Slice, StridedSlice, Reverse, Tile, PadV2's interior). A plan whose innermost
// dimension is contiguous on both sides copies rows with memcpy; a plan with an inner 2-D transpose runs cache-sized
// tiles (8x8 AVX2 register transposes inside, see layout_transpose_avx2.cc); anything else walks rows element by
// element. Work is split over the thread pool in row chunks or tiles.
#include <algorithm>
#include <cstring>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "cpu/layout_transpose.h"
#include "kernels/layout.h"

namespace ibot::cpu {
namespace {

// Bytes of copying per parallel task: large enough to amortise a pool wake-up, small enough to split a 1 MB copy.
constexpr int64_t kTaskBytes = 32 * 1024;
// Longest contiguous run handled as one work item, so a single huge row still spreads over the threads.
constexpr int64_t kRunBytes = 64 * 1024;

// Walks the leading `n` dimensions of a plan in row-major order and keeps the source and destination offsets current.
struct Odometer {
  int n = 0;
  int64_t shape[kMaxCopyRank], ss[kMaxCopyRank], ds[kMaxCopyRank], idx[kMaxCopyRank];
  int64_t so = 0, dof = 0;

  void add_dim(int64_t extent, int64_t src_stride, int64_t dst_stride) {
    shape[n] = extent;
    ss[n] = src_stride;
    ds[n] = dst_stride;
    ++n;
  }
  void seek(int64_t linear, int64_t so0, int64_t do0) {
    so = so0;
    dof = do0;
    for (int d = n - 1; d >= 0; --d) {
      idx[d] = linear % shape[d];
      linear /= shape[d];
      so += idx[d] * ss[d];
      dof += idx[d] * ds[d];
    }
  }
  void next() {
    for (int d = n - 1; d >= 0; --d) {
      so += ss[d];
      dof += ds[d];
      if (++idx[d] < shape[d]) return;
      so -= ss[d] * shape[d];
      dof -= ds[d] * shape[d];
      idx[d] = 0;
    }
  }
};

// One run of n elements: the loops are split by stride so the compiler vectorises the common ones.
template <typename T>
void copy_run(const T* s, int64_t si, T* d, int64_t di, int64_t n) {
  if (si == 1 && di == 1) {
    std::memcpy(d, s, static_cast<size_t>(n) * sizeof(T));
  } else if (di == 1) {
    if (si == 0) std::fill(d, d + n, s[0]);
    else if (si == -1) for (int64_t j = 0; j < n; ++j) d[j] = s[-j];
    else for (int64_t j = 0; j < n; ++j) d[j] = s[j * si];
  } else {
    for (int64_t j = 0; j < n; ++j) d[j * di] = s[j * si];
  }
}

template <typename T>
void copy_rows(const CopyPlan& p, const T* src, T* dst) {
  const int last = p.rank - 1;
  const int64_t len = p.shape[last], si = p.src_stride[last], di = p.dst_stride[last];
  const int64_t rows = p.numel() / len;
  const int64_t run = std::min<int64_t>(len, std::max<int64_t>(1, kRunBytes / static_cast<int64_t>(sizeof(T))));
  const int64_t runs_per_row = (len + run - 1) / run;
  const int64_t items = rows * runs_per_row;
  const int64_t grain = std::max<int64_t>(1, kTaskBytes / (run * static_cast<int64_t>(sizeof(T))));
  parallel_for(items, grain, [&](int64_t begin, int64_t end) {
    Odometer o;
    for (int d = 0; d < last; ++d) o.add_dim(p.shape[d], p.src_stride[d], p.dst_stride[d]);
    int64_t row = begin / runs_per_row, r = begin - row * runs_per_row;
    o.seek(row, p.src_offset, p.dst_offset);
    for (int64_t it = begin; it < end; ++it) {
      const int64_t j0 = r * run, n = std::min(len, j0 + run) - j0;
      copy_run(src + o.so + j0 * si, si, dst + o.dof + j0 * di, di, n);
      if (++r == runs_per_row) {
        r = 0;
        o.next();
      }
    }
  });
}

// dst[i*ldd + j] = src[j*lds + i] for i < na, j < nb.
template <typename T>
void transpose_tile_scalar(const T* src, int64_t lds, T* dst, int64_t ldd, int64_t na, int64_t nb) {
  for (int64_t i = 0; i < na; ++i)
    for (int64_t j = 0; j < nb; ++j) dst[i * ldd + j] = src[j * lds + i];
}

template <typename T>
void transpose_tile(const T* src, int64_t lds, T* dst, int64_t ldd, int64_t na, int64_t nb) {
  if constexpr (sizeof(T) == 4) {
    if (cpu_isa() != CpuIsa::kGeneric) {
      avx2::transpose_tile_4byte(reinterpret_cast<const uint32_t*>(src), lds, reinterpret_cast<uint32_t*>(dst), ldd,
                                 na, nb);
      return;
    }
  }
  transpose_tile_scalar(src, lds, dst, ldd, na, nb);
}

// The plan is a batch of 2-D transposes over (a, last): src contiguous along a, dst contiguous along last.
template <typename T>
void copy_transposed(const CopyPlan& p, int a, const T* src, T* dst) {
  const int last = p.rank - 1;
  constexpr int64_t kTile = sizeof(T) == 1 ? 64 : 32;  // 4 KB of source per tile: both tiles stay in L1
  const int64_t na = p.shape[a], nb = p.shape[last];
  const int64_t lds = p.src_stride[last], ldd = p.dst_stride[a];
  const int64_t ta = (na + kTile - 1) / kTile, tb = (nb + kTile - 1) / kTile;
  const int64_t batches = p.numel() / (na * nb);
  const int64_t items = batches * ta * tb;
  const int64_t grain = std::max<int64_t>(1, kTaskBytes / (kTile * kTile * static_cast<int64_t>(sizeof(T))));
  parallel_for(items, grain, [&](int64_t begin, int64_t end) {
    Odometer o;
    for (int d = 0; d < last; ++d)
      if (d != a) o.add_dim(p.shape[d], p.src_stride[d], p.dst_stride[d]);
    int64_t batch = begin / (ta * tb);
    o.seek(batch, p.src_offset, p.dst_offset);
    for (int64_t it = begin; it < end; ++it) {
      const int64_t b = it / (ta * tb);
      if (b != batch) {
        o.next();
        batch = b;
      }
      const int64_t t = it - b * ta * tb;
      // Tiles along `last` are innermost, so consecutive items write neighbouring destination columns.
      const int64_t i0 = (t / tb) * kTile, j0 = (t % tb) * kTile;
      transpose_tile(src + o.so + i0 + j0 * lds, lds, dst + o.dof + i0 * ldd + j0, ldd, std::min(kTile, na - i0),
                     std::min(kTile, nb - j0));
    }
  });
}

template <typename T>
void strided_copy_typed(const CopyPlan& p, const T* src, T* dst) {
  if (p.numel() == 0) return;
  const int a = inner_transpose_dim(p);
  if (a >= 0) copy_transposed(p, a, src, dst);
  else copy_rows(p, src, dst);
}

}  // namespace

void strided_copy(const CopyPlan& p, const Tensor& src, const Tensor& dst) {
  if (dtype_size(src.dtype()) == 1) strided_copy_typed(p, src.data<uint8_t>(), dst.data<uint8_t>());
  else strided_copy_typed(p, src.data<uint32_t>(), dst.data<uint32_t>());
}

}  // namespace ibot::cpu
