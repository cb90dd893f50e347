// CUDA elementwise kernels: the CPU's op functors (kernels/elementwise_ops.inc) in grid-stride kernels on the addon's
// stream. Inputs of the output's shape take a flat path with 4-wide vector loads and stores; broadcasts walk the
// collapsed plan from core/broadcast.h with 32-bit index math whenever the output allows it.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/broadcast.h"
#include "cuda/common.cuh"
#include "kernels/elementwise.h"

namespace ibot::cuda {
namespace {

#define IBOT_EW_HD __host__ __device__ inline

// CUDA's accurate single-precision functions (a few ulp at most; no fast-math intrinsics).
IBOT_EW_HD float ew_exp(float x) { return expf(x); }
IBOT_EW_HD float ew_log(float x) { return logf(x); }
IBOT_EW_HD float ew_expm1(float x) { return expm1f(x); }
IBOT_EW_HD float ew_log1p(float x) { return log1pf(x); }
IBOT_EW_HD float ew_tanh(float x) { return tanhf(x); }
IBOT_EW_HD float ew_sin(float x) { return sinf(x); }
IBOT_EW_HD float ew_cos(float x) { return cosf(x); }
// Through e^-|x|, so large negative x keeps its tiny value instead of 1 / (1 + Inf) = 0.
IBOT_EW_HD float ew_sigmoid(float x) {
  float e = expf(-fabsf(x));
  float s = 1.0f / (1.0f + e);
  return x < 0.0f ? e * s : s;
}

#include "kernels/elementwise_ops.inc"

#undef IBOT_EW_HD

template <typename F>
F make_op(const UnaryAttrs& attrs) {
  if constexpr (std::is_constructible_v<F, const UnaryAttrs&>) return F(attrs);
  else return F{};
}

constexpr int kThreads = 256;

template <typename T>
struct alignas(sizeof(T) * 4) Vec4 {
  T v[4];
};

// Vector accesses need every pointer aligned to 4 elements; buffers come from cudaMallocAsync (256-byte aligned) and
// are never offset, so this holds except for hand-made views.
bool aligned4(const void* p, size_t elem) { return reinterpret_cast<uintptr_t>(p) % (4 * elem) == 0; }

template <int N>
struct DevicePlan {
  int rank;
  int64_t shape[kMaxBroadcastRank];
  int64_t strides[N][kMaxBroadcastRank];
};

template <int N>
DevicePlan<N> device_plan(const BroadcastPlan& bp) {
  DevicePlan<N> p{};
  p.rank = bp.rank;
  for (int d = 0; d < bp.rank; ++d) {
    p.shape[d] = bp.shape[d];
    for (int k = 0; k < N; ++k) p.strides[k][d] = bp.strides[k][d];
  }
  return p;
}

// Element offsets of output index i in each of the plan's N inputs.
template <typename I, int N>
__device__ void plan_offsets(const DevicePlan<N>& p, I i, I (&off)[N]) {
  for (int k = 0; k < N; ++k) off[k] = 0;
  for (int d = p.rank - 1; d >= 0; --d) {
    const I dim = static_cast<I>(p.shape[d]);
    const I idx = i % dim;
    i /= dim;
    for (int k = 0; k < N; ++k) off[k] += idx * static_cast<I>(p.strides[k][d]);
  }
}

// ---- kernels -----------------------------------------------------------------------------------------------------

// out[i] = f(x[i]); the first n4 groups of 4 with vector accesses (n4 = 0 when unaligned), the rest one by one.
template <typename T, typename Out, typename F>
__global__ void map_kernel(const T* __restrict__ x, Out* __restrict__ out, int64_t n, int64_t n4, F f) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t i = first; i < n4; i += stride) {
    const Vec4<T> v = reinterpret_cast<const Vec4<T>*>(x)[i];
    Vec4<Out> r;
#pragma unroll
    for (int k = 0; k < 4; ++k) r.v[k] = f(v.v[k]);
    reinterpret_cast<Vec4<Out>*>(out)[i] = r;
  }
  for (int64_t i = 4 * n4 + first; i < n; i += stride) out[i] = f(x[i]);
}

