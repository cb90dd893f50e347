// N-API entries of the norm family, one per fused kernel of packages/ops/src/kernel_names.ts (the export is the kernel
// name). Everything is float32 on one device; outputs are allocated by the caller and passed in, and must be buffers
// of their own (no output may share a buffer with an input or another output). "rows" = x's leading dimensions.
//   LayerNormFused:     (x, xShape, gamma, gShape, beta, bShape, eps, y, yShape, mean, mShape, rstd, rShape)
//   LayerNormFusedGrad: (dy, dyShape, x, xShape, gamma, gShape, mean, mShape, rstd, rShape,
//                        dx, dxShape, dgamma, dgShape, dbeta, dbShape)
//   LinearBiasGelu:     (x, xShape, w, wShape, b, bShape, y, yShape, z, zShape)      x [M, K], w [K, N], b [N]
//   GeluGrad:           (dy, dyShape, z, zShape, dz, dzShape)
//   L2Normalize:        (x, xShape, eps, y, yShape, norm, normShape)
//   L2NormalizeGrad:    (dy, dyShape, y, yShape, norm, normShape, eps, dx, dxShape)
//   WeightNorm:         (v, vShape, g, gShape, w, wShape, vNorm, nShape)              v [K, C], g [K, 1]
//   WeightNormGrad:     (dw, dwShape, v, vShape, g, gShape, vNorm, nShape, dv, dvShape, dg, dgShape)
#include <cmath>
#include <initializer_list>

#include "binding/args.h"
#include "binding/families.h"
#include "kernels/norm.h"

