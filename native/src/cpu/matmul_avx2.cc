// GEMM leaf routines for AVX2 + FMA (see matmul_kernels.inc): a 6 x 16 micro-tile, 12 ymm accumulators.
#include <immintrin.h>

#include <cstring>
#include <utility>

#include "cpu/matmul_kernels.h"
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
};

constexpr int kMR = 6, kNV = 2;
constexpr int64_t kKC = 256, kMC = 144, kNC = 4096;
constexpr const char* kName = "avx2";

#define IBOT_GEMM_HAVE_TRANSPOSE_8X8 1
#include "cpu/matmul_transpose_avx.inc"
#include "cpu/matmul_kernels.inc"

}  // namespace

const GemmKernels& gemm_kernels_avx2() { return kKernels; }

}  // namespace ibot::cpu
