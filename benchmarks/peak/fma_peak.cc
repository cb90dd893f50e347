// Measures this machine's FP32 FMA peak: each thread runs 12 independent FMA chains (enough to cover the FMA latency on
// current x86 cores) for a fixed time, with 256-bit (AVX2) or 512-bit (AVX-512) vectors.
// GFLOP/s = threads * iterations * 12 chains * lanes * 2 / seconds. Built and run by benchmarks/lib/peak.ts so every
// kernel benchmark reports efficiency against a peak measured in the same run, on the same (possibly shared) machine.
// Usage: fma_peak avx2|avx512 THREADS SECONDS
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;

// One body for both widths, compiled for each ISA through the target attribute, so every FMA stays in registers.
#define IBOT_FMA_CHAINS(NAME, TARGET, VEC, FMA, SET1, LANES)                       \
  __attribute__((target(TARGET))) static double NAME(double seconds) {             \
    VEC acc[12];                                                                   \
    for (int i = 0; i < 12; ++i) acc[i] = SET1(1.0f + i * 1e-3f);                  \
    const VEC a = SET1(0.999999f), b = SET1(1e-7f);                                \
    long long iters = 0;                                                           \
    auto start = Clock::now();                                                     \
    double elapsed = 0;                                                            \
    do {                                                                           \
      for (int r = 0; r < 1000; ++r)                                               \
        for (int i = 0; i < 12; ++i) acc[i] = FMA(acc[i], a, b);                   \
      iters += 1000;                                                               \
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();       \
    } while (elapsed < seconds);                                                   \
    float lanes[LANES], sink = 0;                                                  \
    for (int i = 0; i < 12; ++i) {                                                 \
      std::memcpy(lanes, &acc[i], sizeof lanes);                                   \
      sink += lanes[0];                                                            \
    }                                                                              \
    if (sink == 12345.0f) std::printf(" "); /* keeps the chains alive */           \
    return iters * 12.0 * LANES * 2 / elapsed / 1e9;                               \
  }

IBOT_FMA_CHAINS(chains256, "avx2,fma", __m256, _mm256_fmadd_ps, _mm256_set1_ps, 8)
IBOT_FMA_CHAINS(chains512, "avx512f", __m512, _mm512_fmadd_ps, _mm512_set1_ps, 16)

int main(int argc, char** argv) {
  bool wide = argc > 1 && std::strcmp(argv[1], "avx512") == 0;
  int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  double seconds = argc > 3 ? std::atof(argv[3]) : 0.5;
  if (wide && !__builtin_cpu_supports("avx512f")) {
    std::printf("0\n");
    return 0;
  }
  std::vector<double> rates(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] { rates[t] = wide ? chains512(seconds) : chains256(seconds); });
  for (auto& t : pool) t.join();
  double total = 0;
  for (double r : rates) total += r;
  std::printf("%.1f\n", total);
  return 0;
}
