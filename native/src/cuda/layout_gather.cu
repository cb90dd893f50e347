// CUDA index-driven kernels: GatherV2, GatherNd, ScatterNd, UnsortedSegmentSum, OneHot. Nothing here waits for the
// GPU, so indices are not validated up front as on the CPU: an out-of-range gather reads 0 and an out-of-range scatter
// or segment id is dropped. Scatter and segment sums use atomic adds, so float results may differ from the CPU's in the
// last bits (the order of additions is not fixed).
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "cuda/common.cuh"
#include "cuda/scratch.cuh"
#include "kernels/layout.h"

namespace ibot::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kMaxNdRank = 12;

#define IBOT_GRID_STRIDE(i, n)                                                                  \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

template <typename T>
__global__ void gather_kernel(GatherDims g, int64_t n, const T* __restrict__ x, const int32_t* __restrict__ idx,
                              T* __restrict__ out) {
  IBOT_GRID_STRIDE(e, n) {
    const int64_t k = e % g.slice, r = e / g.slice;  // r = (batch * outer + o) * count + j
    const int64_t j = r % g.count, bo = r / g.count, bi = bo / g.outer;
    const int64_t v = idx[bi * g.count + j];
    out[e] = (v >= 0 && v < g.dim) ? x[(bo * g.dim + v) * g.slice + k] : T(0);
  }
}

struct NdDims {
  int64_t rank, slice, limit;
  int64_t strides[kMaxNdRank];
};

NdDims nd_dims(const NdIndexing& nd, const char* op) {
  IBOT_CHECK(nd.rank <= kMaxNdRank, op, ": index tuples of ", nd.rank, " coordinates; at most ", kMaxNdRank,
             " are supported on CUDA");
  NdDims d{};
  d.rank = nd.rank;
  d.slice = nd.slice;
  d.limit = nd.limit;
  for (int64_t j = 0; j < nd.rank; ++j) d.strides[j] = nd.strides[j];
  return d;
}

__device__ inline int64_t nd_flat(const NdDims& d, const int32_t* idx, int64_t i) {
  int64_t flat = 0;
  for (int64_t j = 0; j < d.rank; ++j) flat += static_cast<int64_t>(idx[i * d.rank + j]) * d.strides[j];
  return flat;
}

template <typename T>
__global__ void gather_nd_kernel(NdDims d, int64_t n, const T* __restrict__ params, const int32_t* __restrict__ idx,
                                 T* __restrict__ out) {
  IBOT_GRID_STRIDE(e, n) {
    const int64_t i = e / d.slice, k = e - i * d.slice;
    const int64_t flat = nd_flat(d, idx, i);
    out[e] = (flat >= 0 && flat < d.limit) ? params[flat * d.slice + k] : T(0);
  }
}

template <typename T>
__global__ void scatter_nd_kernel(NdDims d, int64_t n, const int32_t* __restrict__ idx, const T* __restrict__ upd,
                                  T* __restrict__ out) {
  IBOT_GRID_STRIDE(e, n) {
    const int64_t i = e / d.slice, k = e - i * d.slice;
    const int64_t flat = nd_flat(d, idx, i);
    if (flat >= 0 && flat < d.limit) atomicAdd(out + flat * d.slice + k, upd[e]);
  }
}

template <typename X>
__device__ inline float to_f32(X v) { return static_cast<float>(v); }

// See SegmentDims: tag[c] = -1 (no non-finite input yet), s (all in segment s) or -2 (several segments or an ignored id).
template <typename X>
__global__ void segment_sum_kernel(SegmentDims sd, int64_t n, const X* __restrict__ x, const int32_t* __restrict__ ids,
                                   float* __restrict__ out, int32_t* __restrict__ tag) {
  const int64_t C = sd.mid * sd.cols;
  IBOT_GRID_STRIDE(e, n) {
    const int64_t r = e / C, c = e - r * C;
    const int32_t s = ids[r * sd.cols + c % sd.cols];
    const bool valid = s >= 0 && s < sd.segments;
    const float v = to_f32(x[e]);
    if (valid) atomicAdd(out + s * C + c, v);
    if (tag && !isfinite(v)) {
      const int32_t mine = valid ? s : -2;
      const int32_t seen = atomicCAS(tag + c, -1, mine);
      if (seen != -1 && seen != mine) atomicExch(tag + c, -2);
    }
  }
}

// tfjs multiplies every row by its 0/1 mask: a non-finite input poisons (0 * inf = NaN) every segment it is not in.
__global__ void segment_poison_kernel(SegmentDims sd, int64_t n, const int32_t* __restrict__ tag, float* __restrict__ out) {
  const int64_t C = sd.mid * sd.cols;
  IBOT_GRID_STRIDE(e, n) {
    const int64_t s = e / C, c = e - s * C;
    const int32_t t = tag[c];
    if (t != -1 && t != s) out[e] = nanf("");
  }
}

template <typename T>
__global__ void one_hot_kernel(int64_t n, int64_t depth, const int32_t* __restrict__ idx, T on, T off, T* __restrict__ out) {
  IBOT_GRID_STRIDE(e, n) {
    const int64_t i = e / depth, j = e - i * depth;
    out[e] = idx[i] == j ? on : off;
  }
}

