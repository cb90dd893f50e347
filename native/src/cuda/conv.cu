// CUDA 2-D convolution (NHWC images, HWIO filters) lowered to cuda::gemm. With rows = B·outH·outW pixels and
// K = fH·fW·inC, the filter is a [K, outC] matrix and
//   forward          out [rows, outC] = col [rows, K] · filter
//   backprop input   dcol [rows, K] = dy [rows, outC] · filterᵀ, then col2im gathers dcol into dx (no atomics)
//   backprop filter  dfilter [K, outC] = colᵀ · dy (gemm splits the long K = rows itself)
// where col is the im2col matrix. A 1x1, stride-1, unpadded conv uses x itself as col. The ViT patch embedding
// (kernel = stride) is not one strided matrix when fH > 1 (a pixel row's patch is fH separate runs of fW·inC floats),
// so it takes the im2col copy too: a permutation of x that costs ~1 % of the GEMM it feeds.
// Column matrices are built in chunks of rows so the scratch buffer stays under kMaxColumnFloats.
#include <algorithm>
#include <climits>

#include "cuda/common.cuh"
#include "cuda/matmul_common.cuh"
#include "cuda/matmul_testing.cuh"
#include "kernels/conv.h"
#include "kernels/matmul.h"

namespace ibot::cuda {
namespace {

constexpr int64_t kMaxColumnFloats = 32LL << 20;  // 128 MB of scratch at most
int64_t g_column_limit = kMaxColumnFloats;         // testing::set_conv_column_limit

// The geometry in 32-bit form for index math on the device (the host checks every extent fits).
struct ConvDims {
  int batch, in_h, in_w, in_c, out_h, out_w, out_c, filter_h, filter_w;
  int stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  int k;  // filter_h · filter_w · in_c
};

ConvDims dims_of(const Conv2DGeometry& g) {
  const int64_t all[] = {g.batch, g.in_h, g.in_w, g.in_c, g.out_h, g.out_w, g.out_c, g.filter_h, g.filter_w,
                         g.stride_h, g.stride_w, g.dilation_h, g.dilation_w, g.pad_top, g.pad_left};
  for (int64_t v : all) IBOT_CHECK(v >= -INT_MAX && v <= INT_MAX, "Conv2D: geometry value ", v, " is out of range");
  const int64_t k = g.filter_h * g.filter_w * g.in_c;
  const int64_t rows = g.batch * g.out_h * g.out_w;
  const int64_t pixels = g.batch * g.in_h * g.in_w;
  IBOT_CHECK(k <= INT_MAX && rows <= INT_MAX && pixels <= INT_MAX, "Conv2D: tensor too large for the CUDA kernels");
  return ConvDims{static_cast<int>(g.batch),    static_cast<int>(g.in_h),       static_cast<int>(g.in_w),
                  static_cast<int>(g.in_c),     static_cast<int>(g.out_h),      static_cast<int>(g.out_w),
                  static_cast<int>(g.out_c),    static_cast<int>(g.filter_h),   static_cast<int>(g.filter_w),
                  static_cast<int>(g.stride_h), static_cast<int>(g.stride_w),   static_cast<int>(g.dilation_h),
                  static_cast<int>(g.dilation_w), static_cast<int>(g.pad_top), static_cast<int>(g.pad_left),
                  static_cast<int>(k)};
}

// col [nrows, K] for output pixels row0 .. row0 + nrows - 1; V = 4 moves 4 channels at once (in_c % 4 == 0).
template <int V>
__global__ void im2col_kernel(const float* __restrict__ x, float* __restrict__ col, ConvDims d, int row0,
                              int64_t nrows) {
  const int kv = d.k / V;
  const int64_t total = nrows * kv;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int r = static_cast<int>(i / kv), kk = static_cast<int>(i - static_cast<int64_t>(r) * kv) * V;
    const int row = row0 + r;
    const int ci = kk % d.in_c, tap = kk / d.in_c, fw = tap % d.filter_w, fh = tap / d.filter_w;
    const int ow = row % d.out_w, t = row / d.out_w, oh = t % d.out_h, b = t / d.out_h;
    const int h = oh * d.stride_h - d.pad_top + fh * d.dilation_h;
    const int w = ow * d.stride_w - d.pad_left + fw * d.dilation_w;
    const bool inside = h >= 0 && h < d.in_h && w >= 0 && w < d.in_w;
    const int64_t src = ((static_cast<int64_t>(b) * d.in_h + h) * d.in_w + w) * d.in_c + ci;
    if constexpr (V == 4) {
      const float4 v = inside ? *reinterpret_cast<const float4*>(x + src) : make_float4(0.f, 0.f, 0.f, 0.f);
      *reinterpret_cast<float4*>(col + i * 4) = v;
    } else {
      col[i] = inside ? x[src] : 0.f;
    }
  }
}

// dx for images b0 .. b1 - 1 from dcol rows row0 .. row0 + nrows - 1: each dx element sums the taps that read it.
// accumulate = false overwrites dx (the chunk covers every row of those images); true adds (chunked images).
__global__ void col2im_kernel(const float* __restrict__ dcol, float* __restrict__ dx, ConvDims d, int b0, int b1,
                              int row0, int nrows, bool accumulate) {
  const int64_t per_image = static_cast<int64_t>(d.in_h) * d.in_w * d.in_c;
  const int64_t base = b0 * per_image, total = (b1 - b0) * per_image;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t e = base + i;
    const int ci = static_cast<int>(e % d.in_c);
    const int64_t pix = e / d.in_c;
    const int w = static_cast<int>(pix % d.in_w), h = static_cast<int>((pix / d.in_w) % d.in_h);
    const int b = static_cast<int>(pix / (static_cast<int64_t>(d.in_w) * d.in_h));
    float s = 0.f;
    for (int fh = 0; fh < d.filter_h; ++fh) {
      const int hh = h + d.pad_top - fh * d.dilation_h;  // = oh · stride_h when tap fh of output row oh reads h
      if (hh < 0 || hh % d.stride_h != 0) continue;
      const int oh = hh / d.stride_h;
      if (oh >= d.out_h) continue;
      for (int fw = 0; fw < d.filter_w; ++fw) {
        const int ww = w + d.pad_left - fw * d.dilation_w;
        if (ww < 0 || ww % d.stride_w != 0) continue;
        const int ow = ww / d.stride_w;
        if (ow >= d.out_w) continue;
        const int row = (b * d.out_h + oh) * d.out_w + ow - row0;
        if (row < 0 || row >= nrows) continue;
        s += dcol[static_cast<int64_t>(row) * d.k + (fh * d.filter_w + fw) * d.in_c + ci];
      }
    }
    dx[e] = accumulate ? dx[e] + s : s;
  }
}

