// Internal to the CPU GEMM: the ISA-specific leaf routines (packing, register-tiled micro-kernel, epilogue) that
// cpu/matmul.cc drives. One table per ISA, built from cpu/matmul_kernels.inc in matmul_{generic,avx2,avx512}.cc.
// The driver (blocking, buffers, threads) stays in one baseline TU so that no std:: template or inline helper is ever
// compiled with AVX-512 in one object and picked by the linker for a caller that must run on a plain x86-64.
#pragma once
#include <cstdint>

#include "kernels/matmul.h"

namespace ibot::cpu {

// What the last K block applies to each finished tile: c = act(c + bias[col]), and pre = c + bias[col] when asked.
struct GemmEpilogue {
  const float* bias = nullptr;  // [N] or null; indexed by absolute column
  Activation activation = Activation::kLinear;
  float alpha = 0.0f;  // kLeakyRelu slope
  // Pre-activation output or null. Unlike bias it moves with the block: it points at the element that belongs to
  // C[0, 0] of the block the epilogue is handed (see at()), with leading dimension ldp.
  float* pre = nullptr;
  int64_t ldp = 0;
  bool active() const { return bias != nullptr || activation != Activation::kLinear || pre != nullptr; }
  // The epilogue of the sub-block whose C[0, 0] is this block's C[row, col].
  GemmEpilogue at(int64_t row, int64_t col) const {
    GemmEpilogue e = *this;
    if (pre) e.pre = pre + row * ldp + col;
    return e;
  }
};

struct GemmKernels {
  const char* name;
  int mr, nr;          // micro-tile: mr rows of C (broadcast from A) by nr columns (vectors of B)
  int64_t kc, mc, nc;  // cache blocking: kc x nr of B in L1, mc x kc of A in L2, kc x nc of B in L3

  // Packs op(A)[0:mc, 0:kc] (scaled by alpha) into ceil(mc / mr) panels of [kc][mr], zero-padding the last panel.
  // `a` points at op(A)[0, 0]: A[i][p] = a[i * lda + p], or a[p * lda + i] when trans.
  void (*pack_a)(const float* a, int64_t lda, bool trans, int64_t mc, int64_t kc, float alpha, float* dst);
  // Packs op(B)[0:kc, 0:nc] into ceil(nc / nr) panels of [kc][nr], zero-padding the last panel.
  // B[p][j] = b[p * ldb + j], or b[j * ldb + p] when trans.
  void (*pack_b)(const float* b, int64_t ldb, bool trans, int64_t kc, int64_t nc, float* dst);
  // C[0:mc, 0:nc] = (accumulate ? C : 0) + packed A . packed B, then `epi` (when not null) on the result. `col0` is the
  // absolute column of C[.., 0] (for the bias).
  void (*macro)(int64_t mc, int64_t nc, int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc,
                bool accumulate, const GemmEpilogue* epi, int64_t col0);
  // C[0:m, 0:n] = act(C + bias) for a block computed elsewhere (K == 0, or beta-only updates).
  void (*epilogue)(float* c, int64_t ldc, int64_t m, int64_t n, const GemmEpilogue& epi, int64_t col0);
};

const GemmKernels& gemm_kernels_generic();
const GemmKernels& gemm_kernels_avx2();
const GemmKernels& gemm_kernels_avx512();

}  // namespace ibot::cpu
