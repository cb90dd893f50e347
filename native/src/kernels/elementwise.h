// Elementwise kernels: broadcasting binary ops. One declaration per family, implemented in cpu/elementwise.cc and
// cuda/elementwise.cu; the binding (binding/elementwise.cc) has already checked dtypes, devices and shapes.
#pragma once
#include "core/tensor.h"

namespace ibot {

// Op codes are internal (the JS side calls one export per op: Add, Sub, ...).
enum class BinaryOp : int { kAdd, kSub, kMul, kDiv };

namespace cpu {
// out = op(a, b) with NumPy broadcasting; a, b and out share one numeric dtype (float32 or int32).
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
}  // namespace cpu

namespace cuda {
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
}  // namespace cuda

}  // namespace ibot
