// N-API entries of the matmul family: BatchMatMul and FusedMatMul (tfjs's _FusedMatMul). The output shape is
// [...broadcast(batchA, batchB), M, N]; everything is float32 on one device.
#include "binding/args.h"
#include "binding/families.h"
#include "kernels/matmul.h"

namespace ibot::binding {
namespace {

// Checks a, b and out of a (possibly fused) matmul and fills the shape part of `p`.
void check_product(const Args& args, MatMulParams& p) {
  args.check_dtype(p.a, "a", {DType::kFloat32});
  args.check_dtype(p.b, "b", {DType::kFloat32});
  args.check_dtype(p.out, "out", {DType::kFloat32});
  const Shape& as = p.a.shape;
  const Shape& bs = p.b.shape;
  if (as.size() < 2 || bs.size() < 2)
    args.fail("a and b must have rank >= 2, got ", p.a.describe(), " and ", p.b.describe());
  const size_t ra = as.size(), rb = bs.size();
  const int64_t k_a = p.transpose_a ? as[ra - 2] : as[ra - 1];
  const int64_t k_b = p.transpose_b ? bs[rb - 1] : bs[rb - 2];
  if (k_a != k_b)
    args.fail("inner dimensions of a ", shape_str(as), " and b ", shape_str(bs), " (transposeA=", p.transpose_a,
              ", transposeB=", p.transpose_b, ") must agree, got ", k_a, " and ", k_b);
  Shape batch;
  if (!broadcast_shapes(Shape(as.begin(), as.end() - 2), Shape(bs.begin(), bs.end() - 2), &batch))
    args.fail("batch dimensions of a ", shape_str(as), " and b ", shape_str(bs), " do not broadcast");
  batch.push_back(p.transpose_a ? as[ra - 1] : as[ra - 2]);
  batch.push_back(p.transpose_b ? bs[rb - 2] : bs[rb - 1]);
  args.check_shape(p.out, "out", batch);
}

// An optional operand of the epilogue must be float32 and broadcast to the output without growing it.
void check_broadcasts_to_out(const Args& args, const Tensor& t, const char* name, const Tensor& out) {
  args.check_dtype(t, name, {DType::kFloat32});
  Shape joint;
  if (!broadcast_shapes(t.shape, out.shape, &joint) || joint != out.shape)
    args.fail(name, " ", shape_str(t.shape), " must broadcast to the output shape ", shape_str(out.shape));
}

// Both entries start with (a, aShape, b, bShape, transposeA, transposeB, ...).
MatMulParams read_operands(const Args& args) {
  MatMulParams p;
  p.a = args.tensor(0, "a");
  p.b = args.tensor(2, "b");
  p.transpose_a = args.boolean(4, "transposeA");
  p.transpose_b = args.boolean(5, "transposeB");
  return p;
}

// BatchMatMul(a, aShape, b, bShape, transposeA, transposeB, out, outShape)
Napi::Value BatchMatMul(const Napi::CallbackInfo& info) {
  Args args(info, "BatchMatMul");
  args.expect_count(8);
  MatMulParams p = read_operands(args);
  p.out = args.tensor(6, "out");
  args.check_same_device({&p.a, &p.b, &p.out});
  check_product(args, p);
  IBOT_DISPATCH(p.a.device(), batch_matmul, p);
  return info.Env().Undefined();
}

// FusedMatMul(a, aShape, b, bShape, transposeA, transposeB, bias|null, biasShape|null, activation, prelu|null,
//             preluShape|null, leakyAlpha, out, outShape)
Napi::Value FusedMatMul(const Napi::CallbackInfo& info) {
  Args args(info, "FusedMatMul");
  args.expect_count(14);
  MatMulParams p = read_operands(args);
  p.bias = args.optional_tensor(6, "bias");
  const int64_t act = args.integer(8, "activation");
  if (act < static_cast<int>(Activation::kLinear) || act > static_cast<int>(Activation::kGeluErf))
    args.fail("activation code must be in [0, 7], got ", act);
  p.activation = static_cast<Activation>(act);
  p.prelu = args.optional_tensor(9, "prelu");
  p.leaky_alpha = static_cast<float>(args.number(11, "leakyAlpha"));
  p.out = args.tensor(12, "out");
  args.check_same_device({&p.a, &p.b, &p.bias, &p.prelu, &p.out});
  check_product(args, p);
  if (p.bias.present()) check_broadcasts_to_out(args, p.bias, "bias", p.out);
  if ((p.activation == Activation::kPrelu) != p.prelu.present())
    args.fail("prelu weights must be given exactly when the activation is prelu (5), got activation ", act,
              p.prelu.present() ? " with" : " without", " weights");
  if (p.prelu.present()) check_broadcasts_to_out(args, p.prelu, "prelu", p.out);
  IBOT_DISPATCH(p.a.device(), batch_matmul, p);
  return info.Env().Undefined();
}

}  // namespace

void register_matmul(Napi::Env env, Napi::Object exports) {
  export_op<BatchMatMul>(env, exports, "BatchMatMul");
  export_op<FusedMatMul>(env, exports, "FusedMatMul");
}

}  // namespace ibot::binding
