// N-API entries of the conv family: Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter on NHWC float32 tensors with
// HWIO filters. The geometry comes from tfjs (backend_util.computeConv2DInfo) as strides [sH, sW], dilations [dH, dW]
// and pads [top, bottom, left, right]; the binding checks that the three tensor shapes agree with it exactly (the
// output extent is floor((in + top + bottom - dilatedFilter) / stride) + 1 on each axis).
#include "binding/args.h"
#include "binding/families.h"
#include "kernels/conv.h"

namespace ibot::binding {
namespace {

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Output extent of one spatial axis; 0 when the padded input is shorter than the dilated filter.
int64_t out_extent(int64_t in, int64_t filter, int64_t stride, int64_t dilation, int64_t pad_lo, int64_t pad_hi) {
  const int64_t effective = (filter - 1) * dilation + 1;
  const int64_t n = floor_div(in + pad_lo + pad_hi - effective, stride) + 1;
  return n < 0 ? 0 : n;
}

// Reads the attribute arguments at `i` (strides, dilations, pads) and checks them.
Conv2DGeometry read_geometry(const Args& args, size_t i) {
  std::vector<int64_t> strides = args.integers(i, "strides");
  std::vector<int64_t> dilations = args.integers(i + 1, "dilations");
  std::vector<int64_t> pads = args.integers(i + 2, "pads");
  // The upper bound keeps every index computation far from int64 overflow.
  const int64_t kMax = int64_t{1} << 30;
  auto in_range = [&](const std::vector<int64_t>& v, size_t n, int64_t lo) {
    if (v.size() != n) return false;
    for (int64_t e : v)
      if (e < lo || e > kMax) return false;
    return true;
  };
  if (!in_range(strides, 2, 1)) args.fail("strides must be two integers in [1, 2^30], got ", shape_str(strides));
  if (!in_range(dilations, 2, 1))
    args.fail("dilations must be two integers in [1, 2^30], got ", shape_str(dilations));
  // Bottom/right may be negative: they only say where the windows stop, and tfjs's computeConv2DInfo can return fewer
  // output positions than fit (numeric padding sizes the width from the filter height and stride height).
  if (pads.size() != 4 || pads[0] < 0 || pads[0] > kMax || pads[2] < 0 || pads[2] > kMax || pads[1] < -kMax ||
      pads[1] > kMax || pads[3] < -kMax || pads[3] > kMax)
    args.fail("pads must be [top, bottom, left, right] with top, left in [0, 2^30] and |bottom|, |right| <= 2^30, got ",
              shape_str(pads));
  Conv2DGeometry g;
  g.stride_h = strides[0];
  g.stride_w = strides[1];
  g.dilation_h = dilations[0];
  g.dilation_w = dilations[1];
  g.pad_top = pads[0];
  g.pad_left = pads[2];
  return g;
}

// Fills the sizes of `g` from x [B, H, W, C] and filter [fH, fW, C, outC]-shaped arguments, then checks y (the output
// side) against them. `pads` are needed for the bottom/right padding, which the geometry does not keep.
void complete_geometry(const Args& args, Conv2DGeometry& g, const Shape& x, const Shape& filter, const Shape& y,
                       const char* x_name, const char* filter_name, const char* y_name, size_t pads_arg) {
  if (x.size() != 4) args.fail(x_name, " must have rank 4 [batch, height, width, channels], got ", shape_str(x));
  if (filter.size() != 4)
    args.fail(filter_name, " must have rank 4 [filterHeight, filterWidth, inChannels, outChannels], got ",
              shape_str(filter));
  if (filter[2] != x[3])
    args.fail(filter_name, " ", shape_str(filter), " has ", filter[2], " input channels but ", x_name, " ",
              shape_str(x), " has ", x[3]);
  if (filter[0] < 1 || filter[1] < 1) args.fail(filter_name, " must have a non-empty window, got ", shape_str(filter));
  std::vector<int64_t> pads = args.integers(pads_arg, "pads");
  g.batch = x[0];
  g.in_h = x[1];
  g.in_w = x[2];
  g.in_c = x[3];
  g.filter_h = filter[0];
  g.filter_w = filter[1];
  g.out_c = filter[3];
  g.out_h = out_extent(g.in_h, g.filter_h, g.stride_h, g.dilation_h, pads[0], pads[1]);
  g.out_w = out_extent(g.in_w, g.filter_w, g.stride_w, g.dilation_w, pads[2], pads[3]);
  const Shape expected = {g.batch, g.out_h, g.out_w, g.out_c};
  if (y != expected)
    args.fail(y_name, " must have shape ", shape_str(expected), " for ", x_name, " ", shape_str(x), " and ",
              filter_name, " ", shape_str(filter), ", got ", shape_str(y));
}

// The three entries share one signature, (in0, in0Shape, in1, in1Shape, strides, dilations, pads, out, outShape), on
// float32 tensors of one device. Reads and checks it; the geometry's sizes are completed by complete_geometry.
struct ConvArgs {
  Tensor in0, in1, out;
  Conv2DGeometry g;
};

ConvArgs read_conv_args(const Args& args, const char* in0, const char* in1, const char* out) {
  args.expect_count(9);
  ConvArgs c;
  c.in0 = args.tensor(0, in0);
  c.in1 = args.tensor(2, in1);
  c.g = read_geometry(args, 4);
  c.out = args.tensor(7, out);
  args.check_same_device({&c.in0, &c.in1, &c.out});
  args.check_dtype(c.in0, in0, {DType::kFloat32});
  args.check_dtype(c.in1, in1, {DType::kFloat32});
  args.check_dtype(c.out, out, {DType::kFloat32});
  return c;
}

// Conv2D(x, xShape, filter, filterShape, strides, dilations, pads, out, outShape)
Napi::Value Conv2D(const Napi::CallbackInfo& info) {
  Args args(info, "Conv2D");
  auto [x, filter, out, g] = read_conv_args(args, "x", "filter", "out");
  complete_geometry(args, g, x.shape, filter.shape, out.shape, "x", "filter", "out", 6);
  IBOT_DISPATCH(x.device(), conv2d, g, x, filter, out);
  return info.Env().Undefined();
}

// Conv2DBackpropInput(dy, dyShape, filter, filterShape, strides, dilations, pads, dx, dxShape)
Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info) {
  Args args(info, "Conv2DBackpropInput");
  auto [dy, filter, dx, g] = read_conv_args(args, "dy", "filter", "dx");
  complete_geometry(args, g, dx.shape, filter.shape, dy.shape, "dx", "filter", "dy", 6);
  IBOT_DISPATCH(dy.device(), conv2d_backprop_input, g, dy, filter, dx);
  return info.Env().Undefined();
}

// Conv2DBackpropFilter(x, xShape, dy, dyShape, strides, dilations, pads, dfilter, dfilterShape)
Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) {
  Args args(info, "Conv2DBackpropFilter");
  auto [x, dy, dfilter, g] = read_conv_args(args, "x", "dy", "dfilter");
  complete_geometry(args, g, x.shape, dfilter.shape, dy.shape, "x", "dfilter", "dy", 6);
  IBOT_DISPATCH(x.device(), conv2d_backprop_filter, g, x, dy, dfilter);
  return info.Env().Undefined();
}

}  // namespace

void register_conv(Napi::Env env, Napi::Object exports) {
  export_op<Conv2D>(env, exports, "Conv2D");
  export_op<Conv2DBackpropInput>(env, exports, "Conv2DBackpropInput");
  export_op<Conv2DBackpropFilter>(env, exports, "Conv2DBackpropFilter");
}

}  // namespace ibot::binding
