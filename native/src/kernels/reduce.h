// Reduction-family kernels: Sum/Mean/Prod/Max/Min/Any/All over any axis set, ArgMax/ArgMin, Softmax (last axis), TopK
// (last axis) and the Cumsum/Cumprod scans. Implemented in cpu/reduce*.cc, cpu/softmax*.cc, cpu/topk.cc and
// cuda/{reduce,softmax,topk}.cu; the binding (binding/reduce.cc) has already checked devices, dtypes, shapes and attributes.
//
// Semantics follow the tfjs cpu backend (tfjs-backend-cpu 4.22), including its odd corners:
//   - Sum of int32/bool gives int32 (wrapping), Prod likewise; Mean always gives float32 (and 0 over an empty axis).
//   - Max/Min propagate NaN; over an empty axis they give NaN (float32) or 0 (int32/bool). Any/All of an empty axis
//     give false. ArgMax/ArgMin give the first index of the extreme value, skip NaNs after the first element and give
//     0 when the first element is NaN.
//   - Cumsum/Cumprod round after every step like tfjs (float32 adds; int32 products through double, then wrapped).
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace ibot {

// Op codes are internal (the JS side calls one export per tfjs kernel name).
enum class ReduceOp : int { kSum, kMean, kProd, kMax, kMin, kAny, kAll };
enum class ScanOp : int { kSum, kProd };

// Output dtype of a reduction of `in` (tfjs upcast rules: Sum/Prod of bool -> int32, Mean -> float32).
inline DType reduce_out_dtype(ReduceOp op, DType in) {
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kProd: return in == DType::kBool ? DType::kInt32 : in;
    case ReduceOp::kMean: return DType::kFloat32;
    default: return in;
  }
}

namespace cpu {
// out = reduce(x) over `axes` (sorted, unique, in [0, rank)); out holds the kept dimensions in order (keepDims only
// changes its shape, not its layout).
void reduce(ReduceOp op, const Tensor& x, const std::vector<int>& axes, const Tensor& out);
// out (int32) = index of the max (is_max) or min along `axis` of x.
void arg_reduce(bool is_max, const Tensor& x, int axis, const Tensor& out);
// Softmax along the last axis; x and out are float32 of one shape.
void softmax(const Tensor& x, const Tensor& out);
// The k largest entries of every row along the last axis (descending; ties by lower index), and their int32 indices.
void topk(const Tensor& x, int64_t k, const Tensor& values, const Tensor& indices);
// Inclusive/exclusive, forward/reverse scan along `axis`; out has x's shape and the scan's output dtype.
void scan(ScanOp op, const Tensor& x, int axis, bool exclusive, bool reverse, const Tensor& out);
}  // namespace cpu

namespace cuda {
void reduce(ReduceOp op, const Tensor& x, const std::vector<int>& axes, const Tensor& out);
void arg_reduce(bool is_max, const Tensor& x, int axis, const Tensor& out);
void softmax(const Tensor& x, const Tensor& out);
void topk(const Tensor& x, int64_t k, const Tensor& values, const Tensor& indices);
void scan(ScanOp op, const Tensor& x, int axis, bool exclusive, bool reverse, const Tensor& out);
}  // namespace cuda

}  // namespace ibot
