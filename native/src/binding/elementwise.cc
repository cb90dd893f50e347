// N-API entries of the elementwise family. Every entry is (a, aShape, b, bShape, out, outShape): out must have the
// broadcast shape of a and b and their dtype.
#include "binding/args.h"
#include "binding/families.h"
#include "kernels/elementwise.h"

namespace ibot::binding {
namespace {

template <BinaryOp kOp>
Napi::Value binary_entry(const Napi::CallbackInfo& info, const char* name, std::initializer_list<DType> dtypes) {
  Args args(info, name);
  args.expect_count(6);
  Tensor a = args.tensor(0, "a");
  Tensor b = args.tensor(2, "b");
  Tensor out = args.tensor(4, "out");
  args.check_same_device({&a, &b, &out});
  args.check_dtype(a, "a", dtypes);
  if (b.dtype() != a.dtype()) args.fail("a and b must have one dtype, got ", a.describe(), " and ", b.describe());
  if (out.dtype() != a.dtype()) args.fail("out must be ", dtype_name(a.dtype()), ", got ", out.describe());
  Shape expected;
  if (!broadcast_shapes(a.shape, b.shape, &expected))
    args.fail("shapes ", shape_str(a.shape), " and ", shape_str(b.shape), " do not broadcast");
  args.check_shape(out, "out", expected);
  IBOT_DISPATCH(a.device(), binary, kOp, a, b, out);
  return info.Env().Undefined();
}

Napi::Value Add(const Napi::CallbackInfo& info) {
  return binary_entry<BinaryOp::kAdd>(info, "Add", {DType::kFloat32, DType::kInt32});
}
Napi::Value Sub(const Napi::CallbackInfo& info) {
  return binary_entry<BinaryOp::kSub>(info, "Sub", {DType::kFloat32, DType::kInt32});
}
Napi::Value Multiply(const Napi::CallbackInfo& info) {
  return binary_entry<BinaryOp::kMul>(info, "Multiply", {DType::kFloat32, DType::kInt32});
}
Napi::Value RealDiv(const Napi::CallbackInfo& info) {
  return binary_entry<BinaryOp::kDiv>(info, "RealDiv", {DType::kFloat32});
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports) {
  export_op<Add>(env, exports, "Add");
  export_op<Sub>(env, exports, "Sub");
  export_op<Multiply>(env, exports, "Multiply");
  export_op<RealDiv>(env, exports, "RealDiv");
}

}  // namespace ibot::binding
