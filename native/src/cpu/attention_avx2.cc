// Attention leaf routines for AVX2 + FMA (see attention_kernels.inc): a 6 x 16 register tile (12 ymm accumulators
// of the 16 registers).
#include <immintrin.h>

#include <cstdint>
#include <utility>

#include "cpu/attention_kernels.h"
#include "cpu/vec_math.h"

namespace ibot::cpu {
namespace {

struct V {
  using T = __m256;
  static constexpr int W = 8;
  static T zero() { return _mm256_setzero_ps(); }
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, T x) { _mm256_storeu_ps(p, x); }
  static T bcast(float s) { return _mm256_set1_ps(s); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static T max(T a, T b) { return _mm256_max_ps(a, b); }
};

constexpr int kMR = 6, kNV = 2;
constexpr const char* kName = "avx2";

#define IBOT_ATTENTION_HAVE_TRANSPOSE_8X8 1
#include "cpu/matmul_transpose_avx.inc"
#include "cpu/attention_kernels.inc"

}  // namespace

const AttentionKernels& attention_kernels_avx2() { return kKernels; }

}  // namespace ibot::cpu
