// The device-independent half of the reduce family's entry points, shared by cpu/{reduce,reduce_scan,topk}.cc and
// cuda/{reduce,topk}.cu so both devices apply the same tfjs rules: the [outer, R, inner] view around an axis, what an
// empty input gives, the dtype switches, and the Cumsum/Cumprod step functors (which run on both devices). Each device
// passes its typed loop or launcher as a generic lambda.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/tensor.h"
#include "kernels/reduce.h"
#include "kernels/reduce_plan.h"  // IBOT_REDUCE_HD

namespace ibot {

// What JS does when a double is stored into an Int32Array (ToInt32): truncate and wrap modulo 2^32; NaN/inf -> 0.
IBOT_REDUCE_HD inline int32_t int32_from_double(double v) {
  if (!std::isfinite(v)) return 0;
  double m = std::fmod(std::trunc(v), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(m));
}

// Calls fn(T{}) with the element type of `dtype` (bool is stored as uint8_t).
template <class Fn>
void visit_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kFloat32: return fn(float{});
    case DType::kInt32: return fn(int32_t{});
    case DType::kBool: return fn(uint8_t{});
  }
}

// x viewed as [outer, R, inner] around one axis (ArgMax/ArgMin, Cumsum/Cumprod).
struct AxisView {
  int64_t outer = 1, R = 1, inner = 1;
};

inline AxisView view_around_axis(const Shape& shape, int axis) {
  AxisView v;
  for (int d = 0; d < axis; ++d) v.outer *= shape[d];
  for (int d = axis + 1; d < static_cast<int>(shape.size()); ++d) v.inner *= shape[d];
  v.R = shape[axis];
  return v;
}

// What tfjs cpu gives for an empty reduced set: Sum/Mean 0, Prod 1, Max/Min NaN (float32) or 0, Any/All false.
// Calls fill(typed out, out.numel(), value).
template <class Fill>
void fill_empty_reduce(ReduceOp op, const Tensor& out, Fill&& fill) {
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T v = T(0);
    if constexpr (std::is_same_v<T, float>) {
      if (op == ReduceOp::kProd) v = 1.0f;
      else if (op == ReduceOp::kMax || op == ReduceOp::kMin) v = std::numeric_limits<float>::quiet_NaN();
    } else if constexpr (std::is_same_v<T, int32_t>) {
      if (op == ReduceOp::kProd) v = 1;
    }
    fill(out.data<T>(), out.numel(), v);
  });
}

// ArgMax/ArgMin: out [outer, inner] (int32) holds the index of the extreme of x [outer, R, inner] along R. When R is
// empty tfjs's loop never runs and index 0 is stored: zero(out, n). Otherwise run(is_max, typed x, out, view), with
// is_max a std::bool_constant so the device can make it a template argument.
template <class Zero, class Run>
void dispatch_arg_reduce(bool is_max, const Tensor& x, int axis, const Tensor& out, Zero&& zero, Run&& run) {
  const AxisView v = view_around_axis(x.shape, axis);
  if (v.outer * v.inner == 0) return;
  int32_t* o = out.data<int32_t>();
  if (v.R == 0) return zero(o, v.outer * v.inner);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (is_max) run(std::true_type{}, x.data<T>(), o, v);
    else run(std::false_type{}, x.data<T>(), o, v);
  });
}

// Cumsum/Cumprod steps, rounded like tfjs cpu: float32 adds and multiplies; int32 sums wrapped (what ToInt32(a + b)
// gives for the exact sum); int32 products through a double, like JS (the product may round above 2^53 before it
// wraps). tfjs: y[first] = exclusive ? identity : x[first]; y[j] = step(exclusive ? x[prev] : x[j], y[prev]).
struct ScanAddF32 {
  IBOT_REDUCE_HD float operator()(float a, float b) const { return a + b; }
};
struct ScanMulF32 {
  IBOT_REDUCE_HD float operator()(float a, float b) const { return a * b; }
};
struct ScanAddI32 {
  IBOT_REDUCE_HD int32_t operator()(int32_t a, int32_t b) const {
    return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
  }
};
struct ScanMulI32 {
  IBOT_REDUCE_HD int32_t operator()(int32_t a, int32_t b) const {
    return int32_from_double(static_cast<double>(a) * static_cast<double>(b));
  }
};

// Scan of x along `axis` into out (x's shape; float32 stays float32, int32 and bool give int32): calls
// run(typed x, typed out, view, identity, step) unless x is empty.
template <class Run>
void dispatch_scan(ScanOp op, const Tensor& x, int axis, const Tensor& out, Run&& run) {
  if (x.numel() == 0) return;
  const AxisView v = view_around_axis(x.shape, axis);
  const bool sum = op == ScanOp::kSum;
  auto integer = [&](const auto* xd) {
    if (sum) run(xd, out.data<int32_t>(), v, int32_t{0}, ScanAddI32{});
    else run(xd, out.data<int32_t>(), v, int32_t{1}, ScanMulI32{});
  };
  switch (x.dtype()) {
    case DType::kFloat32:
      if (sum) return run(x.data<float>(), out.data<float>(), v, 0.0f, ScanAddF32{});
      return run(x.data<float>(), out.data<float>(), v, 1.0f, ScanMulF32{});
    case DType::kInt32: return integer(x.data<int32_t>());
    case DType::kBool: return integer(x.data<uint8_t>());
  }
}

// TopK along the last axis: calls run(typed x, typed values, indices, rows, n) for x [rows, n] unless k or x is empty.
template <class Run>
void dispatch_topk(const Tensor& x, int64_t k, const Tensor& values, const Tensor& indices, Run&& run) {
  const int64_t n = x.shape.back();
  if (k == 0 || x.numel() == 0) return;
  const int64_t rows = x.numel() / n;
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    run(x.data<T>(), values.data<T>(), indices.data<int32_t>(), rows, n);
  });
}

}  // namespace ibot
