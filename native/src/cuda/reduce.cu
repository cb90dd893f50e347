// CUDA reductions (Sum, Mean, Prod, Max, Min, Any, All over any axis set), ArgMax/ArgMin and the Cumsum/Cumprod
// scans. The axis set is planned on the host (kernels/reduce_plan.h):
//   rows    [outer, R] -> [outer]: a warp per row when R is short, a block per row otherwise (warp shuffles, then
//           shared memory across warps);
//   columns [outer, R, inner] -> [outer, inner]: 32 columns x 8 row-strides per block, coalesced along inner;
//   general strided layouts: a warp per output with the reduced index decoded per element.
// Few long rows or few column blocks are split along R; each split writes its partial accumulator to scratch and a
// second kernel combines them in a fixed order, so results are deterministic (no atomics). float32 sums accumulate
// in double (tfjs cpu does too; a reduction is memory-bound, so the FP64 rate of consumer GPUs is not the limit).
// Prod keeps tfjs's left-to-right double product: one thread per output walks the reduced elements in order.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <type_traits>

#include "core/storage.h"
#include "cuda/common.cuh"
#include "cuda/scratch.cuh"
#include "kernels/reduce.h"
#include "kernels/reduce_dispatch.h"
#include "kernels/reduce_plan.h"

namespace ibot::cuda {
namespace {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kThreads = 256;

// ---- helpers ------------------------------------------------------------------------------------------------------

template <typename T>
__device__ inline T shfl_down(T v, int delta) {
  if constexpr (sizeof(T) < 4) return static_cast<T>(__shfl_down_sync(kFullMask, static_cast<int>(v), delta));
  else return __shfl_down_sync(kFullMask, v, delta);
}

template <class Op>
__device__ inline typename Op::Acc warp_reduce(const Op& op, typename Op::Acc a) {
  for (int d = 16; d > 0; d >>= 1) a = op.combine(a, shfl_down(a, d));
  return a;  // lane 0 holds the result
}

// Block-wide reduction; the result is valid in thread 0. `smem` holds 32 accumulators.
template <class Op>
__device__ inline typename Op::Acc block_reduce(const Op& op, typename Op::Acc a, typename Op::Acc* smem) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  a = warp_reduce(op, a);
  __syncthreads();  // the previous row's readers are done with smem
  if (lane == 0) smem[warp] = a;
  __syncthreads();
  if (warp == 0) {
    a = lane < nwarps ? smem[lane] : op.init();
    a = warp_reduce(op, a);
  }
  return a;
}

// Raw shared storage for up to 32 x 33 accumulators of at most 8 bytes (templates cannot declare typed __shared__).
#define IBOT_SHARED_ACC(name, count, Acc)                      \
  __shared__ alignas(8) unsigned char name##_raw[(count) * 8]; \
  Acc* name = reinterpret_cast<Acc*>(name##_raw)

// ---- ops ----------------------------------------------------------------------------------------------------------

struct SumF32Op {  // Sum (divisor 1) and Mean of float32
  using In = float;
  using Acc = double;
  using Out = float;
  static constexpr bool kSplittable = true;
  double divisor;
  __device__ Acc init() const { return 0.0; }
  __device__ Acc step(Acc a, In x) const { return a + static_cast<double>(x); }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
  __device__ Out store(Acc a) const { return static_cast<float>(a / divisor); }
};

template <typename T>
struct SumIntOp {  // exact in 64 bits, wrapped to int32
  using In = T;
  using Acc = long long;
  using Out = int32_t;
  static constexpr bool kSplittable = true;
  __device__ Acc init() const { return 0; }
  __device__ Acc step(Acc a, In x) const { return a + static_cast<long long>(x); }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
  __device__ Out store(Acc a) const { return static_cast<int32_t>(static_cast<uint32_t>(static_cast<unsigned long long>(a))); }
};

template <typename T>
struct MeanIntOp {
  using In = T;
  using Acc = long long;
  using Out = float;
  static constexpr bool kSplittable = true;
  double divisor;
  __device__ Acc init() const { return 0; }
  __device__ Acc step(Acc a, In x) const { return a + static_cast<long long>(x); }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
  __device__ Out store(Acc a) const { return static_cast<float>(static_cast<double>(a) / divisor); }
};

template <typename T, typename O>
struct ProdOp {
  using In = T;
  using Acc = double;
  using Out = O;
  static constexpr bool kSplittable = false;
  __device__ Acc init() const { return 1.0; }
  __device__ Acc step(Acc a, In x) const { return a * static_cast<double>(x); }
  __device__ Acc combine(Acc a, Acc b) const { return a * b; }
  __device__ Out store(Acc a) const {
    if constexpr (std::is_same<O, float>::value) return static_cast<float>(a);
    else return int32_from_double(a);
  }
};

template <bool kMax>
struct ExtremeF32Op {  // NaN anywhere gives NaN: once the accumulator is NaN neither comparison replaces it
  using In = float;
  using Acc = float;
  using Out = float;
  static constexpr bool kSplittable = true;
  __device__ Acc init() const { return kMax ? -INFINITY : INFINITY; }
  __device__ Acc combine(Acc a, Acc b) const { return ((kMax ? b > a : b < a) || b != b) ? b : a; }
  __device__ Acc step(Acc a, In x) const { return combine(a, x); }
  __device__ Out store(Acc a) const { return a; }
};

template <typename T, bool kMax>
struct ExtremeIntOp {
  using In = T;
  using Acc = T;
  using Out = T;
  static constexpr bool kSplittable = true;
  __device__ Acc init() const {
    if constexpr (sizeof(T) == 1) return kMax ? T(0) : T(255);
    else return kMax ? T(INT_MIN) : T(INT_MAX);
  }
  __device__ Acc combine(Acc a, Acc b) const { return (kMax ? b > a : b < a) ? b : a; }
  __device__ Acc step(Acc a, In x) const { return combine(a, x); }
  __device__ Out store(Acc a) const { return a; }
};

template <bool kAny>
struct LogicalOp {
  using In = uint8_t;
  using Acc = int;
  using Out = uint8_t;
  static constexpr bool kSplittable = true;
  __device__ Acc init() const { return kAny ? 0 : 1; }
  __device__ Acc step(Acc a, In x) const { return kAny ? (a | (x != 0)) : (a & (x != 0)); }
  __device__ Acc combine(Acc a, Acc b) const { return kAny ? (a | b) : (a & b); }
  __device__ Out store(Acc a) const { return static_cast<uint8_t>(a); }
};

// ---- kernels ------------------------------------------------------------------------------------------------------

// Short rows: one warp per row. x is [rows, R].
template <class Op>
__global__ void reduce_rows_warp_kernel(Op op, const typename Op::In* __restrict__ x, typename Op::Out* __restrict__ out,
                                        int64_t rows, int64_t R) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x >> 5);
  for (int64_t row = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5; row < rows; row += warps) {
    const typename Op::In* xr = x + row * R;
    typename Op::Acc a = op.init();
    for (int64_t j = lane; j < R; j += 32) a = op.step(a, xr[j]);
    a = warp_reduce(op, a);
    if (lane == 0) out[row] = op.store(a);
  }
}

