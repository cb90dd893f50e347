// N-API entries of the elementwise family, one per tfjs kernel (the export is the kernel's name). Each checks argument
// count, handles, devices, dtypes (against the op tables in kernels/elementwise.h) and shapes, then dispatches.
//   binary ops:  (a, aShape, b, bShape, out, outShape)           out: broadcast shape, dtype by the op's rule
//   unary ops:   (x, xShape, out, outShape[, attr...])           LeakyRelu/Step: alpha; ClipByValue: min, max
//   Cast:        (x, xShape, out, outShape)                      converts to out's dtype
//   Select:      (condition, cShape, t, tShape, e, eShape, out, outShape)
//   AddN:        ([[x, xShape], ...], out, outShape)
//   Fill:        (out, outShape, value); ZerosLike / OnesLike: (out, outShape)
//   Range:       (out, outShape, start, step)                    out: rank 1, float32 or int32
#include <string>

#include "binding/args.h"
#include "binding/families.h"
#include "kernels/elementwise.h"

namespace ibot::binding {
namespace {

void check_dtype_in(const Args& args, const Tensor& t, const char* name, unsigned mask) {
  if (mask & dtype_bit(t.dtype())) return;
  std::string list;
  for (DType d : {DType::kFloat32, DType::kInt32, DType::kBool})
    if (mask & dtype_bit(d)) list += str_cat(list.empty() ? "" : " or ", dtype_name(d));
  args.fail(name, " must be ", list, ", got ", t.describe());
}

template <BinaryOp kOp>
Napi::Value binary_entry(const Napi::CallbackInfo& info) {
  constexpr const ElementwiseOpInfo& op = op_info(kOp);
  Args args(info, op.name);
  args.expect_count(6);
  Tensor a = args.tensor(0, "a");
  Tensor b = args.tensor(2, "b");
  Tensor out = args.tensor(4, "out");
  args.check_same_device({&a, &b, &out});
  check_dtype_in(args, a, "a", op.dtypes);
  if (b.dtype() != a.dtype()) args.fail("a and b must have one dtype, got ", a.describe(), " and ", b.describe());
  args.check_dtype(out, "out", {out_dtype(op.out, a.dtype())});
  Shape expected;
  if (!broadcast_shapes(a.shape, b.shape, &expected))
    args.fail("shapes ", shape_str(a.shape), " and ", shape_str(b.shape), " do not broadcast");
  args.check_shape(out, "out", expected);
  IBOT_DISPATCH(a.device(), binary, kOp, a, b, out);
  return info.Env().Undefined();
}

template <UnaryOp kOp>
Napi::Value unary_entry(const Napi::CallbackInfo& info) {
  constexpr const ElementwiseOpInfo& op = op_info(kOp);
  Args args(info, op.name);
  args.expect_count(4 + op.attrs);
  Tensor x = args.tensor(0, "x");
  Tensor out = args.tensor(2, "out");
  args.check_same_device({&x, &out});
  check_dtype_in(args, x, "x", op.dtypes);
  args.check_dtype(out, "out", {out_dtype(op.out, x.dtype())});
  args.check_shape(out, "out", x.shape);
  UnaryAttrs attrs;
  if constexpr (kOp == UnaryOp::kClipByValue) {
    attrs.a = args.number(4, "clipValueMin");
    attrs.b = args.number(5, "clipValueMax");
    if (attrs.a > attrs.b) args.fail("clipValueMin (", attrs.a, ") must not exceed clipValueMax (", attrs.b, ")");
  } else if constexpr (op.attrs == 1) {
    attrs.a = args.number(4, "alpha");
  }
  IBOT_DISPATCH(x.device(), unary, kOp, attrs, x, out);
  return info.Env().Undefined();
}

Napi::Value Cast(const Napi::CallbackInfo& info) {
  Args args(info, "Cast");
  args.expect_count(4);
  Tensor x = args.tensor(0, "x");
  Tensor out = args.tensor(2, "out");
  args.check_same_device({&x, &out});
  args.check_shape(out, "out", x.shape);
  IBOT_DISPATCH(x.device(), cast, x, out);
  return info.Env().Undefined();
}

Napi::Value Select(const Napi::CallbackInfo& info) {
  Args args(info, "Select");
  args.expect_count(8);
  Tensor c = args.tensor(0, "condition");
  Tensor t = args.tensor(2, "t");
  Tensor e = args.tensor(4, "e");
  Tensor out = args.tensor(6, "out");
  args.check_same_device({&c, &t, &e, &out});
  args.check_dtype(c, "condition", {DType::kBool});
  if (e.dtype() != t.dtype() || e.shape != t.shape)
    args.fail("t and e must have one dtype and shape, got ", t.describe(), " and ", e.describe());
  args.check_dtype(out, "out", {t.dtype()});
  args.check_shape(out, "out", t.shape);
  bool rows = c.rank() == 1 && t.rank() >= 1 && c.shape[0] == t.shape[0];
  if (c.shape != t.shape && !rows && c.rank() != 0)
    args.fail("condition must have t's shape ", shape_str(t.shape), ", or be [", t.rank() ? t.shape[0] : 0,
              "] (one value per row) or a scalar; got ", c.describe());
  IBOT_DISPATCH(t.device(), select, c, t, e, out);
  return info.Env().Undefined();
}

Napi::Value AddN(const Napi::CallbackInfo& info) {
  Args args(info, "AddN");
  args.expect_count(3);
  std::vector<Tensor> xs = args.tensor_list(0, "inputs");
  Tensor out = args.tensor(1, "out");
  if (xs.empty()) args.fail("needs at least one input");
  for (size_t i = 0; i < xs.size(); ++i) {
    std::string name = str_cat("inputs[", i, "]");
    args.check_same_device({&xs[i], &out});
    check_dtype_in(args, xs[i], name.c_str(), kF32 | kI32);
    if (xs[i].dtype() != xs[0].dtype() || xs[i].shape != xs[0].shape)
      args.fail("all inputs must have one dtype and shape: inputs[0] is ", xs[0].describe(), ", ", name, " is ",
                xs[i].describe());
  }
  args.check_dtype(out, "out", {xs[0].dtype()});
  args.check_shape(out, "out", xs[0].shape);
  IBOT_DISPATCH(out.device(), add_n, xs, out);
  return info.Env().Undefined();
}

Napi::Value fill_entry(const Napi::CallbackInfo& info, const char* name, const double* constant) {
  Args args(info, name);
  args.expect_count(constant ? 2 : 3);
  Tensor out = args.tensor(0, "out");
  double value = constant ? *constant : args.number(2, "value");
  IBOT_DISPATCH(out.device(), fill, out, value);
  return info.Env().Undefined();
}

Napi::Value Fill(const Napi::CallbackInfo& info) { return fill_entry(info, "Fill", nullptr); }
Napi::Value ZerosLike(const Napi::CallbackInfo& info) {
  static const double kZero = 0;
  return fill_entry(info, "ZerosLike", &kZero);
}
Napi::Value OnesLike(const Napi::CallbackInfo& info) {
  static const double kOne = 1;
  return fill_entry(info, "OnesLike", &kOne);
}

Napi::Value Range(const Napi::CallbackInfo& info) {
  Args args(info, "Range");
  args.expect_count(4);
  Tensor out = args.tensor(0, "out");
  check_dtype_in(args, out, "out", kF32 | kI32);
  if (out.rank() != 1) args.fail("out must have rank 1, got ", out.describe());
  double start = args.number(2, "start");
  double step = args.number(3, "step");
  IBOT_DISPATCH(out.device(), range, out, start, step);
  return info.Env().Undefined();
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports) {
#define IBOT_EW_EXPORT_BINARY(name, ...) export_op<binary_entry<BinaryOp::k##name>>(env, exports, #name);
#define IBOT_EW_EXPORT_UNARY(name, ...) export_op<unary_entry<UnaryOp::k##name>>(env, exports, #name);
  IBOT_BINARY_OPS(IBOT_EW_EXPORT_BINARY)
  IBOT_UNARY_OPS(IBOT_EW_EXPORT_UNARY)
#undef IBOT_EW_EXPORT_BINARY
#undef IBOT_EW_EXPORT_UNARY
  export_op<Cast>(env, exports, "Cast");
  export_op<Select>(env, exports, "Select");
  export_op<AddN>(env, exports, "AddN");
  export_op<Fill>(env, exports, "Fill");
  export_op<ZerosLike>(env, exports, "ZerosLike");
  export_op<OnesLike>(env, exports, "OnesLike");
  export_op<Range>(env, exports, "Range");
}

}  // namespace ibot::binding
