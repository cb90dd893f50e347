// CUDA strided copy (Transpose, Slice, StridedSlice, Reverse, Tile, PadV2's interior). A plan with an inner 2-D
// transpose runs 32x32 tiles through shared memory so both the reads and the writes are coalesced; every other plan is
// a grid-stride loop over the index box, each thread turning its linear index into the two offsets (32-bit index math
// when the box allows it).
#include <algorithm>
#include <cstdint>

#include "cuda/common.cuh"
#include "kernels/layout.h"

namespace ibot::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kTile = 32;
constexpr int kTileRows = 8;  // a 32x8 block moves a 32x32 tile, 4 elements per thread

template <typename T, typename Index>
__global__ void copy_kernel(CopyPlan p, Index n, const T* __restrict__ src, T* __restrict__ dst) {
  for (Index i = blockIdx.x * static_cast<Index>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<Index>(gridDim.x) * blockDim.x) {
    Index rem = i;
    int64_t so = p.src_offset, dof = p.dst_offset;
    for (int d = p.rank - 1; d >= 0; --d) {
      const Index extent = static_cast<Index>(p.shape[d]);
      const Index idx = rem % extent;
      rem /= extent;
      so += static_cast<int64_t>(idx) * p.src_stride[d];
      dof += static_cast<int64_t>(idx) * p.dst_stride[d];
    }
    dst[dof] = src[so];
  }
}

// The dimensions of a transposing plan other than (a, last): every tile of one batch entry shares their offsets.
struct BatchDims {
  int n;
  int64_t shape[kMaxCopyRank], ss[kMaxCopyRank], ds[kMaxCopyRank];
};

struct TileGeometry {
  int64_t na, nb;      // extents of the transposed pair: a (source-contiguous) and last (destination-contiguous)
  int64_t lds, ldd;    // source stride along last, destination stride along a
  int64_t ta, tb;      // tiles along a and along last
  int64_t tiles;       // batch entries * ta * tb
  int64_t src_offset, dst_offset;
};

template <typename T>
__global__ void transpose_kernel(TileGeometry g, BatchDims b, const T* __restrict__ src, T* __restrict__ dst) {
  __shared__ T tile[kTile][kTile + 1];  // +1 column: the transposed read walks a column without bank conflicts
  const int tx = threadIdx.x, ty = threadIdx.y;
  for (int64_t t = blockIdx.x; t < g.tiles; t += gridDim.x) {
    int64_t batch = t / (g.ta * g.tb);
    const int64_t r = t - batch * g.ta * g.tb;
    const int64_t i0 = (r / g.tb) * kTile, j0 = (r % g.tb) * kTile;
    int64_t so = g.src_offset, dof = g.dst_offset;
    for (int d = b.n - 1; d >= 0; --d) {
      const int64_t idx = batch % b.shape[d];
      batch /= b.shape[d];
      so += idx * b.ss[d];
      dof += idx * b.ds[d];
    }
    // Read rows j of the source (contiguous along i), write rows i of the destination (contiguous along j).
    for (int k = ty; k < kTile; k += kTileRows) {
      const int64_t i = i0 + tx, j = j0 + k;
      if (i < g.na && j < g.nb) tile[k][tx] = src[so + j * g.lds + i];
    }
    __syncthreads();
    for (int k = ty; k < kTile; k += kTileRows) {
      const int64_t i = i0 + k, j = j0 + tx;
      if (i < g.na && j < g.nb) dst[dof + i * g.ldd + j] = tile[tx][k];
    }
    __syncthreads();
  }
}

template <typename T>
void launch_copy(const CopyPlan& p, const T* src, T* dst) {
  const int64_t n = p.numel();
  const int a = inner_transpose_dim(p);
  if (a >= 0) {
    const int last = p.rank - 1;
    TileGeometry g;
    g.na = p.shape[a];
    g.nb = p.shape[last];
    g.lds = p.src_stride[last];
    g.ldd = p.dst_stride[a];
    g.ta = (g.na + kTile - 1) / kTile;
    g.tb = (g.nb + kTile - 1) / kTile;
    g.tiles = n / (g.na * g.nb) * g.ta * g.tb;
    g.src_offset = p.src_offset;
    g.dst_offset = p.dst_offset;
    BatchDims b{};
    for (int d = 0; d < last; ++d) {
      if (d == a) continue;
      b.shape[b.n] = p.shape[d];
      b.ss[b.n] = p.src_stride[d];
      b.ds[b.n] = p.dst_stride[d];
      ++b.n;
    }
    const unsigned int blocks = static_cast<unsigned int>(std::min<int64_t>(g.tiles, 1 << 20));
    transpose_kernel<T><<<blocks, dim3(kTile, kTileRows), 0, stream()>>>(g, b, src, dst);
    IBOT_CUDA_CHECK_LAUNCH("transpose_kernel");
    return;
  }
  if (n <= INT32_MAX) copy_kernel<T, uint32_t><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(p, static_cast<uint32_t>(n), src, dst);
  else copy_kernel<T, int64_t><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(p, n, src, dst);
  IBOT_CUDA_CHECK_LAUNCH("copy_kernel");
}


}  // namespace

void strided_copy(const CopyPlan& p, const Tensor& src, const Tensor& dst) {
  if (p.numel() == 0) return;
  if (dtype_size(src.dtype()) == 1) launch_copy(p, src.data<uint8_t>(), dst.data<uint8_t>());
  else launch_copy(p, src.data<uint32_t>(), dst.data<uint32_t>());
}


}  // namespace ibot::cuda