// out[i] = f(a[i], b[i]) for inputs of the output's shape.
template <typename T, typename Out, typename F>
__global__ void zip_kernel(const T* __restrict__ a, const T* __restrict__ b, Out* __restrict__ out, int64_t n,
                           int64_t n4, F f) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t i = first; i < n4; i += stride) {
    const Vec4<T> va = reinterpret_cast<const Vec4<T>*>(a)[i];
    const Vec4<T> vb = reinterpret_cast<const Vec4<T>*>(b)[i];
    Vec4<Out> r;
#pragma unroll
    for (int k = 0; k < 4; ++k) r.v[k] = f(va.v[k], vb.v[k]);
    reinterpret_cast<Vec4<Out>*>(out)[i] = r;
  }
  for (int64_t i = 4 * n4 + first; i < n; i += stride) out[i] = f(a[i], b[i]);
}

template <typename I, typename T, typename Out, typename F>
__global__ void broadcast_kernel(DevicePlan<2> p, I n, const T* __restrict__ a, const T* __restrict__ b,
                                 Out* __restrict__ out, F f) {
  const I stride = static_cast<I>(gridDim.x) * blockDim.x;
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    I off[2];
    plan_offsets(p, i, off);
    out[i] = f(a[off[0]], b[off[1]]);
  }
}

// t, e and out share a shape; the plan holds the condition's strides only.
template <typename I, typename T>
__global__ void select_kernel(DevicePlan<1> p, I n, const uint8_t* __restrict__ c, const T* __restrict__ t,
                              const T* __restrict__ e, T* __restrict__ out) {
  const I stride = static_cast<I>(gridDim.x) * blockDim.x;
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    I off[1];
    plan_offsets(p, i, off);
    out[i] = c[off[0]] == 1 ? t[i] : e[i];  // tfjs picks t where the condition value is exactly 1
  }
}

constexpr int kAddNGroup = 8;

template <typename T>
struct AddNGroup {
  const T* x[kAddNGroup];
  int count;
};

// Adds one group of up to 8 inputs to out (or to 0 for the first group), in list order as tfjs does.
template <typename T>
__global__ void add_n_kernel(AddNGroup<T> g, T* __restrict__ out, int64_t n, bool first_group) {
  const Add add{};
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    T acc = add(first_group ? T(0) : out[i], g.x[0][i]);
    for (int k = 1; k < g.count; ++k) acc = add(acc, g.x[k][i]);
    out[i] = acc;
  }
}

template <typename T>
__global__ void fill_kernel(T* __restrict__ out, int64_t n, T value) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) out[i] = value;
}

// tfjs accumulates out[i] = out[i-1] + step in the output dtype: one thread does exactly that.
template <typename T>
__global__ void range_sequential_kernel(T* out, int64_t n, double start, double step) {
  if (n > 0) out[0] = js_store<T>(start);
  for (int64_t i = 1; i < n; ++i) out[i] = js_store<T>(static_cast<double>(out[i - 1]) + step);
}

// The cases where the accumulation is exact, so out[i] = start + i * step: int32 with an integer step (wrapping
// modulo 2^32), float32 with integer start and step whose values all stay within +-2^24.
template <typename T>
__global__ void range_parallel_kernel(T* __restrict__ out, int64_t n, double start, double step) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    if constexpr (std::is_same_v<T, int32_t>) {
      out[i] = wrap_i32(uint32_t(js_to_int32(start)) + uint32_t(i) * uint32_t(js_to_int32(step)));
    } else {
      out[i] = static_cast<T>(start + static_cast<double>(i) * step);
    }
  }
}

// ---- launchers ---------------------------------------------------------------------------------------------------

template <typename T, typename F>
void launch_map(F f, const void* x_v, void* out_v, int64_t n) {
  using Out = decltype(f(T()));
  const T* x = static_cast<const T*>(x_v);
  Out* out = static_cast<Out*>(out_v);
  const int64_t n4 = aligned4(x, sizeof(T)) && aligned4(out, sizeof(Out)) ? n / 4 : 0;
  map_kernel<<<blocks_for(n4 > 0 ? n4 : n, kThreads), kThreads, 0, stream()>>>(x, out, n, n4, f);
  IBOT_CUDA_CHECK_LAUNCH("map_kernel");
}

