// 2-D convolution on NHWC images with HWIO filters (tfjs's layout): forward and both backward passes. The geometry is
// computed in TypeScript (tfjs backend_util.computeConv2DInfo) and checked against the tensors by the binding.
// CPU: cpu/conv.cc, CUDA: cuda/conv.cu (both lower to the GEMM in kernels/matmul.h).
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ibot {

struct Conv2DGeometry {
  int64_t batch = 0;
  int64_t in_h = 0, in_w = 0, in_c = 0;
  int64_t out_h = 0, out_w = 0, out_c = 0;
  int64_t filter_h = 0, filter_w = 0;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;  // the bottom/right padding follows from the sizes
};

// Elements of one receptive field: the K of the im2col matrix [B * outH * outW, K] both devices lower to.
inline int64_t conv_patch_size(const Conv2DGeometry& g) { return g.filter_h * g.filter_w * g.in_c; }

// A 1x1, stride-1, unpadded conv: x [B * H * W, inC] is its own im2col matrix (every output pixel reads exactly its
// input pixel's channels).
inline bool conv_is_pointwise(const Conv2DGeometry& g) {
  return g.filter_h == 1 && g.filter_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 &&
         g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

namespace cpu {
// out [B, outH, outW, outC] = conv(x [B, inH, inW, inC], filter [fH, fW, inC, outC])
void conv2d(const Conv2DGeometry& g, const Tensor& x, const Tensor& filter, const Tensor& out);
// dx [B, inH, inW, inC] from dy [B, outH, outW, outC] and filter
void conv2d_backprop_input(const Conv2DGeometry& g, const Tensor& dy, const Tensor& filter, const Tensor& dx);
// dfilter [fH, fW, inC, outC] from x and dy
void conv2d_backprop_filter(const Conv2DGeometry& g, const Tensor& x, const Tensor& dy, const Tensor& dfilter);
}  // namespace cpu

namespace cuda {
void conv2d(const Conv2DGeometry& g, const Tensor& x, const Tensor& filter, const Tensor& out);
void conv2d_backprop_input(const Conv2DGeometry& g, const Tensor& dy, const Tensor& filter, const Tensor& dx);
void conv2d_backprop_filter(const Conv2DGeometry& g, const Tensor& x, const Tensor& dy, const Tensor& dfilter);
}  // namespace cuda

}  // namespace ibot