// Long rows: one block per (row, chunk) task; chunk c covers [R c / chunks, R (c + 1) / chunks). With one chunk the
// result is stored, otherwise the partial goes to partial[row * chunks + c].
template <class Op>
__global__ void reduce_rows_block_kernel(Op op, const typename Op::In* __restrict__ x,
                                         typename Op::Acc* __restrict__ partial, typename Op::Out* __restrict__ out,
                                         int64_t rows, int64_t R, int chunks) {
  IBOT_SHARED_ACC(smem, 32, typename Op::Acc);
  for (int64_t t = blockIdx.x; t < rows * chunks; t += gridDim.x) {
    const int64_t row = t / chunks, c = t % chunks, lo = R * c / chunks, hi = R * (c + 1) / chunks;
    const typename Op::In* xr = x + row * R;
    typename Op::Acc a = op.init();
    for (int64_t j = lo + threadIdx.x; j < hi; j += blockDim.x) a = op.step(a, xr[j]);
    a = block_reduce(op, a, smem);
    if (threadIdx.x == 0) {
      if (chunks == 1) out[row] = op.store(a);
      else partial[t] = a;
    }
  }
}

// Columns: x is [outer, R, inner]; a (32, 8) block takes 32 columns of one outer index and one chunk of R. With one
// chunk the result is stored, otherwise the partial goes to partial[c * outer * inner + o * inner + col].
template <class Op>
__global__ void reduce_cols_kernel(Op op, const typename Op::In* __restrict__ x, typename Op::Acc* __restrict__ partial,
                                   typename Op::Out* __restrict__ out, int64_t outer, int64_t R, int64_t inner,
                                   int chunks) {
  IBOT_SHARED_ACC(tile, 8 * 33, typename Op::Acc);
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t col_blocks = (inner + 31) / 32, tasks = outer * col_blocks * chunks;
  for (int64_t t = blockIdx.x; t < tasks; t += gridDim.x) {
    const int64_t c = t % chunks, rest = t / chunks, cb = rest % col_blocks, o = rest / col_blocks;
    const int64_t col = cb * 32 + tx, r0 = R * c / chunks, r1 = R * (c + 1) / chunks;
    typename Op::Acc a = op.init();
    if (col < inner) {
      const typename Op::In* xo = x + o * R * inner + col;
      for (int64_t r = r0 + ty; r < r1; r += blockDim.y) a = op.step(a, xo[r * inner]);
    }
    tile[ty * 33 + tx] = a;
    __syncthreads();
    if (ty == 0 && col < inner) {
      for (int k = 1; k < static_cast<int>(blockDim.y); ++k) a = op.combine(a, tile[k * 33 + tx]);
      const int64_t i = o * inner + col;
      if (chunks == 1) out[i] = op.store(a);
      else partial[c * outer * inner + i] = a;
    }
    __syncthreads();
  }
}

