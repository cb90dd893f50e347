// GEMM leaf routines for AVX-512 (see matmul_kernels.inc): a 12 x 32 micro-tile, 24 zmm accumulators.
// Chosen by measurement on the 2-core Zen 5 development machine (one thread, best median GFLOP/s of 3 rounds; the
// machine is shared, so differences under ~5 % are noise):
//                 512^3  [12608,384]x[384,1152]  QK^T 384x197x197x64  PV  same in cache (8 heads)  dW (tA)  dX (tB)
//   12x32 kc256    190          203                    125             113       176 / 176            191      180
//   14x32          189          195                    116             106       162 / 163            192      183
//    8x48          190          196                    134             112       155 / 143            184      184
//    6x32          189          200                    131             121       167 / 168            184      174
// kc 192/256/384 and mc 96/144 moved the large shapes by a few % either way; the blocking evens out the remainders
// (cpu/matmul.cc). The IBOT_GEMM_AVX512_* macros exist to rerun this comparison.
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
