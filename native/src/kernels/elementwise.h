// Elementwise kernels: broadcasting binary ops, unary ops, Cast, Select, AddN, Fill and Range. Declared once here and
// implemented in cpu/elementwise.cc and cuda/elementwise.cu; the binding (binding/elementwise.cc) has already checked
// dtypes, devices and shapes against the op tables below, which are the one source of truth for what each op accepts.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace ibot {

// Dtype sets as bit masks (bit = DType code).
constexpr unsigned kF32 = 1u << 0, kI32 = 1u << 1, kBool = 1u << 2;
constexpr unsigned dtype_bit(DType t) { return 1u << static_cast<int>(t); }

// Output dtype of an op given its input dtype.
enum class OutRule : int { kSame, kBool, kInt32 };

constexpr DType out_dtype(OutRule rule, DType in) {
  return rule == OutRule::kBool ? DType::kBool : rule == OutRule::kInt32 ? DType::kInt32 : in;
}

// Cost: rough work per element relative to an add; the CPU divides its parallel grain by it so expensive ops split
// smaller tensors across threads.
struct ElementwiseOpInfo {
  const char* name;  // the tfjs kernel name and the native export
  unsigned dtypes;   // accepted input dtypes (both inputs share one dtype)
  OutRule out;
  int attrs;  // number attributes after the tensors (unary ops only)
  int cost;
};

// X(name, input dtypes, output rule, cost). Semantics are the tfjs cpu kernels' (kernels/elementwise_ops.inc).
#define IBOT_BINARY_OPS(X)                            \
  X(Add, kF32 | kI32, OutRule::kSame, 1)              \
  X(Sub, kF32 | kI32, OutRule::kSame, 1)              \
  X(Multiply, kF32 | kI32, OutRule::kSame, 1)         \
  X(RealDiv, kF32 | kI32, OutRule::kSame, 1)          \
  X(SquaredDifference, kF32 | kI32, OutRule::kSame, 1) \
  X(Maximum, kF32 | kI32, OutRule::kSame, 1)          \
  X(Minimum, kF32 | kI32, OutRule::kSame, 1)          \
  X(Pow, kF32 | kI32, OutRule::kSame, 16)             \
  X(FloorDiv, kF32 | kI32, OutRule::kInt32, 2)        \
  X(Mod, kF32 | kI32, OutRule::kSame, 4)              \
  X(Atan2, kF32 | kI32, OutRule::kSame, 16)           \
  X(Prelu, kF32, OutRule::kSame, 1)                   \
  X(EluGrad, kF32, OutRule::kSame, 1)                 \
  X(Equal, kF32 | kI32 | kBool, OutRule::kBool, 1)    \
  X(NotEqual, kF32 | kI32 | kBool, OutRule::kBool, 1) \
  X(Less, kF32 | kI32 | kBool, OutRule::kBool, 1)     \
  X(LessEqual, kF32 | kI32 | kBool, OutRule::kBool, 1) \
  X(Greater, kF32 | kI32 | kBool, OutRule::kBool, 1)  \
  X(GreaterEqual, kF32 | kI32 | kBool, OutRule::kBool, 1) \
  X(LogicalAnd, kBool, OutRule::kBool, 1)             \
  X(LogicalOr, kBool, OutRule::kBool, 1)

// X(name, input dtypes, output rule, number attributes, cost). int32 is native only where tfjs's int32 result is plain
// integer math; the backend sends other dtypes to the tfjs cpu kernel.
#define IBOT_UNARY_OPS(X)                                 \
  X(Neg, kF32 | kI32, OutRule::kSame, 0, 1)               \
  X(Square, kF32 | kI32, OutRule::kSame, 0, 1)            \
  X(Sqrt, kF32, OutRule::kSame, 0, 2)                     \
  X(Rsqrt, kF32, OutRule::kSame, 0, 4)                    \
  X(Exp, kF32, OutRule::kSame, 0, 4)                      \
  X(Expm1, kF32, OutRule::kSame, 0, 8)                    \
  X(Log, kF32, OutRule::kSame, 0, 4)                      \
  X(Log1p, kF32, OutRule::kSame, 0, 8)                    \
  X(Erf, kF32, OutRule::kSame, 0, 4)                      \
  X(Tanh, kF32, OutRule::kSame, 0, 4)                     \
  X(Abs, kF32 | kI32, OutRule::kSame, 0, 1)               \
  X(Sign, kF32 | kI32, OutRule::kSame, 0, 1)              \
  X(Relu, kF32 | kI32, OutRule::kSame, 0, 1)              \
  X(Relu6, kF32 | kI32, OutRule::kSame, 0, 1)             \
  X(Elu, kF32, OutRule::kSame, 0, 8)                      \
  X(Selu, kF32, OutRule::kSame, 0, 8)                     \
  X(LeakyRelu, kF32, OutRule::kSame, 1, 2)                \
  X(Step, kF32, OutRule::kSame, 1, 1)                     \
  X(Sigmoid, kF32, OutRule::kSame, 0, 4)                  \
  X(Softplus, kF32, OutRule::kSame, 0, 12)                \
  X(Floor, kF32 | kI32, OutRule::kSame, 0, 1)             \
  X(Ceil, kF32 | kI32, OutRule::kSame, 0, 1)              \
  X(Round, kF32 | kI32, OutRule::kSame, 0, 2)             \
  X(Reciprocal, kF32, OutRule::kSame, 0, 1)               \
  X(LogicalNot, kF32 | kI32 | kBool, OutRule::kBool, 0, 1) \
  X(IsNan, kF32 | kI32 | kBool, OutRule::kBool, 0, 1)     \
  X(IsInf, kF32 | kI32 | kBool, OutRule::kBool, 0, 1)     \
  X(IsFinite, kF32 | kI32 | kBool, OutRule::kBool, 0, 1)  \
  X(Sin, kF32, OutRule::kSame, 0, 16)                     \
  X(Cos, kF32, OutRule::kSame, 0, 16)                     \
  X(ClipByValue, kF32 | kI32, OutRule::kSame, 2, 2)