void im2col(const float* x, float* col, const ConvDims& d, int row0, int nrows) {
  constexpr int kThreads = 256;
  const bool vec = d.in_c % 4 == 0 && (reinterpret_cast<uintptr_t>(x) & 15) == 0;
  if (vec) {
    im2col_kernel<4><<<blocks_for(static_cast<int64_t>(nrows) * (d.k / 4), kThreads), kThreads, 0, stream()>>>(
        x, col, d, row0, nrows);
  } else {
    im2col_kernel<1><<<blocks_for(static_cast<int64_t>(nrows) * d.k, kThreads), kThreads, 0, stream()>>>(
        x, col, d, row0, nrows);
  }
  IBOT_CUDA_CHECK_LAUNCH("im2col_kernel");
}

// Rows per column chunk: all of them when the matrix fits, else a multiple of 128 (whole GEMM tiles, aligned rows).
int chunk_rows(const ConvDims& d, int rows) {
  const int64_t fit = std::max<int64_t>(1, g_column_limit / std::max(d.k, 1));
  if (fit >= rows) return rows;
  return static_cast<int>(fit >= 128 ? fit / 128 * 128 : fit);
}

// Runs fn(r0, nr, col) over consecutive chunks of the output pixels (rows r0 .. r0 + nr - 1), col holding their
// im2col rows.
template <class Fn>
void for_each_col_chunk(const ConvDims& d, const float* x, int rows, Fn&& fn) {
  const int chunk = chunk_rows(d, rows);
  Scratch col(static_cast<int64_t>(chunk) * d.k);
  for (int r0 = 0; r0 < rows; r0 += chunk) {
    const int nr = std::min(chunk, rows - r0);
    im2col(x, col.data(), d, r0, nr);
    fn(r0, nr, col.data());
  }
}

GemmArgs plain_gemm(int64_t m, int64_t n, int64_t k) {
  GemmArgs a;
  a.m = m;
  a.n = n;
  a.k = k;
  return a;
}

void zero(const Tensor& t) {
  if (t.numel() > 0) IBOT_CUDA_CHECK(cudaMemsetAsync(t.data<float>(), 0, t.numel() * sizeof(float), stream()));
}

}  // namespace

