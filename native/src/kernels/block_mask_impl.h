// The iBOT mask generator for one crop (IBOT_SPEC §3), shared verbatim by the CPU kernel (cpu/mask_block.cc) and the
// CUDA kernel (cuda/mask.cu, one thread per crop); packages/ops/src/block_mask/reference.ts is its line-by-line JS
// twin.
//
// Why CPU, CUDA and JS give IDENTICAL masks:
//  1. Randomness is Philox4x32-10 (core/philox.h), integer-only. Crop b of a batch reads its own stream: 32-bit word
//     i is lane i % 4 of philox4x32_10(counter {i / 4 (low, high 32 bits), b, step}, key {seed, kStreamKey}). Nothing
//     depends on the batch size, the thread that runs the crop, or the order crops run in.
//  2. Everything real-valued is float64 built from operations IEEE 754 rounds correctly on every side: + - * / and
//     sqrt, plus floor and integer <-> double conversions (exact here). On the device they are spelled __dadd_rn,
//     __dmul_rn, ... (below), which nvcc never contracts into an FMA whatever -fmad says. On the host the same
//     expressions are plain C++; GCC could contract a*b+c into an FMA only when FMA instructions are enabled, so the
//     CPU file is a baseline x86-64 file (no -mfma) AND is compiled with -ffp-contract=off (native/CMakeLists.txt).
//     x86-64 evaluates double in SSE2 registers (no x87 excess precision). JS numbers are IEEE doubles and JS never
//     fuses operations.
//  3. No libm: exp is ours (exp_small, + * / only); the two log constants are decimal literals of <= 17 significant
//     digits, which C++ compilers and JS engines both convert with correct rounding.
//  4. Rounding of the rectangle sides is round-half-to-even (Python's round), written with floor and compares. Exact
//     ties need area·aspect to be the square of a half-integer, which has probability ~0; the rule only matters for
//     making all three implementations agree on those.
//
// Draw order per crop (it defines the stream; changing it changes every mask):
//   ratio: one uniform per list entry with var > 0, then one randbelow(list length) when the list has >= 2 entries;
//   block: per attempt uniform(area), uniform(log aspect), and when the rectangle fits randint(top), randint(left);
//   rand:  Floyd's subset sampling, one randbelow(j + 1) for j = N - m .. N - 1 (a uniform m-subset of the N cells).
// uniform(a, b) = a + (b - a)·u with u = 53 random bits / 2^53 (Python's random.uniform and random.random);
// randbelow(n) is Lemire's multiply-shift with rejection, so it is exactly uniform.
#pragma once
#include <cstdint>

#include "core/philox.h"

#if defined(__CUDACC__)
#define IBOT_MASK_HD __host__ __device__ inline
#else
#define IBOT_MASK_HD inline
#endif

namespace ibot::block_mask {

constexpr int kMaxRatios = 16;              // list length limit (by-value kernel parameter on CUDA)
// "mask": the second key word, so other Philox users keyed by the same seed draw other numbers.
constexpr uint32_t kStreamKey = 0x6d61736bu;
constexpr int kAttempts = 10;
// ln(0.3) and ln(1/0.3) (IBOT_SPEC §3.2: aspect ratio range (0.3, 1/0.3), drawn log-uniformly).
constexpr double kLogAspectLo = -1.2039728043259361;
constexpr double kLogAspectHi = 1.2039728043259361;

enum class MaskShape : int32_t { kBlock = 0, kRand = 1 };

// Everything one crop's mask depends on (besides the crop index): the kernel attributes, by value.
struct Params {
  int64_t grid_h = 0, grid_w = 0;
  int32_t num_ratios = 0;
  MaskShape shape = MaskShape::kBlock;
  uint32_t seed = 0, step = 0;
  double ratios[kMaxRatios] = {};
  double ratio_vars[kMaxRatios] = {};
};

// Correctly rounded double arithmetic that no compiler fuses (see 2. above).
IBOT_MASK_HD double add_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
IBOT_MASK_HD double sub_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dsub_rn(a, b);
#else
  return a - b;
#endif
}
IBOT_MASK_HD double mul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
IBOT_MASK_HD double div_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __ddiv_rn(a, b);
#else
  return a / b;