namespace ibot::binding {
namespace {

struct Named {
  const Tensor* t;
  const char* name;
};

// Every tensor float32 on one device; every output on a buffer that no other argument uses.
void check_tensors(const Args& args, std::initializer_list<Named> inputs, std::initializer_list<Named> outputs) {
  const Tensor* first = nullptr;
  for (auto list : {inputs, outputs})
    for (const Named& n : list) {
      args.check_dtype(*n.t, n.name, {DType::kFloat32});
      if (!first) first = n.t;
      else if (n.t->device() != first->device())
        args.fail("all tensors must be on one device, got ", device_name(first->device()), " and ",
                  device_name(n.t->device()), " (", n.name, ")");
    }
  for (const Named& o : outputs) {
    for (auto list : {inputs, outputs})
      for (const Named& n : list)
        if (n.t != o.t && n.t->storage == o.t->storage) args.fail(o.name, " must not share ", n.name, "'s buffer");
  }
}

Shape leading(const Shape& s) { return Shape(s.begin(), s.end() - 1); }

// eps: a finite number >= 0.
float read_eps(const Args& args, size_t i) {
  const double eps = args.number(i, "eps");
  if (!(eps >= 0.0) || !std::isfinite(eps)) args.fail("eps must be a finite number >= 0, got ", eps);
  return static_cast<float>(eps);
}

// x must have rank >= 1; returns its last dimension.
int64_t last_dim(const Args& args, const Tensor& x, const char* name) {
  if (x.rank() < 1) args.fail(name, " must have rank >= 1, got ", x.describe());
  return x.shape.back();
}

Napi::Value LayerNormFused(const Napi::CallbackInfo& info) {
  Args args(info, "LayerNormFused");
  args.expect_count(13);
  Tensor x = args.tensor(0, "x");
  Tensor gamma = args.tensor(2, "gamma");
  Tensor beta = args.tensor(4, "beta");
  const float eps = read_eps(args, 6);
  Tensor y = args.tensor(7, "y");
  Tensor mean = args.tensor(9, "mean");
  Tensor rstd = args.tensor(11, "rstd");
  check_tensors(args, {{&x, "x"}, {&gamma, "gamma"}, {&beta, "beta"}},
                {{&y, "y"}, {&mean, "mean"}, {&rstd, "rstd"}});
  const int64_t d = last_dim(args, x, "x");
  args.check_shape(gamma, "gamma", {d});
  args.check_shape(beta, "beta", {d});
  args.check_shape(y, "y", x.shape);
  args.check_shape(mean, "mean", leading(x.shape));
  args.check_shape(rstd, "rstd", leading(x.shape));
  IBOT_DISPATCH(x.device(), layer_norm, x, gamma, beta, eps, y, mean, rstd);
  return info.Env().Undefined();
}

Napi::Value LayerNormFusedGrad(const Napi::CallbackInfo& info) {
  Args args(info, "LayerNormFusedGrad");
  args.expect_count(16);
  Tensor dy = args.tensor(0, "dy");
  Tensor x = args.tensor(2, "x");
  Tensor gamma = args.tensor(4, "gamma");
  Tensor mean = args.tensor(6, "mean");
  Tensor rstd = args.tensor(8, "rstd");
  Tensor dx = args.tensor(10, "dx");
  Tensor dgamma = args.tensor(12, "dgamma");
  Tensor dbeta = args.tensor(14, "dbeta");
  check_tensors(args, {{&dy, "dy"}, {&x, "x"}, {&gamma, "gamma"}, {&mean, "mean"}, {&rstd, "rstd"}},
                {{&dx, "dx"}, {&dgamma, "dgamma"}, {&dbeta, "dbeta"}});
  const int64_t d = last_dim(args, x, "x");
  args.check_shape(dy, "dy", x.shape);
  args.check_shape(gamma, "gamma", {d});
  args.check_shape(mean, "mean", leading(x.shape));
  args.check_shape(rstd, "rstd", leading(x.shape));
  args.check_shape(dx, "dx", x.shape);
  args.check_shape(dgamma, "dgamma", {d});
  args.check_shape(dbeta, "dbeta", {d});
  IBOT_DISPATCH(x.device(), layer_norm_grad, dy, x, gamma, mean, rstd, dx, dgamma, dbeta);
  return info.Env().Undefined();
}

Napi::Value LinearBiasGelu(const Napi::CallbackInfo& info) {
  Args args(info, "LinearBiasGelu");
  args.expect_count(10);
  Tensor x = args.tensor(0, "x");
  Tensor w = args.tensor(2, "w");
  Tensor b = args.tensor(4, "b");
  Tensor y = args.tensor(6, "y");
  Tensor z = args.tensor(8, "z");
  check_tensors(args, {{&x, "x"}, {&w, "w"}, {&b, "b"}}, {{&y, "y"}, {&z, "z"}});
  if (x.rank() != 2 || w.rank() != 2)
    args.fail("x and w must have rank 2 ([M, K] and [K, N]), got ", x.describe(), " and ", w.describe());
  if (x.shape[1] != w.shape[0])
    args.fail("inner dimensions of x ", shape_str(x.shape), " and w ", shape_str(w.shape), " must agree");
  const Shape out{x.shape[0], w.shape[1]};
  args.check_shape(b, "b", {w.shape[1]});
  args.check_shape(y, "y", out);
  args.check_shape(z, "z", out);
  IBOT_DISPATCH(x.device(), linear_bias_gelu, x, w, b, y, z);
  return info.Env().Undefined();
}

Napi::Value GeluGrad(const Napi::CallbackInfo& info) {
  Args args(info, "GeluGrad");
  args.expect_count(6);
  Tensor dy = args.tensor(0, "dy");
  Tensor z = args.tensor(2, "z");
  Tensor dz = args.tensor(4, "dz");
  check_tensors(args, {{&dy, "dy"}, {&z, "z"}}, {{&dz, "dz"}});
  args.check_shape(dy, "dy", z.shape);
  args.check_shape(dz, "dz", z.shape);
  IBOT_DISPATCH(z.device(), gelu_grad, dy, z, dz);
  return info.Env().Undefined();
}

Napi::Value L2Normalize(const Napi::CallbackInfo& info) {
  Args args(info, "L2Normalize");
  args.expect_count(7);
  Tensor x = args.tensor(0, "x");
  const float eps = read_eps(args, 2);
  Tensor y = args.tensor(3, "y");
  Tensor norm = args.tensor(5, "norm");
  check_tensors(args, {{&x, "x"}}, {{&y, "y"}, {&norm, "norm"}});
  last_dim(args, x, "x");
  args.check_shape(y, "y", x.shape);
  args.check_shape(norm, "norm", leading(x.shape));
  IBOT_DISPATCH(x.device(), l2_normalize, x, eps, y, norm);
  return info.Env().Undefined();
}

Napi::Value L2NormalizeGrad(const Napi::CallbackInfo& info) {
  Args args(info, "L2NormalizeGrad");
  args.expect_count(9);
  Tensor dy = args.tensor(0, "dy");
  Tensor y = args.tensor(2, "y");
  Tensor norm = args.tensor(4, "norm");
  const float eps = read_eps(args, 6);
  Tensor dx = args.tensor(7, "dx");
  check_tensors(args, {{&dy, "dy"}, {&y, "y"}, {&norm, "norm"}}, {{&dx, "dx"}});
  last_dim(args, y, "y");
  args.check_shape(dy, "dy", y.shape);
  args.check_shape(norm, "norm", leading(y.shape));
  args.check_shape(dx, "dx", y.shape);
  IBOT_DISPATCH(y.device(), l2_normalize_grad, dy, y, norm, eps, dx);
  return info.Env().Undefined();
}

// v [K, C] and g [K, 1]; returns K.
int64_t check_weight_norm_operands(const Args& args, const Tensor& v, const Tensor& g) {
  if (v.rank() != 2) args.fail("v must have rank 2 ([K, C]), got ", v.describe());
  args.check_shape(g, "g", {v.shape[0], 1});
  return v.shape[0];
}

Napi::Value WeightNorm(const Napi::CallbackInfo& info) {
  Args args(info, "WeightNorm");
  args.expect_count(8);
  Tensor v = args.tensor(0, "v");
  Tensor g = args.tensor(2, "g");
  Tensor w = args.tensor(4, "w");
  Tensor v_norm = args.tensor(6, "vNorm");
  check_tensors(args, {{&v, "v"}, {&g, "g"}}, {{&w, "w"}, {&v_norm, "vNorm"}});
  const int64_t k = check_weight_norm_operands(args, v, g);
  args.check_shape(w, "w", v.shape);
  args.check_shape(v_norm, "vNorm", {k});
  IBOT_DISPATCH(v.device(), weight_norm, v, g, w, v_norm);
  return info.Env().Undefined();
}

Napi::Value WeightNormGrad(const Napi::CallbackInfo& info) {
  Args args(info, "WeightNormGrad");
  args.expect_count(12);
  Tensor dw = args.tensor(0, "dw");
  Tensor v = args.tensor(2, "v");
  Tensor g = args.tensor(4, "g");
  Tensor v_norm = args.tensor(6, "vNorm");
  Tensor dv = args.tensor(8, "dv");
  Tensor dg = args.tensor(10, "dg");
  check_tensors(args, {{&dw, "dw"}, {&v, "v"}, {&g, "g"}, {&v_norm, "vNorm"}}, {{&dv, "dv"}, {&dg, "dg"}});
  const int64_t k = check_weight_norm_operands(args, v, g);
  args.check_shape(dw, "dw", v.shape);
  args.check_shape(v_norm, "vNorm", {k});
  args.check_shape(dv, "dv", v.shape);
  args.check_shape(dg, "dg", {k, 1});
  IBOT_DISPATCH(v.device(), weight_norm_grad, dw, v, g, v_norm, dv, dg);
  return info.Env().Undefined();
}

}  // namespace

void register_norm(Napi::Env env, Napi::Object exports) {
  export_op<LayerNormFused>(env, exports, "LayerNormFused");
  export_op<LayerNormFusedGrad>(env, exports, "LayerNormFusedGrad");
  export_op<LinearBiasGelu>(env, exports, "LinearBiasGelu");
  export_op<GeluGrad>(env, exports, "GeluGrad");
  export_op<L2Normalize>(env, exports, "L2Normalize");
  export_op<L2NormalizeGrad>(env, exports, "L2NormalizeGrad");
  export_op<WeightNorm>(env, exports, "WeightNorm");
  export_op<WeightNormGrad>(env, exports, "WeightNormGrad");
}

}  // namespace ibot::binding
