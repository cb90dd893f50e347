// CPU reductions (Sum, Mean, Prod, Max, Min, Any, All over any axis set) and ArgMax/ArgMin. Each op is a small
// "kernel" struct (how to start, step, combine and store an accumulator); one driver walks the plan of
// kernels/reduce_plan.h for all of them: rows ([outer, R] -> [outer]), columns ([outer, R, inner] -> [outer, inner],
// vectorised across inner) or the general strided walk. Few long rows or few column tiles are split along R across
// threads when the op may be reassociated (not Prod, which keeps tfjs's exact left-to-right double product).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "cpu/reduce_isa.h"
#include "kernels/reduce.h"
#include "kernels/reduce_dispatch.h"
#include "kernels/reduce_plan.h"

namespace ibot::cpu {

const ReduceF32Loops& reduce_f32_loops() {
  switch (cpu_isa()) {
    case CpuIsa::kAvx512: return avx512::kReduceF32;
    case CpuIsa::kAvx2: return avx2::kReduceF32;
    default: return generic::kReduceF32;
  }
}

namespace {

// Input elements per parallel task, at least: below this, waking the pool costs more than it saves.
constexpr int64_t kGrainElems = 32768;
// Columns per accumulator tile (2 KB of doubles: stays in L1 while R rows stream through).
constexpr int64_t kColTile = 256;

// Default run/cols for kernels defined by a scalar step (the compiler vectorises the column loop for simple steps).
template <class K, typename In, typename Acc>
struct StepLoops {
  Acc run(Acc a, const In* x, int64_t n, int64_t stride) const {
    const K& k = static_cast<const K&>(*this);
    for (int64_t i = 0; i < n; ++i) a = k.step(a, x[i * stride]);
    return a;
  }
  void cols(const In* x, int64_t ld, int64_t rows, int64_t cols, Acc* __restrict acc) const {
    const K& k = static_cast<const K&>(*this);
    for (int64_t r = 0; r < rows; ++r) {
      const In* __restrict xr = x + r * ld;
      for (int64_t c = 0; c < cols; ++c) acc[c] = k.step(acc[c], xr[c]);
    }
  }
};

// Sum (divisor 1) and Mean of float32: double accumulation through the ISA loops; Mean divides once at the end.
struct SumF32 {
  using In = float;
  using Acc = double;
  using Out = float;
  static constexpr bool kSplittable = true;
  const ReduceF32Loops* loops;
  double divisor;
  Acc init() const { return 0; }
  Acc run(Acc a, const float* x, int64_t n, int64_t stride) const {
    if (stride == 1) return a + loops->sum_run(x, n);
    for (int64_t i = 0; i < n; ++i) a += x[i * stride];
    return a;
  }
  void cols(const float* x, int64_t ld, int64_t rows, int64_t cols, Acc* acc) const {
    loops->sum_cols(x, ld, rows, cols, acc);
  }
  Acc combine(Acc a, Acc b) const { return a + b; }
  Out store(Acc a) const { return static_cast<float>(a / divisor); }
};

// Max/Min of float32 with NaN propagation (tfjs: any NaN in the reduced set gives NaN).
template <bool kMax>
struct ExtremeF32 {
  using In = float;
  using Acc = float;
  using Out = float;
  static constexpr bool kSplittable = true;
  const ReduceF32Loops* loops;
  Acc init() const { return kMax ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity(); }
  Acc combine(Acc a, Acc b) const { return ((kMax ? b > a : b < a) || b != b) ? b : a; }
  Acc run(Acc a, const float* x, int64_t n, int64_t stride) const {
    if (stride == 1) return combine(a, kMax ? loops->max_run(x, n) : loops->min_run(x, n));
    for (int64_t i = 0; i < n; ++i) a = combine(a, x[i * stride]);
    return a;
  }
  void cols(const float* x, int64_t ld, int64_t rows, int64_t cols, Acc* acc) const {
    (kMax ? loops->max_cols : loops->min_cols)(x, ld, rows, cols, acc);
  }
  Out store(Acc a) const { return a; }
};

// Sum of int32 or bool: exact in int64, wrapped to int32 like tfjs's double sum stored into an Int32Array.
template <typename T>
struct SumInt : StepLoops<SumInt<T>, T, int64_t> {
  using In = T;
  using Acc = int64_t;
  using Out = int32_t;
  static constexpr bool kSplittable = true;
  Acc init() const { return 0; }
  Acc step(Acc a, T x) const { return a + x; }
  Acc combine(Acc a, Acc b) const { return a + b; }
  Out store(Acc a) const { return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(a))); }
};