template <typename T, typename F>
void launch_binary(F f, const BroadcastPlan& plan, int64_t n, const void* a_v, const void* b_v, void* out_v) {
  using Out = decltype(f(T(), T()));
  const T* a = static_cast<const T*>(a_v);
  const T* b = static_cast<const T*>(b_v);
  Out* out = static_cast<Out*>(out_v);
  if (plan.rank == 1 && plan.inner_stride[0] == 1 && plan.inner_stride[1] == 1) {
    const bool vec = aligned4(a, sizeof(T)) && aligned4(b, sizeof(T)) && aligned4(out, sizeof(Out));
    const int64_t n4 = vec ? n / 4 : 0;
    zip_kernel<<<blocks_for(n4 > 0 ? n4 : n, kThreads), kThreads, 0, stream()>>>(a, b, out, n, n4, f);
    IBOT_CUDA_CHECK_LAUNCH("zip_kernel");
    return;
  }
  const DevicePlan<2> p = device_plan<2>(plan);
  if (n < (int64_t{1} << 31)) {
    broadcast_kernel<uint32_t><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(p, uint32_t(n), a, b, out, f);
  } else {
    broadcast_kernel<int64_t><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(p, n, a, b, out, f);
  }
  IBOT_CUDA_CHECK_LAUNCH("broadcast_kernel");
}

// Instantiates only the dtypes the op accepts (kTypes, from the op table).
template <unsigned kTypes, typename F>
void binary_typed(F f, DType dt, const BroadcastPlan& p, int64_t n, const void* a, const void* b, void* out) {
  if constexpr ((kTypes & kF32) != 0)
    if (dt == DType::kFloat32) return launch_binary<float>(f, p, n, a, b, out);
  if constexpr ((kTypes & kI32) != 0)
    if (dt == DType::kInt32) return launch_binary<int32_t>(f, p, n, a, b, out);
  if constexpr ((kTypes & kBool) != 0)
    if (dt == DType::kBool) return launch_binary<uint8_t>(f, p, n, a, b, out);
  fail("internal: elementwise op called with unsupported dtype ", dtype_name(dt));
}

template <unsigned kTypes, typename F>
void unary_typed(F f, DType dt, const void* x, void* out, int64_t n) {
  if constexpr ((kTypes & kF32) != 0)
    if (dt == DType::kFloat32) return launch_map<float>(f, x, out, n);
  if constexpr ((kTypes & kI32) != 0)
    if (dt == DType::kInt32) return launch_map<int32_t>(f, x, out, n);
  if constexpr ((kTypes & kBool) != 0)
    if (dt == DType::kBool) return launch_map<uint8_t>(f, x, out, n);
  fail("internal: elementwise op called with unsupported dtype ", dtype_name(dt));
}

template <typename To>
void cast_from(DType from, const void* x, void* out, int64_t n) {
  switch (from) {
    case DType::kFloat32: return launch_map<float>(CastTo<To>{}, x, out, n);
    case DType::kInt32: return launch_map<int32_t>(CastTo<To>{}, x, out, n);
    case DType::kBool: return launch_map<uint8_t>(CastTo<To>{}, x, out, n);
  }
}

template <typename T>
void launch_select(const BroadcastPlan& plan, int64_t n, const uint8_t* c, const void* t, const void* e, void* out) {
  const DevicePlan<1> p = device_plan<1>(plan);
  const T* tt = static_cast<const T*>(t);
  const T* ee = static_cast<const T*>(e);
  T* o = static_cast<T*>(out);
  if (n < (int64_t{1} << 31)) {
    select_kernel<uint32_t><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(p, uint32_t(n), c, tt, ee, o);
  } else {
    select_kernel<int64_t><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(p, n, c, tt, ee, o);
  }
  IBOT_CUDA_CHECK_LAUNCH("select_kernel");
}

template <typename T>
void launch_add_n(const std::vector<Tensor>& xs, const Tensor& out) {
  const int64_t n = out.numel();
  for (size_t g0 = 0; g0 < xs.size(); g0 += kAddNGroup) {
    AddNGroup<T> g{};
    g.count = static_cast<int>(std::min<size_t>(kAddNGroup, xs.size() - g0));
    for (int k = 0; k < g.count; ++k) g.x[k] = xs[g0 + k].data<T>();
    add_n_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(g, out.data<T>(), n, g0 == 0);
    IBOT_CUDA_CHECK_LAUNCH("add_n_kernel");
  }
}