// Combines `chunks` partials per output in chunk order: output i reads partial[i * item_stride + c * chunk_stride].
template <class Op>
__global__ void finish_kernel(Op op, const typename Op::Acc* __restrict__ partial, typename Op::Out* __restrict__ out,
                              int64_t n, int chunks, int64_t item_stride, int64_t chunk_stride) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    typename Op::Acc a = partial[i * item_stride];
    for (int c = 1; c < chunks; ++c) a = op.combine(a, partial[i * item_stride + c * chunk_stride]);
    out[i] = op.store(a);
  }
}

// Layouts that do not collapse to [outer, R, inner]: one warp per output.
template <class Op>
__global__ void reduce_general_kernel(Op op, ReducePlan p, const typename Op::In* __restrict__ x,
                                      typename Op::Out* __restrict__ out) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x >> 5);
  for (int64_t o = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5; o < p.out_numel; o += warps) {
    const typename Op::In* base = x + p.kept_offset(o);
    typename Op::Acc a = op.init();
    for (int64_t r = lane; r < p.reduce_numel; r += 32) a = op.step(a, base[p.red_offset(r)]);
    a = warp_reduce(op, a);
    if (lane == 0) out[o] = op.store(a);
  }
}

// Order-sensitive ops (Prod): one thread per output, reduced elements in tfjs's order.
template <class Op>
__global__ void reduce_serial_kernel(Op op, ReducePlan p, const typename Op::In* __restrict__ x,
                                     typename Op::Out* __restrict__ out) {
  for (int64_t o = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; o < p.out_numel;
       o += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const typename Op::In* base = x + p.kept_offset(o);
    typename Op::Acc a = op.init();
    if (p.red_rank == 1) {  // the common case: no index decoding
      for (int64_t r = 0; r < p.reduce_numel; ++r) a = op.step(a, base[r * p.red_stride[0]]);
    } else {
      for (int64_t r = 0; r < p.reduce_numel; ++r) a = op.step(a, base[p.red_offset(r)]);
    }
    out[o] = op.store(a);
  }
}

