// CPU 2-D convolution (NHWC images, HWIO filters), forward and both gradients, lowered to cpu::gemm.
// With P = B * outH * outW output pixels and K = fH * fW * inC:
//   forward:         out [P, outC]      = cols [P, K] . filter [K, outC]
//   filter gradient: dfilter [K, outC]  = cols^T [K, P] . dy [P, outC]
//   input gradient:  dcols [P, K]       = dy [P, outC] . filter^T [outC, K], then summed back into dx (col2im)
// cols is the im2col matrix (one row per output pixel: the receptive field, zeros where it hangs over the padding).
// It is built a chunk of rows at a time so its size stays bounded. A 1x1 convolution with stride 1 and no padding
// needs no cols at all (x is already [P, inC]); the ViT patch embedding (filter == stride, no padding) builds cols by
// whole-row copies.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/conv.h"
#include "kernels/matmul.h"

namespace ibot::cpu {
namespace {

// Upper bound on the im2col scratch, in floats (32 MB): big enough for large GEMMs, small enough to stay in memory
// budgets on big batches.
constexpr int64_t kColsBudget = int64_t{8} << 20;

// The im2col scratch of the calling thread, kept between calls: a fresh multi-megabyte buffer per call costs more in
// page faults than the copy into it. It is bounded by kColsBudget.
class ColsScratch {
 public:
  ~ColsScratch() { std::free(data_); }
  float* get(int64_t floats) {
    floats = std::max<int64_t>(floats, 16);
    if (floats > size_) {
      std::free(data_);
      data_ = static_cast<float*>(std::aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64));
      size_ = data_ ? floats : 0;
      if (!data_) fail("conv2d: out of memory for ", floats, " floats of im2col scratch");
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  int64_t size_ = 0;
};

thread_local ColsScratch t_cols;

// cols[r - p0, :] for output pixels r in [p0, p1): the receptive field of pixel r in (kh, kw, c) order.
void im2col(const Conv2DGeometry& g, const float* x, int64_t p0, int64_t p1, float* cols) {
  const int64_t K = conv_patch_size(g), ic = g.in_c;
  const bool contiguous_w = g.dilation_w == 1;  // the fW pixels of one filter row are adjacent in x
  parallel_for(p1 - p0, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = p0 + r0; r < p0 + r1; ++r) {
      const int64_t ow = r % g.out_w, oh = (r / g.out_w) % g.out_h, b = r / (g.out_w * g.out_h);
      float* row = cols + (r - p0) * K;
      const int64_t ih0 = oh * g.stride_h - g.pad_top, iw0 = ow * g.stride_w - g.pad_left;
      const bool w_inside = iw0 >= 0 && iw0 + (g.filter_w - 1) * g.dilation_w < g.in_w;
      for (int64_t kh = 0; kh < g.filter_h; ++kh) {
        float* dst = row + kh * g.filter_w * ic;
        const int64_t ih = ih0 + kh * g.dilation_h;
        if (ih < 0 || ih >= g.in_h) {
          std::memset(dst, 0, g.filter_w * ic * sizeof(float));
          continue;
        }
        const float* src = x + ((b * g.in_h + ih) * g.in_w) * ic;
        if (contiguous_w && w_inside) {
          std::memcpy(dst, src + iw0 * ic, g.filter_w * ic * sizeof(float));
          continue;
        }
        for (int64_t kw = 0; kw < g.filter_w; ++kw) {
          const int64_t iw = iw0 + kw * g.dilation_w;
          if (iw < 0 || iw >= g.in_w) std::memset(dst + kw * ic, 0, ic * sizeof(float));
          else std::memcpy(dst + kw * ic, src + iw * ic, ic * sizeof(float));
        }
      }
    }
  });
}

// dx[b] = sum of dcols over every (output pixel, filter tap) that reads input pixel (b, ih, iw), for the images
// [b0, b1) whose dcols rows start at dcols. Each task owns whole input rows (b, ih): for every filter row kh that lands
// on ih it adds the matching output row's taps, so threads write disjoint memory and no index needs a division beyond
// one per (ih, kh).
void col2im(const Conv2DGeometry& g, const float* dcols, int64_t b0, int64_t b1, float* dx) {
  const int64_t K = conv_patch_size(g), ic = g.in_c;
  parallel_for((b1 - b0) * g.in_h, 4, [&](int64_t s, int64_t e) {
    for (int64_t t = s; t < e; ++t) {
      const int64_t bl = t / g.in_h, ih = t % g.in_h;
      float* out_row = dx + ((b0 + bl) * g.in_h + ih) * g.in_w * ic;
      std::memset(out_row, 0, g.in_w * ic * sizeof(float));
      for (int64_t kh = 0; kh < g.filter_h; ++kh) {
        const int64_t num_h = ih + g.pad_top - kh * g.dilation_h;
        if (num_h < 0 || num_h % g.stride_h != 0) continue;
        const int64_t oh = num_h / g.stride_h;
        if (oh >= g.out_h) continue;
        const float* src_row = dcols + (bl * g.out_h + oh) * g.out_w * K + kh * g.filter_w * ic;
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const int64_t iw0 = ow * g.stride_w - g.pad_left;
          const float* src = src_row + ow * K;
          for (int64_t kw = 0; kw < g.filter_w; ++kw) {
            const int64_t iw = iw0 + kw * g.dilation_w;
            if (iw < 0 || iw >= g.in_w) continue;
            float* acc = out_row + iw * ic;
            const float* tap = src + kw * ic;
            for (int64_t c = 0; c < ic; ++c) acc[c] += tap[c];
          }
        }
      }
    }
  });
}

