// CUDA TopK along the last axis, one block per row, in the CPU kernel's order: value descending, ties by lower index,
// NaN above everything. Rows up to 2048 long are sorted whole in shared memory (bitonic sort of (value, index) pairs,
// padded to a power of two); longer rows pick their k winners one at a time (each pass is a block-wide search for the
// first element after the previous winner), O(k n) but simple, and TopK is not on a training hot path.
#include <cstdint>
#include <type_traits>

#include "cuda/common.cuh"
#include "kernels/reduce.h"
#include "kernels/reduce_dispatch.h"

namespace ibot::cuda {
namespace {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kThreads = 256;
constexpr int64_t kSortMax = 2048;

// Does (a, i) come before (b, j)? Index -1 marks padding, which comes after every real element.
template <typename T>
__device__ inline bool precedes(T a, int32_t i, T b, int32_t j) {
  if (i < 0 || j < 0) return i >= 0 && j < 0;
  if constexpr (std::is_floating_point<T>::value) {
    const bool an = a != a, bn = b != b;
    if (an || bn) return an && bn ? i < j : an;
  }
  if (a != b) return a > b;
  return i < j;
}

template <typename T>
__device__ inline T shfl_xor(T v, int mask) {
  if constexpr (sizeof(T) < 4) return static_cast<T>(__shfl_xor_sync(kFullMask, static_cast<int>(v), mask));
  else return __shfl_xor_sync(kFullMask, v, mask);
}

// P: n rounded up to a power of two; shared memory holds P indices then P values.
template <typename T>
__global__ void topk_sort_kernel(const T* __restrict__ x, T* __restrict__ values, int32_t* __restrict__ indices,
                                 int64_t rows, int n, int k, int P) {
  extern __shared__ __align__(8) unsigned char smem[];
  int32_t* si = reinterpret_cast<int32_t*>(smem);
  T* sv = reinterpret_cast<T*>(smem + static_cast<size_t>(P) * sizeof(int32_t));
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* xr = x + row * n;
    for (int i = threadIdx.x; i < P; i += blockDim.x) {
      si[i] = i < n ? i : -1;
      sv[i] = i < n ? xr[i] : T(0);
    }
    __syncthreads();
    for (int size = 2; size <= P; size <<= 1) {
      for (int stride = size >> 1; stride > 0; stride >>= 1) {
        for (int i = threadIdx.x; i < P; i += blockDim.x) {
          const int j = i ^ stride;
          if (j <= i) continue;
          // Runs of `size` alternate direction so that each merge step sees bitonic sequences.
          const bool forward = (i & size) == 0;
          const bool swap = forward ? precedes(sv[j], si[j], sv[i], si[i]) : precedes(sv[i], si[i], sv[j], si[j]);
          if (swap) {
            const T tv = sv[i];
            sv[i] = sv[j];
            sv[j] = tv;
            const int32_t ti = si[i];
            si[i] = si[j];
            si[j] = ti;
          }
        }
        __syncthreads();
      }
    }
    for (int i = threadIdx.x; i < k; i += blockDim.x) {
      values[row * k + i] = sv[i];
      indices[row * k + i] = si[i];
    }
    __syncthreads();  // the next row overwrites shared memory
  }
}

template <typename T>
__global__ void topk_select_kernel(const T* __restrict__ x, T* __restrict__ values, int32_t* __restrict__ indices,
                                   int64_t rows, int64_t n, int k) {
  __shared__ T wv[32];
  __shared__ int32_t wi[32];
  __shared__ T prev_v;
  __shared__ int32_t prev_i;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* xr = x + row * n;
    for (int t = 0; t < k; ++t) {
      const T pv = prev_v;  // read only when t > 0, after the __syncthreads below
      const int32_t pi = prev_i;
      T bv = T(0);
      int32_t bi = -1;
      for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
        const T v = xr[j];
        const int32_t jj = static_cast<int32_t>(j);
        if ((t == 0 || precedes(pv, pi, v, jj)) && precedes(v, jj, bv, bi)) {
          bv = v;
          bi = jj;
        }
      }
      for (int d = 16; d > 0; d >>= 1) {
        const T ov = shfl_xor(bv, d);
        const int32_t oi = __shfl_xor_sync(kFullMask, bi, d);
        if (precedes(ov, oi, bv, bi)) {
          bv = ov;
          bi = oi;
        }
      }
      if (lane == 0) {
        wv[warp] = bv;
        wi[warp] = bi;
      }
      __syncthreads();
      if (threadIdx.x == 0) {
        for (int w = 1; w < nwarps; ++w) {
          if (precedes(wv[w], wi[w], bv, bi)) {
            bv = wv[w];
            bi = wi[w];
          }
        }
        values[row * k + t] = bv;
        indices[row * k + t] = bi;
        prev_v = bv;
        prev_i = bi;
      }
      __syncthreads();
    }
  }
}

template <typename T>
void topk_typed(const T* x, T* values, int32_t* indices, int64_t rows, int64_t n, int64_t k) {
  if (n <= kSortMax) {
    int P = 1;
    while (P < n) P <<= 1;
    const size_t shared = static_cast<size_t>(P) * (sizeof(int32_t) + sizeof(T));
    topk_sort_kernel<T><<<blocks_for(rows, 1), kThreads, shared, stream()>>>(x, values, indices, rows,
                                                                            static_cast<int>(n), static_cast<int>(k), P);
    IBOT_CUDA_CHECK_LAUNCH("topk_sort_kernel");
  } else {
    topk_select_kernel<T><<<blocks_for(rows, 1), kThreads, 0, stream()>>>(x, values, indices, rows, n,
                                                                          static_cast<int>(k));
    IBOT_CUDA_CHECK_LAUNCH("topk_select_kernel");
  }
}

}  // namespace

void topk(const Tensor& x, int64_t k, const Tensor& values, const Tensor& indices) {
  dispatch_topk(x, k, values, indices, [&](const auto* xd, auto* vd, int32_t* id, int64_t rows, int64_t n) {
    topk_typed(xd, vd, id, rows, n, k);
  });
}

}  // namespace ibot::cuda
