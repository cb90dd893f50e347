// Attention leaf routines for AVX-512 (see attention_kernels.inc): a 6 x 64 register tile (24 zmm accumulators), so
// a head dimension of 64 is one tile wide and every score tile spans 64 keys.
#include <immintrin.h>

#include <cstdint>
#include <utility>

#include "cpu/attention_kernels.h"
#include "cpu/vec_math.h"

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
  static T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  // maskz form: the plain one trips a false -Wmaybe-uninitialized in GCC 12 (_mm512_undefined_ps).
  static T max(T a, T b) { return _mm512_maskz_max_ps(0xffff, a, b); }
};

constexpr int kMR = 6, kNV = 4;
constexpr const char* kName = "avx512";

#define IBOT_ATTENTION_HAVE_TRANSPOSE_8X8 1
#include "cpu/matmul_transpose_avx.inc"
#include "cpu/attention_kernels.inc"

}  // namespace

const AttentionKernels& attention_kernels_avx512() { return kKernels; }

}  // namespace ibot::cpu
