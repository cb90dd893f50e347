// Branch-free float32 exp, log, erf, tanh and sigmoid for CPU kernels. Written with selects instead of branches and
// bit casts instead of library calls so that GCC vectorises loops that call them (libm calls would stay scalar).
// Accuracy against double-precision libm over the float range: see native/test/vec_math_accuracy.cc (a few ulp).
#pragma once
#include <cstdint>
#include <cstring>

namespace ibot::cpu {

inline float bits_to_float(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}

inline int32_t float_to_bits(float f) {
  int32_t i;
  std::memcpy(&i, &f, sizeof i);
  return i;
}

// e^x: Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, a degree-6 polynomial for e^r, and 2^n applied as two
// halves so n in [-150, 128] (denormal results included) never builds an invalid exponent.
inline float exp_f32(float x) {
  const float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  const float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits
  float xc = x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x);
  float t = xc * kLog2e + kRound;
  int32_t n = float_to_bits(t) - float_to_bits(kRound);
  float fn = t - kRound;
  float r = xc - fn * kLn2Hi - fn * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t n1 = n >> 1, n2 = n - n1;
  float y = p * bits_to_float((n1 + 127) << 23) * bits_to_float((n2 + 127) << 23);
  y = x > 88.72283935546875f ? __builtin_inff() : y;
  y = x < -103.972084045410f ? 0.0f : y;
  return x != x ? x : y;
}

// ln x: x = m 2^e with m in [sqrt(1/2), sqrt(2)), a degree-9 polynomial for ln(1+f). Denormals are scaled up first.
inline float log_f32(float x) {
  const float kSqrtHalf = 0.707106781186547524f;
  bool tiny = x < 1.17549435e-38f;
  float xs = tiny ? x * 8388608.0f : x;  // 2^23
  int32_t bits = float_to_bits(xs);
  int32_t e = ((bits >> 23) & 0xff) - 126 - (tiny ? 23 : 0);
  float m = bits_to_float((bits & 0x007fffff) | 0x3f000000);  // in [0.5, 1)
  bool low = m < kSqrtHalf;
  e = low ? e - 1 : e;
  m = low ? m + m - 1.0f : m - 1.0f;
  float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  float fe = static_cast<float>(e);
  y += -2.12194440e-4f * fe;
  y += -0.5f * z;
  float r = m + y + 0.693359375f * fe;
  r = x == __builtin_inff() ? x : r;
  r = x == 0.0f ? -__builtin_inff() : r;
  r = x < 0.0f ? __builtin_nanf("") : r;
  return x != x ? x : r;
}

// erf x: the Maclaurin series to x^15 below |x| = 0.5 (keeps relative accuracy near 0) and 1 - erfc above it, with
// erfc from the Chebyshev fit of Numerical Recipes (fractional error < 1.2e-7).
inline float erf_f32(float x) {
  float a = x < 0.0f ? -x : x;
  float z = a * a;
  float s = -1.0f / 75600.0f;  // coefficients (-1)^k / (k! (2k+1)), times 2/sqrt(pi) below
  s = s * z + 1.0f / 9360.0f;
  s = s * z - 1.0f / 1320.0f;
  s = s * z + 1.0f / 216.0f;
  s = s * z - 1.0f / 42.0f;
  s = s * z + 1.0f / 10.0f;
  s = s * z - 1.0f / 3.0f;
  s = s * z + 1.0f;
  float small = 1.12837916709551257f * a * s;
  float t = 1.0f / (1.0f + 0.5f * a);
  float q = 0.17087277f;
  q = q * t - 0.82215223f;
  q = q * t + 1.48851587f;
  q = q * t - 1.13520398f;
  q = q * t + 0.27886807f;
  q = q * t - 0.18628806f;
  q = q * t + 0.09678418f;
  q = q * t + 0.37409196f;
  q = q * t + 1.00002368f;
  q = q * t - 1.26551223f;
  float large = 1.0f - t * exp_f32(q - z);
  float r = a < 0.5f ? small : large;
  r = a > 10.0f ? 1.0f : r;
  r = x < 0.0f ? -r : r;
  return x != x ? x : r;
}

// tanh x: an odd polynomial below |x| = 0.625, 1 - 2 / (e^{2|x|} + 1) above.
inline float tanh_f32(float x) {
  float a = x < 0.0f ? -x : x;
  float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  float small = p * z * x + x;
  float large = 1.0f - 2.0f / (exp_f32(2.0f * (a > 20.0f ? 20.0f : a)) + 1.0f);
  large = x < 0.0f ? -large : large;
  float r = a < 0.625f ? small : large;
  r = x == 0.0f ? x : r;  // keeps the sign of -0 (the polynomial would give +0)
  return x != x ? x : r;
}

// 1 / (1 + e^-x), written through e^-|x| so large negative x keeps its tiny (even denormal) value instead of 0.
inline float sigmoid_f32(float x) {
  float e = exp_f32(x < 0.0f ? x : -x);
  float s = 1.0f / (1.0f + e);
  return x < 0.0f ? e * s : s;
}

// GELU with the exact erf form (the ViT's nn.GELU): 0.5 x (1 + erf(x / sqrt 2)).
inline float gelu_f32(float x) { return 0.5f * x * (1.0f + erf_f32(x * 0.70710678118654752f)); }

}  // namespace ibot::cpu
