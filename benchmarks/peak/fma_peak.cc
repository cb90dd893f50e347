// Measures this machine's FP32 FMA peak: each thread runs 12 independent FMA chains (enough to cover the FMA latency on
// current x86 cores) for a fixed time, with 256-bit (AVX2) or 512-bit (AVX-512) vectors.
// GFLOP/s = threads * iterations * 12 chains * lanes * 2 / seconds. Built and run by benchmarks/lib/peak.ts so every
// kernel benchmark reports efficiency against a peak measured in the same run, on the same (possibly shared) machine.
// `bf16` runs the same twelve chains with AVX-512 BF16 dot products instead (vdpbf16ps: 16 lanes, each adding two
// bf16 x bf16 products into an FP32 accumulator, so 64 FLOPs per instruction): the ceiling of a kernel whose products
// take bf16 inputs with FP32 accumulation. It prints 0 where the CPU lacks the instruction (as avx512 does).
// Usage: fma_peak avx2|avx512|bf16 THREADS SECONDS
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;

// One body for every variant, compiled for each ISA through the target attribute. The twelve accumulators are
// separate variables (an array would live in memory, making every FMA a load-FMA-store chain), and the clock is read
// once per 4096 rounds so spilling around the call costs nothing measurable. OPERAND, A and B are the type and values
// of the two multiplicands; FLOPS is per lane and instruction (2 for an FMA, 4 for a bf16 pair dot product).
#define IBOT_FMA_STEP(FMA, V) V = FMA(V, a, b);
#define IBOT_FMA_CHAINS(NAME, TARGET, VEC, FMA, SET1, LANES, OPERAND, A, B, FLOPS)                   \
  __attribute__((target(TARGET))) static double NAME(double seconds) {                               \
    VEC c0 = SET1(1.00f), c1 = SET1(1.01f), c2 = SET1(1.02f), c3 = SET1(1.03f), c4 = SET1(1.04f);       \
    VEC c5 = SET1(1.05f), c6 = SET1(1.06f), c7 = SET1(1.07f), c8 = SET1(1.08f), c9 = SET1(1.09f);       \
    VEC c10 = SET1(1.10f), c11 = SET1(1.11f);                                                        \
    const OPERAND a = A, b = B;                                                                      \
    long long rounds = 0;                                                                            \
    auto start = Clock::now();                                                                       \
    double elapsed = 0;                                                                              \
    do {                                                                                             \
      for (int r = 0; r < 4096; ++r) {                                                               \
        IBOT_FMA_STEP(FMA, c0) IBOT_FMA_STEP(FMA, c1) IBOT_FMA_STEP(FMA, c2) IBOT_FMA_STEP(FMA, c3) IBOT_FMA_STEP(FMA, c4)     \
        IBOT_FMA_STEP(FMA, c5) IBOT_FMA_STEP(FMA, c6) IBOT_FMA_STEP(FMA, c7) IBOT_FMA_STEP(FMA, c8) IBOT_FMA_STEP(FMA, c9)     \
        IBOT_FMA_STEP(FMA, c10) IBOT_FMA_STEP(FMA, c11)                                                        \
      }                                                                                              \
      rounds += 4096;                                                                                \
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();                         \
    } while (elapsed < seconds);                                                                     \
    VEC sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;                           \
    float lanes[LANES];                                                                              \
    std::memcpy(lanes, &sum, sizeof lanes);                                                          \
    if (lanes[0] == 12345.0f) std::printf(" "); /* keeps the chains alive */                         \
    return rounds * 12.0 * LANES * FLOPS / elapsed / 1e9;                                            \
  }

IBOT_FMA_CHAINS(chains256, "avx2,fma", __m256, _mm256_fmadd_ps, _mm256_set1_ps, 8, __m256, _mm256_set1_ps(0.999999f),
                _mm256_set1_ps(1e-7f), 2)
IBOT_FMA_CHAINS(chains512, "avx512f", __m512, _mm512_fmadd_ps, _mm512_set1_ps, 16, __m512, _mm512_set1_ps(0.999999f),
                _mm512_set1_ps(1e-7f), 2)
// 0x3f80 is bf16 1.0 and 0x3380 is ~6e-8: the sums grow slowly and stay finite however long the loop runs.
IBOT_FMA_CHAINS(chains_bf16, "avx512f,avx512bf16", __m512, _mm512_dpbf16_ps, _mm512_set1_ps, 16, __m512bh,
                (__m512bh)_mm512_set1_epi16(0x3f80), (__m512bh)_mm512_set1_epi16(0x3380), 4)

int main(int argc, char** argv) {
  bool bf16 = argc > 1 && std::strcmp(argv[1], "bf16") == 0;
  bool wide = argc > 1 && std::strcmp(argv[1], "avx512") == 0;
  int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  double seconds = argc > 3 ? std::atof(argv[3]) : 0.5;
  if ((wide && !__builtin_cpu_supports("avx512f")) || (bf16 && !__builtin_cpu_supports("avx512bf16"))) {
    std::printf("0\n");
    return 0;
  }
  std::vector<double> rates(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] { rates[t] = bf16 ? chains_bf16(seconds) : wide ? chains512(seconds) : chains256(seconds); });
  for (auto& t : pool) t.join();
  double total = 0;
  for (double r : rates) total += r;
  std::printf("%.1f\n", total);
  return 0;
}