#endif
}
IBOT_MASK_HD double sqrt_rn(double a) {
#if defined(__CUDA_ARCH__)
  return __dsqrt_rn(a);
#else
  return __builtin_sqrt(a);  // sqrtsd: correctly rounded; -fno-math-errno keeps it a single instruction
#endif
}
IBOT_MASK_HD double floor_exact(double a) {
#if defined(__CUDA_ARCH__)
  return floor(a);
#else
  return __builtin_floor(a);
#endif
}

// e^x for |x| <= 2 (the aspect exponent lies in [-1.21, 1.21]) from + * / only: e^x = (e^(x/8))^8 with e^(x/8) from
// its Taylor series to x^14 in Horner form (truncation < 1e-20 relative), then three squarings. About 1e-15 relative
// error against libm, which is irrelevant here: what matters is that every side computes the same bits.
IBOT_MASK_HD double exp_small(double x) {
  const double r = mul_rn(x, 0.125);  // exact
  double t = 1.0;
  for (int k = 14; k >= 1; --k) t = add_rn(1.0, mul_rn(div_rn(r, static_cast<double>(k)), t));
  t = mul_rn(t, t);
  t = mul_rn(t, t);
  return mul_rn(t, t);
}

// Python's round() for x >= 0: nearest integer, ties to even.
IBOT_MASK_HD int64_t round_half_even(double x) {
  const double f = floor_exact(x);
  const double d = sub_rn(x, f);  // exact: the fraction bits of x
  int64_t n = static_cast<int64_t>(f);
  if (d > 0.5 || (d == 0.5 && (n & 1) != 0)) ++n;
  return n;
}

// The random stream of one crop (see 1. above).
class Stream {
 public:
  IBOT_MASK_HD Stream(uint32_t seed, uint32_t step, uint32_t crop) : seed_(seed), step_(step), crop_(crop) {}

  IBOT_MASK_HD uint32_t next_u32() {
    if (lane_ == 4) {
      const Philox4x32 ctr{{static_cast<uint32_t>(block_), static_cast<uint32_t>(block_ >> 32), crop_, step_}};
      buf_ = philox4x32_10(ctr, seed_, kStreamKey);
      ++block_;
      lane_ = 0;
    }
    return buf_.v[lane_++];
  }

  // u in [0, 1) with 53 random bits, as CPython's random.random(): (a >> 5, b >> 6) -> (a·2^26 + b) / 2^53. Exact.
  IBOT_MASK_HD double next_unit() {
    const uint32_t a = next_u32() >> 5, b = next_u32() >> 6;
    return mul_rn(add_rn(mul_rn(static_cast<double>(a), 67108864.0), static_cast<double>(b)), 1.0 / 9007199254740992.0);
  }

  // random.uniform(lo, hi) = lo + (hi - lo)·u; also for hi < lo (then a value in (hi, lo]).
  IBOT_MASK_HD double uniform(double lo, double hi) { return add_rn(lo, mul_rn(sub_rn(hi, lo), next_unit())); }

  // Uniform integer in [0, n), 1 <= n <= 2^32 - 1: Lemire's multiply-shift, rejecting the low products that would
  // bias it.
  IBOT_MASK_HD uint32_t below(uint32_t n) {
    uint64_t m = static_cast<uint64_t>(next_u32()) * n;
    if (static_cast<uint32_t>(m) < n) {
      const uint32_t threshold = (0u - n) % n;  // 2^32 mod n
      while (static_cast<uint32_t>(m) < threshold) m = static_cast<uint64_t>(next_u32()) * n;
    }
    return static_cast<uint32_t>(m >> 32);
  }

  // random.randint(lo, hi), both inclusive.
  IBOT_MASK_HD int64_t randint(int64_t lo, int64_t hi) { return lo + below(static_cast<uint32_t>(hi - lo + 1)); }

 private:
  uint32_t seed_, step_, crop_;
  uint64_t block_ = 0;
  int lane_ = 4;
  Philox4x32 buf_{};
};

