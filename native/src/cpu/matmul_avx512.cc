// GEMM leaf routines for AVX-512 (see matmul_kernels.inc): a 12 x 32 micro-tile, 24 zmm accumulators.
#include <immintrin.h>

#include <cstring>
#include <utility>

#include "cpu/matmul_kernels.h"
#include "cpu/vec_math.h"

#ifndef IBOT_GEMM_AVX512_MR
#define IBOT_GEMM_AVX512_MR 12
#define IBOT_GEMM_AVX512_NV 2
#define IBOT_GEMM_AVX512_KC 256
#define IBOT_GEMM_AVX512_MC 144
#endif

namespace ibot::cpu {
namespace {

struct V {
  using T = __m512;
  static constexpr int W = 16;
  static T zero() { return _mm512_setzero_ps(); }
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T x) { _mm512_storeu_ps(p, x); }
  static T bcast(float s) { return _mm512_set1_ps(s); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
};

constexpr int kMR = IBOT_GEMM_AVX512_MR, kNV = IBOT_GEMM_AVX512_NV;
constexpr int64_t kKC = IBOT_GEMM_AVX512_KC, kMC = IBOT_GEMM_AVX512_MC, kNC = 4096;
constexpr const char* kName = "avx512";

#define IBOT_GEMM_HAVE_TRANSPOSE_8X8 1
#include "cpu/matmul_transpose_avx.inc"
#include "cpu/matmul_kernels.inc"

}  // namespace

const GemmKernels& gemm_kernels_avx512() { return kKernels; }

}  // namespace ibot::cpu
