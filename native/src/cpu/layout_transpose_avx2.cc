// AVX2 tile transpose for 4-byte elements: full 8x8 blocks go through registers (8 loads, 24 shuffles, 8 stores);
// the ragged edges of a tile are copied one element at a time.
#include <immintrin.h>

#include "cpu/layout_transpose.h"

namespace ibot::cpu::avx2 {
namespace {

// Reads 8 rows of 8 (rows j of src, stride lds) and writes them as 8 columns (rows i of dst, stride ldd).
inline void block8x8(const float* s, int64_t lds, float* d, int64_t ldd) {
  __m256 r0 = _mm256_loadu_ps(s + 0 * lds), r1 = _mm256_loadu_ps(s + 1 * lds);
  __m256 r2 = _mm256_loadu_ps(s + 2 * lds), r3 = _mm256_loadu_ps(s + 3 * lds);
  __m256 r4 = _mm256_loadu_ps(s + 4 * lds), r5 = _mm256_loadu_ps(s + 5 * lds);
  __m256 r6 = _mm256_loadu_ps(s + 6 * lds), r7 = _mm256_loadu_ps(s + 7 * lds);
  // Shuffles only move bits: NaN payloads and signalling NaNs pass through unchanged.
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  _mm256_storeu_ps(d + 0 * ldd, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(d + 1 * ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(d + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(d + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(d + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(d + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(d + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(d + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}

}  // namespace

void transpose_tile_4byte(const uint32_t* src, int64_t lds, uint32_t* dst, int64_t ldd, int64_t na, int64_t nb) {
  const float* s = reinterpret_cast<const float*>(src);
  float* d = reinterpret_cast<float*>(dst);
  const int64_t na8 = na & ~int64_t{7}, nb8 = nb & ~int64_t{7};
  for (int64_t i = 0; i < na8; i += 8) {
    for (int64_t j = 0; j < nb8; j += 8) block8x8(s + j * lds + i, lds, d + i * ldd + j, ldd);
    for (int64_t ii = i; ii < i + 8; ++ii)
      for (int64_t j = nb8; j < nb; ++j) dst[ii * ldd + j] = src[j * lds + ii];
  }
  for (int64_t i = na8; i < na; ++i)
    for (int64_t j = 0; j < nb; ++j) dst[i * ldd + j] = src[j * lds + i];
}

}  // namespace ibot::cpu::avx2
