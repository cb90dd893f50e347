// Attention leaf routines for baseline x86-64 (SSE2 vectors through GCC's vector extension; see
// attention_kernels.inc): a 4 x 8 register tile.
#include <cstdint>
#include <cstring>
#include <utility>

#include "cpu/attention_kernels.h"
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
  static T mul(T a, T b) { return a * b; }
  // maxps semantics: b unless a > b (so a NaN a gives b).
  static T max(T a, T b) { return a > b ? a : b; }
};

constexpr int kMR = 4, kNV = 2;
constexpr const char* kName = "generic";

#include "cpu/attention_kernels.inc"

}  // namespace

const AttentionKernels& attention_kernels_generic() { return kKernels; }

}  // namespace ibot::cpu
