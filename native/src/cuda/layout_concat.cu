// CUDA Concat / SplitV (and through them Pack / Unpack) and MirrorPad. Concat and split see every tensor as
// [outer, width]; up to 32 inputs (or outputs) travel in one launch's parameters and each thread finds its part by a
// binary search over the column offsets, so a concatenation of n tensors is ceil(n / 32) launches.
#include <algorithm>
#include <vector>

#include "cuda/common.cuh"
#include "kernels/layout.h"

namespace ibot::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kMaxParts = 32;

struct Parts {
  int n;
  void* ptr[kMaxParts];          // the inputs of a concat, the outputs of a split
  int64_t width[kMaxParts];      // elements per row of each part
  int64_t col[kMaxParts + 1];    // first column of each part within this launch's columns
};

__device__ inline int find_part(const Parts& p, int64_t c) {
  int lo = 0, hi = p.n - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (p.col[mid] <= c) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// kToWhole: parts -> whole (concat); otherwise whole -> parts (split). `whole` rows are `whole_w` wide and this
// launch covers columns [col0, col0 + parts.col[parts.n]).
template <typename T, bool kToWhole>
__global__ void join_kernel(Parts parts, int64_t outer, int64_t whole_w, int64_t col0, T* __restrict__ whole) {
  const int64_t w = parts.col[parts.n], n = outer * w;
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = e / w, c = e - row * w;
    const int k = find_part(parts, c);
    T* part = static_cast<T*>(parts.ptr[k]) + row * parts.width[k] + (c - parts.col[k]);
    T* full = whole + row * whole_w + col0 + c;
    if (kToWhole) *full = *part;
    else *part = *full;
  }
}

template <typename T, bool kToWhole>
void launch_join(const std::vector<Tensor>& parts, int64_t outer, T* whole) {
  int64_t whole_w = 0;
  for (const Tensor& t : parts) whole_w += t.numel() / outer;
  int64_t col0 = 0;
  for (size_t first = 0; first < parts.size(); first += kMaxParts) {
    Parts p{};
    for (size_t k = first; k < parts.size() && p.n < kMaxParts; ++k) {
      const int64_t w = parts[k].numel() / outer;
      if (w == 0) continue;
      p.ptr[p.n] = parts[k].storage->data;
      p.width[p.n] = w;
      p.col[p.n + 1] = p.col[p.n] + w;
      ++p.n;
    }
    const int64_t n = outer * p.col[p.n];
    if (n > 0) {
      join_kernel<T, kToWhole><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(p, outer, whole_w, col0, whole);
      IBOT_CUDA_CHECK_LAUNCH("join_kernel");
    }
    col0 += p.col[p.n];
  }
}

struct MirrorDims {
  int rank;
  int64_t out_shape[kMaxCopyRank], x_shape[kMaxCopyRank], x_stride[kMaxCopyRank], before[kMaxCopyRank];
  int64_t offset;  // 0 reflect, 1 symmetric
};

template <typename T>
__global__ void mirror_pad_kernel(MirrorDims m, int64_t n, const T* __restrict__ x, T* __restrict__ out) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t rem = e, in = 0;
    for (int d = m.rank - 1; d >= 0; --d) {
      int64_t c = rem % m.out_shape[d];
      rem /= m.out_shape[d];
      const int64_t end = m.before[d] + m.x_shape[d];
      if (c < m.before[d]) c = m.before[d] * 2 - c - m.offset;
      else if (c >= end) c = (end - 1) * 2 - c + m.offset;
      in += (c - m.before[d]) * m.x_stride[d];
    }
    out[e] = x[in];
  }
}

}  // namespace

void concat(const std::vector<Tensor>& ins, int64_t outer, const Tensor& out) {
  if (outer == 0 || out.numel() == 0) return;
  if (dtype_size(out.dtype()) == 1) launch_join<uint8_t, true>(ins, outer, out.data<uint8_t>());
  else launch_join<uint32_t, true>(ins, outer, out.data<uint32_t>());
}

void split(const Tensor& x, int64_t outer, const std::vector<Tensor>& outs) {
  if (outer == 0 || x.numel() == 0) return;
  if (dtype_size(x.dtype()) == 1) launch_join<uint8_t, false>(outs, outer, x.data<uint8_t>());
  else launch_join<uint32_t, false>(outs, outer, x.data<uint32_t>());
}

void mirror_pad(const Tensor& x, const Shape& before, int64_t offset, const Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  IBOT_CHECK(x.rank() <= kMaxCopyRank, "MirrorPad: rank ", x.rank(), " is over the supported ", kMaxCopyRank);
  MirrorDims m{};
  m.rank = x.rank();
  m.offset = offset;
  const Shape xs = strides_of(x.shape);
  for (int d = 0; d < m.rank; ++d) {
    m.out_shape[d] = out.shape[d];
    m.x_shape[d] = x.shape[d];
    m.x_stride[d] = xs[d];
    m.before[d] = before[d];
  }
  if (dtype_size(x.dtype()) == 1) {
    mirror_pad_kernel<uint8_t><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(m, n, x.data<uint8_t>(), out.data<uint8_t>());
  } else {
    mirror_pad_kernel<uint32_t><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(m, n, x.data<uint32_t>(), out.data<uint32_t>());
  }
  IBOT_CUDA_CHECK_LAUNCH("mirror_pad_kernel");
}

}  // namespace ibot::cuda
