// Measures cpu/vec_math.h against double-precision libm: max error in ulp (of the float32 result) and max absolute
// error, over a dense sweep plus special values. Run: native/test/run-vec-math-accuracy.sh
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "cpu/vec_math.h"

using namespace ibot::cpu;

static double ulp_of(double v) {
  float f = static_cast<float>(std::fabs(v));
  if (f < std::numeric_limits<float>::min()) return std::numeric_limits<float>::denorm_min();
  return std::nextafter(f, std::numeric_limits<float>::infinity()) - f;
}

template <typename F, typename R>
static int sweep(const char* name, F f, R ref, float lo, float hi, double max_ulp, double max_abs) {
  double worst_ulp = 0, worst_abs = 0;
  float at_ulp = 0, at_abs = 0;
  const int n = 2000000;
  for (int i = 0; i <= n; ++i) {
    float x = lo + (hi - lo) * (static_cast<float>(i) / n);
    double want = ref(static_cast<double>(x));
    double got = f(x);
    if (std::isnan(want) && std::isnan(got)) continue;
    if (std::isinf(static_cast<float>(want)) || std::isinf(got)) {
      want = static_cast<float>(want);  // overflow is judged in float32, where the true value is infinite too
      if (want != got) { std::printf("%s(%g): got %g want %g\n", name, x, got, want); return 1; }
      continue;
    }
    double err = std::fabs(got - want);
    double u = err / ulp_of(want);
    if (u > worst_ulp) { worst_ulp = u; at_ulp = x; }
    if (err > worst_abs) { worst_abs = err; at_abs = x; }
  }
  bool ok = worst_ulp <= max_ulp || worst_abs <= max_abs;
  std::printf("%-8s [%g, %g]: max %.2f ulp (at %g), max abs %.3g (at %g) %s\n", name, lo, hi, worst_ulp, at_ulp,
              worst_abs, at_abs, ok ? "ok" : "FAIL");
  return ok ? 0 : 1;
}

int main() {
  int bad = 0;
  bad += sweep("exp", exp_f32, [](double x) { return std::exp(x); }, -110.f, 90.f, 2.0, 0);
  bad += sweep("exp", exp_f32, [](double x) { return std::exp(x); }, -1.f, 1.f, 2.0, 0);
  bad += sweep("log", log_f32, [](double x) { return std::log(x); }, 1e-30f, 10.f, 2.0, 0);
  bad += sweep("log", log_f32, [](double x) { return std::log(x); }, 0.5f, 2.f, 2.0, 0);
  bad += sweep("log", log_f32, [](double x) { return std::log(x); }, 1e3f, 3e38f, 2.0, 0);
  bad += sweep("log", log_f32, [](double x) { return std::log(x); }, 1e-44f, 1e-38f, 2.0, 0);
  bad += sweep("erf", erf_f32, [](double x) { return std::erf(x); }, -6.f, 6.f, 4.0, 2e-7);
  bad += sweep("erf", erf_f32, [](double x) { return std::erf(x); }, -1e-3f, 1e-3f, 4.0, 0);
  bad += sweep("tanh", tanh_f32, [](double x) { return std::tanh(x); }, -12.f, 12.f, 4.0, 0);
  bad += sweep("tanh", tanh_f32, [](double x) { return std::tanh(x); }, -1e-3f, 1e-3f, 4.0, 0);
  bad += sweep("sigmoid", sigmoid_f32, [](double x) { return 1 / (1 + std::exp(-x)); }, -90.f, 90.f, 4.0, 1e-7);
  // Special values.
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  bad += !(exp_f32(inf) == inf && exp_f32(-inf) == 0 && std::isnan(exp_f32(nan)));
  bad += !(log_f32(0.f) == -inf && std::isnan(log_f32(-1.f)) && log_f32(inf) == inf && std::isnan(log_f32(nan)));
  bad += !(erf_f32(inf) == 1 && erf_f32(-inf) == -1 && std::isnan(erf_f32(nan)) && erf_f32(0.f) == 0);
  bad += !(tanh_f32(inf) == 1 && tanh_f32(-inf) == -1 && std::isnan(tanh_f32(nan)));
  std::printf(bad ? "vec_math: FAILED\n" : "vec_math: all within bounds\n");
  return bad ? 1 : 0;
}