void conv2d(const Conv2DGeometry& g, const Tensor& x, const Tensor& filter, const Tensor& out) {
  if (out.numel() == 0) return;
  const ConvDims d = dims_of(g);
  const int rows = d.batch * d.out_h * d.out_w;
  if (d.k == 0) return zero(out);
  const float* xp = x.data<float>();
  const float* fp = filter.data<float>();
  float* op = out.data<float>();

  GemmArgs gm = plain_gemm(rows, d.out_c, d.k);  // out [rows, outC] = col [rows, K] · filter [K, outC]
  gm.b = fp;
  gm.ldb = d.out_c;
  gm.ldc = d.out_c;
  if (conv_is_pointwise(g)) {
    gm.a = xp;
    gm.lda = d.k;
    gm.c = op;
    return gemm(gm);
  }
  for_each_col_chunk(d, xp, rows, [&](int r0, int nr, const float* col) {
    GemmArgs c = gm;
    c.m = nr;
    c.a = col;
    c.lda = d.k;
    c.c = op + static_cast<int64_t>(r0) * d.out_c;
    gemm(c);
  });
}

void conv2d_backprop_input(const Conv2DGeometry& g, const Tensor& dy, const Tensor& filter, const Tensor& dx) {
  if (dx.numel() == 0) return;
  const ConvDims d = dims_of(g);
  const int rows = d.batch * d.out_h * d.out_w;
  if (rows == 0 || d.out_c == 0) return zero(dx);  // no output pixel reads x
  const float* dyp = dy.data<float>();
  const float* fp = filter.data<float>();
  float* dxp = dx.data<float>();

  GemmArgs gm = plain_gemm(rows, d.k, d.out_c);  // dcol [rows, K] = dy [rows, outC] · filterᵀ
  gm.b = fp;                                     // filter [K, outC] read as [N = K, K' = outC]
  gm.ldb = d.out_c;
  gm.trans_b = true;
  gm.ldc = d.k;
  if (conv_is_pointwise(g)) {
    gm.a = dyp;
    gm.lda = d.out_c;
    gm.c = dxp;
    return gemm(gm);
  }
  const int chunk = chunk_rows(d, rows);
  const bool single = chunk >= rows;
  if (!single) zero(dx);  // chunks add their contributions
  const int per_image = d.out_h * d.out_w;
  Scratch dcol(static_cast<int64_t>(chunk) * d.k);
  constexpr int kThreads = 256;
  for (int r0 = 0; r0 < rows; r0 += chunk) {
    const int nr = std::min(chunk, rows - r0);
    GemmArgs c = gm;
    c.m = nr;
    c.a = dyp + static_cast<int64_t>(r0) * d.out_c;
    c.lda = d.out_c;
    c.c = dcol.data();
    gemm(c);
    // Images whose output pixels fall in this chunk; the kernel skips taps from rows outside it.
    const int b0 = r0 / per_image, b1 = (r0 + nr - 1) / per_image + 1;
    const int64_t total = static_cast<int64_t>(b1 - b0) * d.in_h * d.in_w * d.in_c;
    col2im_kernel<<<blocks_for(total, kThreads), kThreads, 0, stream()>>>(dcol.data(), dxp, d, b0, b1, r0, nr,
                                                                          !single);
    IBOT_CUDA_CHECK_LAUNCH("col2im_kernel");
  }
}

void conv2d_backprop_filter(const Conv2DGeometry& g, const Tensor& x, const Tensor& dy, const Tensor& dfilter) {
  if (dfilter.numel() == 0) return;
  const ConvDims d = dims_of(g);
  const int rows = d.batch * d.out_h * d.out_w;
  if (rows == 0) return zero(dfilter);
  const float* xp = x.data<float>();
  const float* dyp = dy.data<float>();
  float* dfp = dfilter.data<float>();

  GemmArgs gm = plain_gemm(d.k, d.out_c, rows);  // dfilter [K, outC] = colᵀ · dy [rows, outC]
  gm.trans_a = true;                              // col [rows, K] read as [K' = rows, M = K]
  gm.lda = d.k;
  gm.ldb = d.out_c;
  gm.c = dfp;
  gm.ldc = d.out_c;
  if (conv_is_pointwise(g)) {
    gm.a = xp;
    gm.b = dyp;
    return gemm(gm);
  }
  for_each_col_chunk(d, xp, rows, [&](int r0, int nr, const float* col) {
    GemmArgs c = gm;
    c.k = nr;
    c.a = col;
    c.b = dyp + static_cast<int64_t>(r0) * d.out_c;
    c.beta = r0 == 0 ? 0.f : 1.f;  // later chunks accumulate
    gemm(c);
  });
}

namespace testing {

void set_conv_column_limit(int64_t floats) { g_column_limit = floats > 0 ? floats : kMaxColumnFloats; }

}  // namespace testing
}  // namespace ibot::cuda
