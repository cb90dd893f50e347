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
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  // e^x, 16 lanes: the reduction and polynomial of vec_math.h's exp_f32 (<= 1.5 ulp), but 2^n applied by vscalefps,
  // which handles overflow to inf and denormal results itself, so the range checks are two clamps (~14 instructions
  // instead of ~28; the softmax and the backward's recomputed probabilities spend most of their non-FMA time here).
  // Clamping to [-104, 100] keeps r finite; e^-104 rounds to 0 and 2^144 overflows to inf as they should. NaN passes
  // through (vmaxps/vminps return their second operand, x, when either is NaN).
  static T exp(T x) {
    x = _mm512_maskz_max_ps(0xffff, _mm512_set1_ps(-104.0f), x);
    x = _mm512_maskz_min_ps(0xffff, _mm512_set1_ps(100.0f), x);
    const T n = _mm512_maskz_roundscale_ps(0xffff, _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    T r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);  // Cody-Waite: ln 2 = hi + lo
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    T p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    return _mm512_maskz_scalef_ps(0xffff, p, n);
  }
};
#define IBOT_ATTENTION_HAVE_VEXP 1

constexpr int kMR = 6, kNV = 4;
constexpr const char* kName = "avx512";

#define IBOT_ATTENTION_HAVE_TRANSPOSE_8X8 1
#include "cpu/matmul_transpose_avx.inc"
#include "cpu/attention_kernels.inc"

}  // namespace

const AttentionKernels& attention_kernels_avx512() { return kKernels; }

}  // namespace ibot::cpu
