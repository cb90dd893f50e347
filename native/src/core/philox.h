// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a counter-based generator, so
// any draw is a pure function of (counter, key) and CPU threads, CUDA threads and JS agree on every bit without
// sharing state. Integer-only; the same code compiles for host and device.
// JS twin: packages/ops/src/block_mask/philox.ts.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define IBOT_PHILOX_HD __host__ __device__ inline
#else
#define IBOT_PHILOX_HD inline
#endif

namespace ibot {

struct Philox4x32 {
  uint32_t v[4];
};

namespace philox_detail {

constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments

IBOT_PHILOX_HD uint32_t mulhi(uint32_t a, uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __umulhi(a, b);
#else
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
#endif
}

}  // namespace philox_detail

// Ten rounds with the key bumped between rounds; checked against Random123's known-answer vectors (kat_vectors) by the
// JS twin's test, and native == JS by the mask tests.
IBOT_PHILOX_HD Philox4x32 philox4x32_10(Philox4x32 ctr, uint32_t key0, uint32_t key1) {
  using namespace philox_detail;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key0 += kW0;
      key1 += kW1;
    }
    const uint32_t hi0 = mulhi(kM0, ctr.v[0]), lo0 = kM0 * ctr.v[0];
    const uint32_t hi1 = mulhi(kM1, ctr.v[2]), lo1 = kM1 * ctr.v[2];
    ctr = Philox4x32{{hi1 ^ ctr.v[1] ^ key0, lo1, hi0 ^ ctr.v[3] ^ key1, lo0}};
  }
  return ctr;
}

}  // namespace ibot