// IBOT_SPEC §3.2: each crop draws its own ratio. Scalar (one entry): U(r - v, r + v) if v > 0 else r. List: draw every
// entry that way, then pick one uniformly (random.choice).
IBOT_MASK_HD double draw_ratio(const Params& p, Stream& rng) {
  double values[kMaxRatios];
  for (int i = 0; i < p.num_ratios; ++i) {
    const double r = p.ratios[i], v = p.ratio_vars[i];
    values[i] = v > 0 ? rng.uniform(sub_rn(r, v), add_rn(r, v)) : r;
  }
  if (p.num_ratios == 1) return values[0];
  return values[rng.below(static_cast<uint32_t>(p.num_ratios))];
}

// IBOT_SPEC §3.3: rectangles of area U(lo, budget) and log-uniform aspect, strictly smaller than the grid, each adding
// 0 < new <= budget cells, until the real target T is reached or ten attempts in a row add nothing.
// mask [H·W] is all zeros on entry. The callback sees every accepted rectangle (the JS twin's tests use it).
template <typename OnRect>
IBOT_MASK_HD void fill_block(uint8_t* mask, int64_t H, int64_t W, double target, Stream& rng, OnRect&& on_rect) {
  const int64_t side = (H < W ? H : W) / 3;
  const double lo = static_cast<double>(side * side);
  int64_t count = 0;
  while (static_cast<double>(count) < target) {
    const double budget = sub_rn(target, static_cast<double>(count));
    int64_t added = 0;
    for (int attempt = 0; attempt < kAttempts && added == 0; ++attempt) {
      const double area = rng.uniform(lo, budget);
      const double aspect = exp_small(rng.uniform(kLogAspectLo, kLogAspectHi));
      const int64_t h = round_half_even(sqrt_rn(mul_rn(area, aspect)));
      const int64_t w = round_half_even(sqrt_rn(div_rn(area, aspect)));
      if (!(w < W && h < H)) continue;
      const int64_t top = rng.randint(0, H - h);
      const int64_t left = rng.randint(0, W - w);
      int64_t fresh = h * w;
      for (int64_t i = top; i < top + h; ++i)
        for (int64_t j = left; j < left + w; ++j) fresh -= mask[i * W + j];
      if (fresh > 0 && static_cast<double>(fresh) <= budget) {
        for (int64_t i = top; i < top + h; ++i)
          for (int64_t j = left; j < left + w; ++j) mask[i * W + j] = 1;
        on_rect(top, left, h, w);
        added = fresh;
      }
    }
    if (added == 0) break;
    count += added;
  }
}

// IBOT_SPEC §3.4: exactly floor(T) cells (clamped to [0, N]), a uniform subset (Floyd's algorithm: no index array, so
// the CUDA thread needs no scratch). mask [N] is all zeros on entry.
IBOT_MASK_HD void fill_rand(uint8_t* mask, int64_t n, double target, Stream& rng) {
  double t = floor_exact(target);
  if (!(t > 0)) return;
  const int64_t m = t >= static_cast<double>(n) ? n : static_cast<int64_t>(t);
  for (int64_t j = n - m; j < n; ++j) {
    const int64_t k = rng.below(static_cast<uint32_t>(j + 1));
    mask[mask[k] ? j : k] = 1;
  }
}

struct NoRectCallback {
  IBOT_MASK_HD void operator()(int64_t, int64_t, int64_t, int64_t) const {}
};

// Crop `crop`'s mask into out [grid_h·grid_w] (0/1 bytes, row-major). T = r·H·W evaluated left to right as in
// loader.py (`ratio * H * W`).
IBOT_MASK_HD void generate_crop(const Params& p, uint32_t crop, uint8_t* out) {
  const int64_t n = p.grid_h * p.grid_w;
  for (int64_t i = 0; i < n; ++i) out[i] = 0;
  Stream rng(p.seed, p.step, crop);
  const double ratio = draw_ratio(p, rng);
  const double target = mul_rn(mul_rn(ratio, static_cast<double>(p.grid_h)), static_cast<double>(p.grid_w));
  if (p.shape == MaskShape::kRand) fill_rand(out, n, target, rng);
  else fill_block(out, p.grid_h, p.grid_w, target, rng, NoRectCallback{});
}

}  // namespace ibot::block_mask