template <typename T>
__global__ void fill_kernel(T* __restrict__ out, int64_t n, T v) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = v;
}

template <typename T>
void fill(T* out, int64_t n, T v) {
  fill_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(out, n, v);
  IBOT_CUDA_CHECK_LAUNCH("fill_kernel");
}

// ---- launch -------------------------------------------------------------------------------------------------------

// Splits along R so that about this many blocks run, but never into chunks shorter than kMinChunk elements per task.
constexpr int64_t kTargetBlocks = 512;
constexpr int64_t kMinChunk = 8192;

template <class Op>
void launch(const Op& op, const typename Op::In* x, typename Op::Out* out, const ReducePlan& p) {
  using Acc = typename Op::Acc;
  if (!Op::kSplittable) {
    reduce_serial_kernel<<<blocks_for(p.out_numel, kThreads), kThreads, 0, stream()>>>(op, general_form(p), x, out);
    IBOT_CUDA_CHECK_LAUNCH("reduce_serial_kernel");
    return;
  }
  if (!p.simple) {
    reduce_general_kernel<<<blocks_for(p.out_numel * 32, kThreads), kThreads, 0, stream()>>>(op, general_form(p), x, out);
    IBOT_CUDA_CHECK_LAUNCH("reduce_general_kernel");
    return;
  }
  const int64_t outer = p.outer, R = p.reduce, inner = p.inner;
  if (inner == 1) {
    if (R <= 256) {
      reduce_rows_warp_kernel<<<blocks_for(outer * 32, kThreads), kThreads, 0, stream()>>>(op, x, out, outer, R);
      IBOT_CUDA_CHECK_LAUNCH("reduce_rows_warp_kernel");
      return;
    }
    int64_t chunks = 1;
    if (outer < kTargetBlocks) chunks = std::max<int64_t>(1, std::min(R / kMinChunk, kTargetBlocks / outer));
    if (chunks == 1) {
      reduce_rows_block_kernel<<<blocks_for(outer, 1), kThreads, 0, stream()>>>(op, x, nullptr, out, outer, R, 1);
      IBOT_CUDA_CHECK_LAUNCH("reduce_rows_block_kernel");
      return;
    }
    const Scratch scratch = Scratch::of<Acc>(outer * chunks);
    Acc* partial = scratch.data<Acc>();
    reduce_rows_block_kernel<<<blocks_for(outer * chunks, 1), kThreads, 0, stream()>>>(
        op, x, partial, out, outer, R, static_cast<int>(chunks));
    IBOT_CUDA_CHECK_LAUNCH("reduce_rows_block_kernel");
    finish_kernel<<<blocks_for(outer, kThreads), kThreads, 0, stream()>>>(op, partial, out, outer,
                                                                          static_cast<int>(chunks), chunks, 1);
    IBOT_CUDA_CHECK_LAUNCH("finish_kernel");
    return;
  }
  const int64_t tasks = outer * ((inner + 31) / 32);
  int64_t chunks = 1;
  if (tasks < kTargetBlocks) chunks = std::max<int64_t>(1, std::min(R * 32 / kMinChunk, kTargetBlocks / tasks));
  const dim3 block(32, 8);
  if (chunks == 1) {
    reduce_cols_kernel<<<blocks_for(tasks, 1), block, 0, stream()>>>(op, x, nullptr, out, outer, R, inner, 1);
    IBOT_CUDA_CHECK_LAUNCH("reduce_cols_kernel");
    return;
  }
  const int64_t n = outer * inner;
  const Scratch scratch = Scratch::of<Acc>(n * chunks);
  Acc* partial = scratch.data<Acc>();
  reduce_cols_kernel<<<blocks_for(tasks * chunks, 1), block, 0, stream()>>>(op, x, partial, out, outer, R, inner,
                                                                            static_cast<int>(chunks));
  IBOT_CUDA_CHECK_LAUNCH("reduce_cols_kernel");
  finish_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(op, partial, out, n, static_cast<int>(chunks), 1, n);
  IBOT_CUDA_CHECK_LAUNCH("finish_kernel");
}