// Output pixels per im2col chunk: every chunk but the last is a whole multiple of `unit` pixels.
int64_t chunk_pixels(int64_t K, int64_t total, int64_t unit) {
  const int64_t rows = std::max<int64_t>(unit, kColsBudget / std::max<int64_t>(K, 1) / unit * unit);
  return std::min(rows, total);
}

// Runs fn(p0, p1, cols) over consecutive chunks [p0, p1) of the P output pixels, cols holding their im2col rows.
template <class Fn>
void for_each_cols_chunk(const Conv2DGeometry& g, const float* x, int64_t P, Fn&& fn) {
  const int64_t K = conv_patch_size(g);
  const int64_t chunk = chunk_pixels(K, P, 1);
  float* cols = t_cols.get(chunk * K);
  for (int64_t p0 = 0; p0 < P; p0 += chunk) {
    const int64_t p1 = std::min(P, p0 + chunk);
    im2col(g, x, p0, p1, cols);
    fn(p0, p1, cols);
  }
}

}  // namespace

void conv2d(const Conv2DGeometry& g, const Tensor& x, const Tensor& filter, const Tensor& out) {
  const int64_t P = g.batch * g.out_h * g.out_w, K = conv_patch_size(g), N = g.out_c;
  if (P == 0 || N == 0) return;
  GemmArgs a;
  a.n = N;
  a.k = K;
  a.b = filter.data<float>();  // [K, N]
  a.ldb = N;
  a.ldc = N;
  if (conv_is_pointwise(g)) {
    a.m = P;
    a.a = x.data<float>();  // [P, inC]
    a.lda = K;
    a.c = out.data<float>();
    gemm(a);
    return;
  }
  for_each_cols_chunk(g, x.data<float>(), P, [&](int64_t p0, int64_t p1, const float* cols) {
    a.m = p1 - p0;
    a.a = cols;
    a.lda = K;
    a.c = out.data<float>() + p0 * N;
    gemm(a);
  });
}

void conv2d_backprop_filter(const Conv2DGeometry& g, const Tensor& x, const Tensor& dy, const Tensor& dfilter) {
  const int64_t P = g.batch * g.out_h * g.out_w, K = conv_patch_size(g), N = g.out_c;
  if (K == 0 || N == 0) return;
  GemmArgs a;
  a.m = K;
  a.n = N;
  a.trans_a = true;  // cols is stored [P, K]
  a.lda = K;
  a.ldb = N;
  a.c = dfilter.data<float>();  // [K, N]
  a.ldc = N;
  if (P == 0) {  // no output pixel: the gradient is zero (a GEMM with k = 0 writes exactly that)
    gemm(a);
    return;
  }
  if (conv_is_pointwise(g)) {
    a.k = P;
    a.a = x.data<float>();
    a.b = dy.data<float>();
    gemm(a);
    return;
  }
  for_each_cols_chunk(g, x.data<float>(), P, [&](int64_t p0, int64_t p1, const float* cols) {
    a.k = p1 - p0;
    a.a = cols;
    a.b = dy.data<float>() + p0 * N;
    a.beta = p0 == 0 ? 0.0f : 1.0f;
    gemm(a);
  });
}

void conv2d_backprop_input(const Conv2DGeometry& g, const Tensor& dy, const Tensor& filter, const Tensor& dx) {
  const int64_t P = g.batch * g.out_h * g.out_w, K = conv_patch_size(g), N = g.out_c;
  const int64_t dx_size = g.batch * g.in_h * g.in_w * g.in_c;
  if (dx_size == 0) return;
  GemmArgs a;
  a.n = K;
  a.k = N;
  a.b = filter.data<float>();  // stored [K, N]: op(B) = filter^T [N, K]
  a.trans_b = true;
  a.ldb = N;
  a.lda = N;
  a.ldc = K;
  if (conv_is_pointwise(g)) {
    a.m = P;
    a.a = dy.data<float>();
    a.c = dx.data<float>();
    gemm(a);
    return;
  }
  if (P == 0) {  // every input pixel is outside every window
    std::memset(dx.data<float>(), 0, dx_size * sizeof(float));
    return;
  }
  // Whole images per chunk, so col2im sees every window that touches the pixels it writes.
  const int64_t per_image = g.out_h * g.out_w;
  const int64_t chunk = chunk_pixels(K, P, per_image);
  float* dcols = t_cols.get(chunk * K);
  for (int64_t p0 = 0; p0 < P; p0 += chunk) {
    const int64_t p1 = std::min(P, p0 + chunk);
    a.m = p1 - p0;
    a.a = dy.data<float>() + p0 * N;
    a.c = dcols;
    gemm(a);
    col2im(g, dcols, p0 / per_image, p1 / per_image, dx.data<float>());
  }
}

}  // namespace ibot::cpu
