// Run-time detection of AVX2/FMA and AVX-512 (F, BW, VL, DQ) with __builtin_cpu_supports.
#include "core/cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace ibot {
namespace {

CpuIsa detect() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma"))
    return CpuIsa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CpuIsa::kAvx2;
#endif
  return CpuIsa::kGeneric;
}

CpuIsa initial() {
  CpuIsa best = detect();
  if (const char* env = std::getenv("IBOT_CPU_ISA")) {
    CpuIsa want = best;
    if (!std::strcmp(env, "generic")) want = CpuIsa::kGeneric;
    if (!std::strcmp(env, "avx2")) want = CpuIsa::kAvx2;
    if (!std::strcmp(env, "avx512")) want = CpuIsa::kAvx512;
    if (static_cast<int>(want) <= static_cast<int>(best)) return want;
  }
  return best;
}

std::atomic<int> g_isa{static_cast<int>(initial())};

}  // namespace

CpuIsa cpu_isa() { return static_cast<CpuIsa>(g_isa.load(std::memory_order_relaxed)); }
CpuIsa cpu_isa_best() {
  static const CpuIsa best = detect();
  return best;
}

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kAvx512: return "avx512";
    case CpuIsa::kAvx2: return "avx2";
    default: return "generic";
  }
}

bool set_cpu_isa(CpuIsa isa) {
  if (static_cast<int>(isa) > static_cast<int>(cpu_isa_best())) return false;
  g_isa.store(static_cast<int>(isa));
  return true;
}

}  // namespace ibot
