// GEMM leaf routines for any CPU (see matmul_kernels.inc): GCC vector extensions, a 4 x 8 micro-tile of 4-wide
// vectors (SSE2 on a baseline x86-64, 8 of its 16 registers as accumulators).
#include <cstring>
#include <utility>

#include "cpu/matmul_kernels.h"
#include "cpu/vec_math.h"

namespace ibot::cpu {
namespace {

typedef float v4f __attribute__((vector_size(16)));

struct V {
  using T = v4f;
  static constexpr int W = 4;
  static T zero() { return T{0.0f, 0.0f, 0.0f, 0.0f}; }
  static T load(const float* p) {
    T x;
    std::memcpy(&x, p, sizeof x);
    return x;
  }
  static void store(float* p, T x) { std::memcpy(p, &x, sizeof x); }
  static T bcast(float s) { return T{s, s, s, s}; }
  static T fma(T a, T b, T c) { return a * b + c; }
  static T add(T a, T b) { return a + b; }
};

constexpr int kMR = 4, kNV = 2;
constexpr int64_t kKC = 256, kMC = 128, kNC = 4096;
constexpr const char* kName = "generic";

#include "cpu/matmul_kernels.inc"

}  // namespace

const GemmKernels& gemm_kernels_generic() { return kKernels; }

}  // namespace ibot::cpu