// Mean of int32 or bool: exact integer sum, one division, float32 result.
template <typename T>
struct MeanInt : StepLoops<MeanInt<T>, T, int64_t> {
  using In = T;
  using Acc = int64_t;
  using Out = float;
  static constexpr bool kSplittable = true;
  double divisor;
  Acc init() const { return 0; }
  Acc step(Acc a, T x) const { return a + x; }
  Acc combine(Acc a, Acc b) const { return a + b; }
  Out store(Acc a) const { return static_cast<float>(static_cast<double>(a) / divisor); }
};

// Prod: tfjs multiplies left to right in double and rounds once (float32) or applies ToInt32 (int32, bool). Keeping
// the order exactly reproduces its results, overflow and wrap-around included, so this op is never split.
template <typename T, typename O>
struct Prod : StepLoops<Prod<T, O>, T, double> {
  using In = T;
  using Acc = double;
  using Out = O;
  static constexpr bool kSplittable = false;
  Acc init() const { return 1; }
  Acc step(Acc a, T x) const { return a * static_cast<double>(x); }
  Acc combine(Acc a, Acc b) const { return a * b; }
  Out store(Acc a) const {
    if constexpr (std::is_same_v<O, float>) return static_cast<float>(a);
    else return int32_from_double(a);
  }
};

// Max/Min of int32 or bool (no NaN to care about).
template <typename T, bool kMax>
struct ExtremeInt : StepLoops<ExtremeInt<T, kMax>, T, T> {
  using In = T;
  using Acc = T;
  using Out = T;
  static constexpr bool kSplittable = true;
  Acc init() const { return kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max(); }
  Acc step(Acc a, T x) const { return (kMax ? x > a : x < a) ? x : a; }
  Acc combine(Acc a, Acc b) const { return step(a, b); }
  Out store(Acc a) const { return a; }
};

// Any/All of bool.
template <bool kAny>
struct Logical : StepLoops<Logical<kAny>, uint8_t, uint8_t> {
  using In = uint8_t;
  using Acc = uint8_t;
  using Out = uint8_t;
  static constexpr bool kSplittable = true;
  Acc init() const { return kAny ? 0 : 1; }
  Acc step(Acc a, uint8_t x) const { return kAny ? (a | (x != 0)) : (a & (x != 0)); }
  Acc combine(Acc a, Acc b) const { return kAny ? (a | b) : (a & b); }
  Out store(Acc a) const { return a; }
};

