// Measures this machine's FP32 FMA peak: each thread runs 12 independent 256-bit FMA chains (enough to cover the FMA
// latency on current x86 cores) for a fixed time. GFLOP/s = threads * iterations * 12 chains * 8 lanes * 2 / seconds.
// Built and run by benchmarks/lib/peak.ts so every kernel benchmark reports efficiency against a peak measured in the
// same run, on the same (possibly shared) machine.
#include <immintrin.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

static double run_thread(double seconds) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(1.0f + i * 1e-3f);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  long long iters = 0;
  auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    for (int r = 0; r < 1000; ++r) {
      for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    }
    iters += 1000;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  float sink = 0;
  for (int i = 0; i < 12; ++i) sink += _mm256_cvtss_f32(acc[i]);
  if (sink == 12345.0f) std::printf(" ");  // keeps the chains alive
  return iters * 12.0 * 8 * 2 / elapsed / 1e9;
}

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  double seconds = argc > 2 ? std::atof(argv[2]) : 0.5;
  std::vector<double> rates(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { rates[t] = run_thread(seconds); });
  for (auto& t : pool) t.join();
  double total = 0;
  for (double r : rates) total += r;
  std::printf("%.1f\n", total);
  return 0;
}