template <class Op>
void run(const Op& op, const Tensor& x, const Tensor& out, const ReducePlan& p) {
  launch(op, x.data<typename Op::In>(), out.data<typename Op::Out>(), p);
}

template <typename T>
void reduce_int(ReduceOp op, const Tensor& x, const Tensor& out, const ReducePlan& p) {
  const double n = static_cast<double>(p.reduce_numel);
  switch (op) {
    case ReduceOp::kSum: return run(SumIntOp<T>{}, x, out, p);
    case ReduceOp::kMean: return run(MeanIntOp<T>{n}, x, out, p);
    case ReduceOp::kProd: return run(ProdOp<T, int32_t>{}, x, out, p);
    case ReduceOp::kMax: return run(ExtremeIntOp<T, true>{}, x, out, p);
    case ReduceOp::kMin: return run(ExtremeIntOp<T, false>{}, x, out, p);
    case ReduceOp::kAny:
    case ReduceOp::kAll:
      if constexpr (std::is_same<T, uint8_t>::value) {
        if (op == ReduceOp::kAny) return run(LogicalOp<true>{}, x, out, p);
        return run(LogicalOp<false>{}, x, out, p);
      } else {
        fail("Any/All: input must be bool");
      }
  }
}

// ---- ArgMax / ArgMin ----------------------------------------------------------------------------------------------

template <typename T, bool kMax>
__device__ inline bool arg_better(T v, T best) {
  return kMax ? v > best : v < best;
}

// Rows (inner == 1), one warp per row. tfjs's serial rule (best = x[0], replaced only by strictly better values)
// gives: 0 when x[0] is NaN, else the first index of the extreme among the non-NaN values. Each lane keeps its first
// best non-NaN candidate; lanes are merged by value, then by lower index.
template <typename T, bool kMax>
__global__ void arg_rows_kernel(const T* __restrict__ x, int32_t* __restrict__ out, int64_t rows, int64_t R) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x >> 5);
  for (int64_t row = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5; row < rows; row += warps) {
    const T* xr = x + row * R;
    T best = T(0);
    int64_t idx = -1;  // -1: no candidate yet
    for (int64_t j = lane; j < R; j += 32) {
      const T v = xr[j];
      if (v == v && (idx < 0 || arg_better<T, kMax>(v, best))) {
        best = v;
        idx = j;
      }
    }
    for (int d = 16; d > 0; d >>= 1) {
      const T ob = shfl_down(best, d);
      const int64_t oi = __shfl_down_sync(kFullMask, idx, d);
      const bool take = oi >= 0 && (idx < 0 || arg_better<T, kMax>(ob, best) || (ob == best && oi < idx));
      if (take) {
        best = ob;
        idx = oi;
      }
    }
    if (lane == 0) {
      const T first = xr[0];
      out[row] = (first != first || idx < 0) ? 0 : static_cast<int32_t>(idx);
    }
  }
}

// Columns (inner > 1): one thread per output, the serial rule along R (coalesced across inner).
template <typename T, bool kMax>
__global__ void arg_cols_kernel(const T* __restrict__ x, int32_t* __restrict__ out, int64_t outer, int64_t R,
                                int64_t inner) {
  const int64_t n = outer * inner;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t o = i / inner, c = i % inner;
    const T* xo = x + o * R * inner + c;
    T best = xo[0];
    int32_t idx = 0;
    for (int64_t r = 1; r < R; ++r) {
      const T v = xo[r * inner];
      if (arg_better<T, kMax>(v, best)) {
        best = v;
        idx = static_cast<int32_t>(r);
      }
    }
    out[i] = idx;
  }
}