// x = [outer, R, inner] -> out = [outer, inner].
template <class K>
void reduce_simple(const K& k, const typename K::In* x, typename K::Out* out, int64_t outer, int64_t R, int64_t inner) {
  using Acc = typename K::Acc;
  const int64_t threads = num_threads();
  if (inner == 1) {
    int64_t chunks = 1;
    if (K::kSplittable && outer < 2 * threads && R >= 2 * kGrainElems)
      chunks = std::max<int64_t>(1, std::min<int64_t>(R / kGrainElems, (4 * threads + outer - 1) / outer));
    if (chunks == 1) {
      parallel_for(outer, std::max<int64_t>(1, kGrainElems / R), [&](int64_t b, int64_t e) {
        for (int64_t row = b; row < e; ++row) out[row] = k.store(k.run(k.init(), x + row * R, R, 1));
      });
      return;
    }
    std::vector<Acc> part(outer * chunks);
    parallel_for(outer * chunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t row = t / chunks, c = t % chunks, lo = R * c / chunks, hi = R * (c + 1) / chunks;
        part[t] = k.run(k.init(), x + row * R + lo, hi - lo, 1);
      }
    });
    for (int64_t row = 0; row < outer; ++row) {
      Acc a = part[row * chunks];
      for (int64_t c = 1; c < chunks; ++c) a = k.combine(a, part[row * chunks + c]);
      out[row] = k.store(a);
    }
    return;
  }

  const int64_t tiles = (inner + kColTile - 1) / kColTile;
  const int64_t tile_work = R * std::min(inner, kColTile);  // input elements per (outer, tile) task
  int64_t chunks = 1;
  if (K::kSplittable && outer * tiles < 2 * threads && tile_work >= 2 * kGrainElems)
    chunks = std::max<int64_t>(
        1, std::min<int64_t>(tile_work / kGrainElems, (4 * threads + outer * tiles - 1) / (outer * tiles)));
  if (chunks == 1) {
    parallel_for(outer * tiles, std::max<int64_t>(1, kGrainElems / tile_work), [&](int64_t b, int64_t e) {
      Acc acc[kColTile];
      for (int64_t t = b; t < e; ++t) {
        const int64_t o = t / tiles, c0 = (t % tiles) * kColTile, w = std::min(kColTile, inner - c0);
        std::fill(acc, acc + w, k.init());
        k.cols(x + o * R * inner + c0, inner, R, w, acc);
        for (int64_t c = 0; c < w; ++c) out[o * inner + c0 + c] = k.store(acc[c]);
      }
    });
    return;
  }
  // Split R: chunk ch accumulates rows [r0, r1) into its own [outer, inner] slice of `part`.
  std::vector<Acc> part(chunks * outer * inner, k.init());
  parallel_for(chunks * outer * tiles, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t ch = t / (outer * tiles), rest = t % (outer * tiles), o = rest / tiles;
      const int64_t c0 = (rest % tiles) * kColTile, w = std::min(kColTile, inner - c0);
      const int64_t r0 = R * ch / chunks, r1 = R * (ch + 1) / chunks;
      k.cols(x + (o * R + r0) * inner + c0, inner, r1 - r0, w, part.data() + (ch * outer + o) * inner + c0);
    }
  });
  const int64_t n = outer * inner;
  parallel_for(n, kGrainElems, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      Acc a = part[i];
      for (int64_t ch = 1; ch < chunks; ++ch) a = k.combine(a, part[ch * n + i]);
      out[i] = k.store(a);
    }
  });
}

// Axis sets that do not collapse to one reduced block: the innermost reduced block is walked as a strided run and the
// others by an odometer, in row-major order of the reduced indices (the order tfjs's transpose-then-reduce uses).
template <class K>
void reduce_general(const K& k, const typename K::In* x, typename K::Out* out, const ReducePlan& p) {
  const int last = p.red_rank - 1;
  const int64_t run_n = p.red_shape[last], run_stride = p.red_stride[last], runs = p.reduce_numel / run_n;
  parallel_for(p.out_numel, std::max<int64_t>(1, kGrainElems / p.reduce_numel), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      const typename K::In* base = x + p.kept_offset(o);
      typename K::Acc a = k.init();
      for (int64_t r = 0; r < runs; ++r) {
        int64_t off = 0, rem = r;
        for (int d = last - 1; d >= 0; --d) {
          off += (rem % p.red_shape[d]) * p.red_stride[d];
          rem /= p.red_shape[d];
        }
        a = k.run(a, base + off, run_n, run_stride);
      }
      out[o] = k.store(a);
    }
  });
}

template <class K>
void run(const K& k, const Tensor& x, const Tensor& out, const ReducePlan& p) {
  const auto* xd = x.data<typename K::In>();
  auto* od = out.data<typename K::Out>();
  if (p.simple) reduce_simple(k, xd, od, p.outer, p.reduce, p.inner);
  else reduce_general(k, xd, od, p);
}

// Integer-like inputs (int32 or bool storage).
template <typename T>
void reduce_int(ReduceOp op, const Tensor& x, const Tensor& out, const ReducePlan& p) {
  const double n = static_cast<double>(p.reduce_numel);
  switch (op) {
    case ReduceOp::kSum: return run(SumInt<T>{}, x, out, p);
    case ReduceOp::kMean: return run(MeanInt<T>{{}, n}, x, out, p);
    case ReduceOp::kProd: return run(Prod<T, int32_t>{}, x, out, p);
    case ReduceOp::kMax: return run(ExtremeInt<T, true>{}, x, out, p);
    case ReduceOp::kMin: return run(ExtremeInt<T, false>{}, x, out, p);
    case ReduceOp::kAny:
    case ReduceOp::kAll:
      if constexpr (std::is_same_v<T, uint8_t>) return op == ReduceOp::kAny ? run(Logical<true>{}, x, out, p)
                                                                            : run(Logical<false>{}, x, out, p);
      fail("Any/All: input must be bool");
  }
}

