// N-API entries of the mask family (contract: packages/ops/src/kernel_names.ts). Each checks argument count, handles,
// devices, dtypes, shapes and attribute ranges, then dispatches.
//   BlockMask:      (out, outShape [batch, gridH, gridW] bool, ratios number[], ratioVars number[],
//                    shape 'block'|'rand', seed, step)   seed and step are unsigned 32-bit integers
//   MaskApply:      (tokens, [B, N, D] f32, mask, [B, N] bool, maskToken, [D] f32, out, [B, N, D] f32)
//   MaskApplyGrad:  (dy, [B, N, D] f32, mask, [B, N] bool, dTokens, [B, N, D] f32, dMaskToken, [D] f32)
#include <cmath>
#include <string>

#include "binding/args.h"
#include "binding/families.h"
#include "kernels/mask.h"

namespace ibot::binding {
namespace {

constexpr double kMaxU32 = 4294967295.0;

uint32_t u32(const Args& args, size_t i, const char* name) {
  const int64_t v = args.integer(i, name);
  if (v < 0 || static_cast<double>(v) > kMaxU32) args.fail(name, " must be an unsigned 32-bit integer, got ", v);
  return static_cast<uint32_t>(v);
}

// A JS array of 1..kMaxRatios finite numbers.
int numbers(const Args& args, size_t i, const char* name, double* out) {
  Napi::Value v = args.value(i);
  if (!v.IsArray()) args.fail(name, " must be an array of numbers");
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() < 1 || a.Length() > block_mask::kMaxRatios)
    args.fail(name, " must have 1 to ", block_mask::kMaxRatios, " entries, got ", a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value x = a.Get(k);
    if (!x.IsNumber() || !std::isfinite(x.As<Napi::Number>().DoubleValue()))
      args.fail(name, " must be an array of finite numbers (entry ", k, ")");
    out[k] = x.As<Napi::Number>().DoubleValue();
  }
  return static_cast<int>(a.Length());
}

Napi::Value BlockMask(const Napi::CallbackInfo& info) {
  Args args(info, "BlockMask");
  args.expect_count(7);
  Tensor out = args.tensor(0, "out");
  args.check_dtype(out, "out", {DType::kBool});
  if (out.rank() != 3) args.fail("out must have shape [batch, gridH, gridW], got ", out.describe());
  block_mask::Params p;
  p.grid_h = out.shape[1];
  p.grid_w = out.shape[2];
  // Crop indices and randint ranges are 32-bit in the generator.
  const double cells = static_cast<double>(p.grid_h) * static_cast<double>(p.grid_w);
  if (static_cast<double>(out.shape[0]) > kMaxU32 || cells > kMaxU32)
    args.fail("out ", out.describe(), " is too large (batch and gridH·gridW must be below 2^32)");
  p.num_ratios = numbers(args, 2, "ratios", p.ratios);
  if (numbers(args, 3, "ratioVars", p.ratio_vars) != p.num_ratios)
    args.fail("ratioVars must have as many entries as ratios (", p.num_ratios, ")");
  for (int k = 0; k < p.num_ratios; ++k) {
    const double r = p.ratios[k], v = p.ratio_vars[k];
    if (!(v >= 0) || !(r - v >= 0) || !(r + v <= 1))
      args.fail("ratios[", k, "] ± ratioVars[", k, "] must lie in [0, 1] with ratioVars >= 0, got ", r, " ± ", v);
  }
  const std::string shape = args.string(4, "shape");
  if (shape == "block") p.shape = block_mask::MaskShape::kBlock;
  else if (shape == "rand") p.shape = block_mask::MaskShape::kRand;
  else args.fail("shape must be 'block' or 'rand', got '", shape, "'");
  p.seed = u32(args, 5, "seed");
  p.step = u32(args, 6, "step");
  IBOT_DISPATCH(out.device(), block_mask, p, out);
  return info.Env().Undefined();
}

// x [B, N, D] float32 (tokens or dy) and mask [B, N] bool.
void check_rows(const Args& args, const Tensor& x, const char* x_name, const Tensor& mask) {
  args.check_dtype(x, x_name, {DType::kFloat32});
  if (x.rank() != 3) args.fail(x_name, " must have shape [B, N, D], got ", x.describe());
  args.check_dtype(mask, "mask", {DType::kBool});
  args.check_shape(mask, "mask", Shape{x.shape[0], x.shape[1]});
}

Napi::Value MaskApply(const Napi::CallbackInfo& info) {
  Args args(info, "MaskApply");
  args.expect_count(8);
  Tensor tokens = args.tensor(0, "tokens");
  Tensor mask = args.tensor(2, "mask");
  Tensor mask_token = args.tensor(4, "maskToken");
  Tensor out = args.tensor(6, "out");
  args.check_same_device({&tokens, &mask, &mask_token, &out});
  check_rows(args, tokens, "tokens", mask);
  args.check_dtype(mask_token, "maskToken", {DType::kFloat32});
  args.check_shape(mask_token, "maskToken", Shape{tokens.shape[2]});
  args.check_dtype(out, "out", {DType::kFloat32});
  args.check_shape(out, "out", tokens.shape);
  if (out.storage == tokens.storage || out.storage == mask_token.storage)
    args.fail("out must be a fresh buffer, not one of the inputs");
  IBOT_DISPATCH(tokens.device(), mask_apply, tokens, mask, mask_token, out);
  return info.Env().Undefined();
}

Napi::Value MaskApplyGrad(const Napi::CallbackInfo& info) {
  Args args(info, "MaskApplyGrad");
  args.expect_count(8);
  Tensor dy = args.tensor(0, "dy");
  Tensor mask = args.tensor(2, "mask");
  Tensor d_tokens = args.tensor(4, "dTokens");
  Tensor d_mask_token = args.tensor(6, "dMaskToken");
  args.check_same_device({&dy, &mask, &d_tokens, &d_mask_token});
  check_rows(args, dy, "dy", mask);
  args.check_dtype(d_tokens, "dTokens", {DType::kFloat32});
  args.check_shape(d_tokens, "dTokens", dy.shape);
  args.check_dtype(d_mask_token, "dMaskToken", {DType::kFloat32});
  args.check_shape(d_mask_token, "dMaskToken", Shape{dy.shape[2]});
  if (d_tokens.storage == dy.storage || d_mask_token.storage == d_tokens.storage)
    args.fail("the outputs must be fresh buffers distinct from dy and from each other");
  IBOT_DISPATCH(dy.device(), mask_apply_grad, dy, mask, d_tokens, d_mask_token);
  return info.Env().Undefined();
}

}  // namespace

void register_mask(Napi::Env env, Napi::Object exports) {
  export_op<BlockMask>(env, exports, "BlockMask");
  export_op<MaskApply>(env, exports, "MaskApply");
  export_op<MaskApplyGrad>(env, exports, "MaskApplyGrad");
}

}  // namespace ibot::binding