template <bool kMax, typename T>
void arg_launch(const T* x, int32_t* out, int64_t outer, int64_t R, int64_t inner) {
  if (inner == 1) {
    arg_rows_kernel<T, kMax><<<blocks_for(outer * 32, kThreads), kThreads, 0, stream()>>>(x, out, outer, R);
    IBOT_CUDA_CHECK_LAUNCH("arg_rows_kernel");
  } else {
    arg_cols_kernel<T, kMax><<<blocks_for(outer * inner, kThreads), kThreads, 0, stream()>>>(x, out, outer, R, inner);
    IBOT_CUDA_CHECK_LAUNCH("arg_cols_kernel");
  }
}

// ---- Cumsum / Cumprod ---------------------------------------------------------------------------------------------

// One thread per line along the scanned axis, stepping serially: the same roundings as tfjs, bit for bit (a lone add
// or multiply cannot be contracted into an FMA). Long scans over few lines are slow this way; none is on a hot path.
template <typename In, typename Out, class Op>
__global__ void scan_kernel(const In* __restrict__ x, Out* __restrict__ y, int64_t outer, int64_t R, int64_t inner,
                            bool exclusive, bool reverse, Out identity, Op op) {
  const int64_t n = outer * inner;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t o = i / inner, c = i % inner;
    const In* xo = x + o * R * inner + c;
    Out* yo = y + o * R * inner + c;
    Out acc = identity;
    In prev = In(0);
    for (int64_t s = 0; s < R; ++s) {
      const int64_t r = reverse ? R - 1 - s : s;
      const In v = xo[r * inner];
      if (s == 0) acc = exclusive ? identity : static_cast<Out>(v);
      else acc = op(static_cast<Out>(exclusive ? prev : v), acc);
      yo[r * inner] = acc;
      prev = v;
    }
  }
}

template <typename In, typename Out, class Op>
void scan_launch(const In* x, Out* y, int64_t outer, int64_t R, int64_t inner, bool exclusive, bool reverse,
                 Out identity, Op op) {
  scan_kernel<<<blocks_for(outer * inner, kThreads), kThreads, 0, stream()>>>(x, y, outer, R, inner, exclusive, reverse,
                                                                             identity, op);
  IBOT_CUDA_CHECK_LAUNCH("scan_kernel");
}

}  // namespace

void reduce(ReduceOp op, const Tensor& x, const std::vector<int>& axes, const Tensor& out) {
  const ReducePlan p = plan_reduce(x.shape, axes);
  if (p.out_numel == 0) return;
  if (p.reduce_numel == 0) {
    return fill_empty_reduce(op, out, [](auto* o, int64_t n, auto v) { fill(o, n, v); });
  }
  switch (x.dtype()) {
    case DType::kFloat32: {
      const double n = static_cast<double>(p.reduce_numel);
      switch (op) {
        case ReduceOp::kSum: return run(SumF32Op{1.0}, x, out, p);
        case ReduceOp::kMean: return run(SumF32Op{n}, x, out, p);
        case ReduceOp::kProd: return run(ProdOp<float, float>{}, x, out, p);
        case ReduceOp::kMax: return run(ExtremeF32Op<true>{}, x, out, p);
        case ReduceOp::kMin: return run(ExtremeF32Op<false>{}, x, out, p);
        default: fail("Any/All: input must be bool, got float32");
      }
    }
    case DType::kInt32: return reduce_int<int32_t>(op, x, out, p);
    case DType::kBool: return reduce_int<uint8_t>(op, x, out, p);
  }
}

void arg_reduce(bool is_max, const Tensor& x, int axis, const Tensor& out) {
  dispatch_arg_reduce(
      is_max, x, axis, out, [](int32_t* o, int64_t n) { fill(o, n, 0); },
      [](auto kmax, const auto* xd, int32_t* o, const AxisView& v) {
        arg_launch<decltype(kmax)::value>(xd, o, v.outer, v.R, v.inner);
      });
}

void scan(ScanOp op, const Tensor& x, int axis, bool exclusive, bool reverse, const Tensor& out) {
  dispatch_scan(op, x, axis, out, [&](const auto* xd, auto* yd, const AxisView& v, auto identity, auto step) {
    scan_launch(xd, yd, v.outer, v.R, v.inner, exclusive, reverse, identity, step);
  });
}

}  // namespace ibot::cuda