template <typename T>
void launch_fill(const Tensor& out, double value) {
  const int64_t n = out.numel();
  fill_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(out.data<T>(), n, js_store<T>(value));
  IBOT_CUDA_CHECK_LAUNCH("fill_kernel");
}

template <typename T>
void launch_range(const Tensor& out, double start, double step) {
  const int64_t n = out.numel();
  bool exact;
  if constexpr (std::is_same_v<T, int32_t>) {
    exact = std::trunc(step) == step && std::fabs(step) < 4.0e15;  // out[i-1] + step stays exact in double
  } else {
    const double last = start + static_cast<double>(n - 1) * step, limit = 16777216.0;  // 2^24
    exact = std::trunc(start) == start && std::trunc(step) == step && std::fabs(start) <= limit &&
            std::fabs(last) <= limit;
  }
  if (exact) {
    range_parallel_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(out.data<T>(), n, start, step);
  } else {
    range_sequential_kernel<<<1, 1, 0, stream()>>>(out.data<T>(), n, start, step);
  }
  IBOT_CUDA_CHECK_LAUNCH("range_kernel");
}

}  // namespace

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const Shape* ins[2] = {&a.shape, &b.shape};
  const BroadcastPlan p = plan_broadcast(out.shape, ins, 2);
  const DType dt = a.dtype();
  const void *ad = a.storage->data, *bd = b.storage->data;
  void* od = out.storage->data;
  switch (op) {
#define IBOT_EW_CASE(name, dtypes, ...) \
  case BinaryOp::k##name: return binary_typed<dtypes>(name{}, dt, p, n, ad, bd, od);
    IBOT_BINARY_OPS(IBOT_EW_CASE)
#undef IBOT_EW_CASE
  }
}

void unary(UnaryOp op, const UnaryAttrs& attrs, const Tensor& x, const Tensor& out) {
  const int64_t n = x.numel();
  if (n == 0) return;
  const DType dt = x.dtype();
  const void* xd = x.storage->data;
  void* od = out.storage->data;
  switch (op) {
#define IBOT_EW_CASE(name, dtypes, ...) \
  case UnaryOp::k##name: return unary_typed<dtypes>(make_op<name>(attrs), dt, xd, od, n);
    IBOT_UNARY_OPS(IBOT_EW_CASE)
#undef IBOT_EW_CASE
  }
}

void cast(const Tensor& x, const Tensor& out) {
  const int64_t n = x.numel();
  if (n == 0) return;
  if (x.dtype() == out.dtype()) return copy_device_to_device(out.storage->data, x.storage->data, x.storage->nbytes);
  switch (out.dtype()) {
    case DType::kFloat32: return cast_from<float>(x.dtype(), x.storage->data, out.storage->data, n);
    case DType::kInt32: return cast_from<int32_t>(x.dtype(), x.storage->data, out.storage->data, n);
    case DType::kBool: return cast_from<uint8_t>(x.dtype(), x.storage->data, out.storage->data, n);
  }
}

void select(const Tensor& condition, const Tensor& t, const Tensor& e, const Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const Shape cond_shape = select_condition_shape(condition.shape, t.shape);
  const Shape* ins[1] = {&cond_shape};
  const BroadcastPlan p = plan_broadcast(out.shape, ins, 1);
  const uint8_t* c = condition.data<uint8_t>();
  if (dtype_size(t.dtype()) == 1) launch_select<uint8_t>(p, n, c, t.storage->data, e.storage->data, out.storage->data);
  else launch_select<uint32_t>(p, n, c, t.storage->data, e.storage->data, out.storage->data);
}

void add_n(const std::vector<Tensor>& xs, const Tensor& out) {
  if (out.numel() == 0) return;
  if (out.dtype() == DType::kFloat32) launch_add_n<float>(xs, out);
  else launch_add_n<int32_t>(xs, out);
}

void fill(const Tensor& out, double value) {
  if (out.numel() == 0) return;
  switch (out.dtype()) {
    case DType::kFloat32: return launch_fill<float>(out, value);
    case DType::kInt32: return launch_fill<int32_t>(out, value);
    case DType::kBool: return launch_fill<uint8_t>(out, value);
  }
}

void range(const Tensor& out, double start, double step) {
  if (out.numel() == 0) return;
  if (out.dtype() == DType::kFloat32) launch_range<float>(out, start, step);
  else launch_range<int32_t>(out, start, step);
}

}  // namespace ibot::cuda