#define IBOT_EW_ENUM(name, ...) k##name,
enum class BinaryOp : int { IBOT_BINARY_OPS(IBOT_EW_ENUM) };
enum class UnaryOp : int { IBOT_UNARY_OPS(IBOT_EW_ENUM) };
#undef IBOT_EW_ENUM

#define IBOT_EW_BINARY_INFO(name, dtypes, out, cost) {#name, dtypes, out, 0, cost},
#define IBOT_EW_UNARY_INFO(name, dtypes, out, attrs, cost) {#name, dtypes, out, attrs, cost},
inline constexpr ElementwiseOpInfo kBinaryOpInfo[] = {IBOT_BINARY_OPS(IBOT_EW_BINARY_INFO)};
inline constexpr ElementwiseOpInfo kUnaryOpInfo[] = {IBOT_UNARY_OPS(IBOT_EW_UNARY_INFO)};
#undef IBOT_EW_BINARY_INFO
#undef IBOT_EW_UNARY_INFO

constexpr const ElementwiseOpInfo& op_info(BinaryOp op) { return kBinaryOpInfo[static_cast<int>(op)]; }
constexpr const ElementwiseOpInfo& op_info(UnaryOp op) { return kUnaryOpInfo[static_cast<int>(op)]; }

// Attributes of the unary ops that take them: LeakyRelu/Step (alpha = a), ClipByValue (min = a, max = b). Doubles,
// because tfjs computes with the attribute as a JS number.
struct UnaryAttrs {
  double a = 0;
  double b = 0;
};

// Select's condition as a shape that broadcasts to t's: a rank-1 condition over a higher-rank t picks rows, so [n]
// becomes [n, 1, ..., 1]; a same-shape or scalar condition is used as it is.
inline Shape select_condition_shape(const Shape& condition, const Shape& t) {
  if (condition.size() != 1 || t.size() <= 1) return condition;
  Shape s(t.size(), 1);
  s[0] = condition[0];
  return s;
}

// The kernels below, per device. Shapes and dtypes were checked by the binding:
//   binary:  out = op(a, b), NumPy broadcasting; a and b share a dtype, out has out_dtype(rule, a.dtype).
//   unary:   out = op(x), same shape.
//   cast:    out = x converted to out.dtype as tfjs does (float -> int32 truncates and wraps like Int32Array; NaN -> 0;
//            -> bool is x != 0, so NaN -> true).
//   select:  out = condition ? t : e. condition (bool) has t's shape, or is [t.shape[0]] and picks whole rows, or is a
//            scalar and picks a whole tensor; t, e and out share shape and dtype.
//   add_n:   out = sum of xs in list order (0 + x0 + x1 + ..., rounded after every add as tfjs does); one pass.
//   fill:    every element = value converted to out.dtype (JS typed-array rules).
//   range:   out[0] = start, out[i] = out[i-1] + step, rounded to out.dtype after every step (as tfjs).
namespace cpu {
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
void unary(UnaryOp op, const UnaryAttrs& attrs, const Tensor& x, const Tensor& out);
void cast(const Tensor& x, const Tensor& out);
void select(const Tensor& condition, const Tensor& t, const Tensor& e, const Tensor& out);
void add_n(const std::vector<Tensor>& xs, const Tensor& out);
void fill(const Tensor& out, double value);
void range(const Tensor& out, double start, double step);
}  // namespace cpu

namespace cuda {
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
void unary(UnaryOp op, const UnaryAttrs& attrs, const Tensor& x, const Tensor& out);
void cast(const Tensor& x, const Tensor& out);
void select(const Tensor& condition, const Tensor& t, const Tensor& e, const Tensor& out);
void add_n(const std::vector<Tensor>& xs, const Tensor& out);
void fill(const Tensor& out, double value);
void range(const Tensor& out, double start, double step);
}  // namespace cuda

}  // namespace ibot