template <bool kMax, typename T>
void arg_reduce_typed(const T* x, int32_t* out, int64_t outer, int64_t R, int64_t inner) {
  // tfjs: best = first element; later elements replace it only when strictly better, so ties keep the first index
  // and NaNs never win (a NaN first element is never beaten: index 0).
  auto better = [](T v, T best) { return kMax ? v > best : v < best; };
  if (inner == 1) {
    parallel_for(outer, std::max<int64_t>(1, kGrainElems / R), [&](int64_t b, int64_t e) {
      for (int64_t row = b; row < e; ++row) {
        const T* xr = x + row * R;
        T best = xr[0];
        int32_t idx = 0;
        for (int64_t j = 1; j < R; ++j) {
          if (better(xr[j], best)) {
            best = xr[j];
            idx = static_cast<int32_t>(j);
          }
        }
        out[row] = idx;
      }
    });
    return;
  }
  const int64_t tiles = (inner + kColTile - 1) / kColTile;
  parallel_for(outer * tiles, std::max<int64_t>(1, kGrainElems / (R * std::min(inner, kColTile))),
               [&](int64_t b, int64_t e) {
                 T best[kColTile];
                 int32_t idx[kColTile];
                 for (int64_t t = b; t < e; ++t) {
                   const int64_t o = t / tiles, c0 = (t % tiles) * kColTile, w = std::min(kColTile, inner - c0);
                   const T* xo = x + o * R * inner + c0;
                   for (int64_t c = 0; c < w; ++c) {
                     best[c] = xo[c];
                     idx[c] = 0;
                   }
                   for (int64_t r = 1; r < R; ++r) {
                     const T* xr = xo + r * inner;
                     for (int64_t c = 0; c < w; ++c) {
                       const bool take = better(xr[c], best[c]);
                       best[c] = take ? xr[c] : best[c];
                       idx[c] = take ? static_cast<int32_t>(r) : idx[c];
                     }
                   }
                   std::copy(idx, idx + w, out + o * inner + c0);
                 }
               });
}

}  // namespace

void reduce(ReduceOp op, const Tensor& x, const std::vector<int>& axes, const Tensor& out) {
  const ReducePlan p = plan_reduce(x.shape, axes);
  if (p.out_numel == 0) return;
  if (p.reduce_numel == 0) {
    return fill_empty_reduce(op, out, [](auto* o, int64_t n, auto v) { std::fill(o, o + n, v); });
  }
  switch (x.dtype()) {
    case DType::kFloat32: {
      const ReduceF32Loops* loops = &reduce_f32_loops();
      switch (op) {
        case ReduceOp::kSum: return run(SumF32{loops, 1.0}, x, out, p);
        case ReduceOp::kMean: return run(SumF32{loops, static_cast<double>(p.reduce_numel)}, x, out, p);
        case ReduceOp::kProd: return run(Prod<float, float>{}, x, out, p);
        case ReduceOp::kMax: return run(ExtremeF32<true>{loops}, x, out, p);
        case ReduceOp::kMin: return run(ExtremeF32<false>{loops}, x, out, p);
        default: fail("Any/All: input must be bool, got float32");
      }
    }
    case DType::kInt32: return reduce_int<int32_t>(op, x, out, p);
    case DType::kBool: return reduce_int<uint8_t>(op, x, out, p);
  }
}

void arg_reduce(bool is_max, const Tensor& x, int axis, const Tensor& out) {
  dispatch_arg_reduce(
      is_max, x, axis, out, [](int32_t* o, int64_t n) { std::fill(o, o + n, 0); },
      [](auto kmax, const auto* xd, int32_t* o, const AxisView& v) {
        arg_reduce_typed<decltype(kmax)::value>(xd, o, v.outer, v.R, v.inner);
      });
}

}  // namespace ibot::cpu