template <typename X>
void launch_segment_sum(const Tensor& x, const Tensor& ids, const SegmentDims& sd, const Tensor& out) {
  const int64_t C = sd.mid * sd.cols, n = x.numel();
  IBOT_CUDA_CHECK(cudaMemsetAsync(out.storage->data, 0, out.storage->nbytes, stream()));
  if (n == 0) return;
  if constexpr (std::is_same_v<X, float>) {
    Scratch tag(DType::kInt32, C);
    IBOT_CUDA_CHECK(cudaMemsetAsync(tag.data<int32_t>(), 0xff, static_cast<size_t>(C) * sizeof(int32_t), stream()));
    segment_sum_kernel<X><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(sd, n, x.data<X>(), ids.data<int32_t>(),
                                                                            out.data<float>(), tag.data<int32_t>());
    IBOT_CUDA_CHECK_LAUNCH("segment_sum_kernel");
    const int64_t m = out.numel();
    segment_poison_kernel<<<blocks_for(m, kThreads), kThreads, 0, stream()>>>(sd, m, tag.data<int32_t>(), out.data<float>());
    IBOT_CUDA_CHECK_LAUNCH("segment_poison_kernel");
  } else {
    segment_sum_kernel<X><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(sd, n, x.data<X>(), ids.data<int32_t>(),
                                                                            out.data<float>(), nullptr);
    IBOT_CUDA_CHECK_LAUNCH("segment_sum_kernel");
  }
}

template <typename T>
void launch_one_hot(const Tensor& indices, int64_t depth, T on, T off, const Tensor& out) {
  const int64_t n = out.numel();
  one_hot_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(n, depth, indices.data<int32_t>(), on, off,
                                                                         out.data<T>());
  IBOT_CUDA_CHECK_LAUNCH("one_hot_kernel");
}

}  // namespace

void gather(const Tensor& x, const Tensor& indices, const GatherDims& g, const Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  if (dtype_size(x.dtype()) == 1) {
    gather_kernel<uint8_t><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(g, n, x.data<uint8_t>(),
                                                                                indices.data<int32_t>(), out.data<uint8_t>());
  } else {
    gather_kernel<uint32_t><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(g, n, x.data<uint32_t>(),
                                                                                 indices.data<int32_t>(), out.data<uint32_t>());
  }
  IBOT_CUDA_CHECK_LAUNCH("gather_kernel");
}

void gather_nd(const Tensor& params, const Tensor& indices, const NdIndexing& nd, const Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const NdDims d = nd_dims(nd, "GatherNd");
  if (dtype_size(params.dtype()) == 1) {
    gather_nd_kernel<uint8_t><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(
        d, n, params.data<uint8_t>(), indices.data<int32_t>(), out.data<uint8_t>());
  } else {
    gather_nd_kernel<uint32_t><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(
        d, n, params.data<uint32_t>(), indices.data<int32_t>(), out.data<uint32_t>());
  }
  IBOT_CUDA_CHECK_LAUNCH("gather_nd_kernel");
}

void scatter_nd(const Tensor& indices, const Tensor& updates, const NdIndexing& nd, const Tensor& out) {
  IBOT_CHECK(out.dtype() != DType::kBool, "ScatterNd: bool updates are not supported on CUDA (the backend runs them on "
             "the cpu kernel)");
  IBOT_CUDA_CHECK(cudaMemsetAsync(out.storage->data, 0, out.storage->nbytes, stream()));
  const int64_t n = nd.count * nd.slice;
  if (n == 0) return;
  const NdDims d = nd_dims(nd, "ScatterNd");
  if (out.dtype() == DType::kFloat32) {
    scatter_nd_kernel<float><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(d, n, indices.data<int32_t>(),
                                                                               updates.data<float>(), out.data<float>());
  } else {
    scatter_nd_kernel<int><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(d, n, indices.data<int32_t>(),
                                                                             updates.data<int>(), out.data<int>());
  }
  IBOT_CUDA_CHECK_LAUNCH("scatter_nd_kernel");
}

void unsorted_segment_sum(const Tensor& x, const Tensor& ids, const SegmentDims& s, const Tensor& out) {
  if (out.numel() == 0) return;
  switch (x.dtype()) {
    case DType::kFloat32: return launch_segment_sum<float>(x, ids, s, out);
    case DType::kInt32: return launch_segment_sum<int32_t>(x, ids, s, out);
    case DType::kBool: return launch_segment_sum<uint8_t>(x, ids, s, out);
  }
}

void one_hot(const Tensor& indices, int64_t depth, double on, double off, const Tensor& out) {
  if (out.numel() == 0) return;
  switch (out.dtype()) {
    case DType::kFloat32:
      return launch_one_hot(indices, depth, static_cast<float>(on), static_cast<float>(off), out);
    case DType::kInt32:
      return launch_one_hot(indices, depth, static_cast<int32_t>(on), static_cast<int32_t>(off), out);
    case DType::kBool:
      return launch_one_hot(indices, depth, static_cast<uint8_t>(on), static_cast<uint8_t>(off), out);
  }
}

}  // namespace ibot::cuda
