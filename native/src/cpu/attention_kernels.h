// Internal to the CPU attention: the ISA-specific leaf routines (register-tiled products, softmax rows) that
// cpu/attention.cc drives over heads and query tiles. One table per ISA, built from cpu/attention_kernels.inc in
// attention_{generic,avx2,avx512}.cc; as with the GEMM (cpu/matmul_kernels.h), everything compiled with an ISA's
// flags stays private to its object file and only the table is exported.
#pragma once
#include <cstdint>

namespace ibot::cpu {

// What `scores` does to each register tile before storing it: the backward's elementwise steps, done while the
// tile is in registers instead of in a pass over the stored [m, n] tile. Row i of the call uses row[i].
struct ScoresEpilogue {
  enum Kind { kProbs, kGradScores } kind;
  const float* row;  // kProbs: lse (s = exp(s - lse[i])); kGradScores: D (s = p[i, j] · (s - D[i]) · scale)
  const float* p;    // kGradScores: the probabilities, laid out as s (same row stride)
  float scale;       // kGradScores
};

struct AttentionKernels {
  const char* name;
  // Floats per vector: keys are packed in panels of `width` (score rows are padded to a multiple of it), and the
  // column count of every `product` must be a multiple of it (the driver pads odd head dimensions).
  int width;
  int mr;  // rows of the register tile: query tiles are cut in multiples of it

  // Packs alpha · x, x [n, d] (row r at x + r * ld), as ceil(n / width) panels [d][width], panel j holding rows
  // j·width .. j·width + width - 1 transposed; rows past n are zeros. dst holds round_up(n, width) * d floats.
  void (*pack_rows)(const float* x, int64_t ld, int64_t n, int64_t d, float alpha, float* dst);

  // s[i, 0:n_pad] = Σ_p a[i·lda + p] · x[j, p] for i < m, against x packed by pack_rows (n_pad = round_up(n,
  // width); columns past n come out as 0, or whatever the epilogue makes of 0, and are never read), then the
  // epilogue if `epi` is not null.
  void (*scores)(const float* a, int64_t lda, int64_t m, int64_t d, const float* packed, int64_t n, float* s,
                 int64_t lds, const ScoresEpilogue* epi);

  // c[i, 0:cols] (+)= Σ_{p < kdim} A(i, p) · b[p·ldb + 0:cols] for i < m, where A(i, p) = a[i·lda + p], or
  // a[p·lda + i] when trans_a. cols % width == 0. Overwrites c unless accumulate.
  void (*product)(const float* a, int64_t lda, bool trans_a, int64_t m, int64_t kdim, const float* b, int64_t ldb,
                  int64_t cols, float* c, int64_t ldc, bool accumulate);

  // Forward softmax of m rows of scaled scores s[i, 0:n] in place: e = exp(s - max s) (unnormalised), and
  // lse[i] = max + log Σ e, inv_sum[i] = 1 / Σ e.
  void (*softmax_rows)(float* s, int64_t lds, int64_t m, int64_t n, float* lse, float* inv_sum);

  // out[i] = Σ_c a[i·d + c] · b[i·d + c] for i < m (rows of two [m, d] arrays).
  void (*row_dots)(const float* a, const float* b, int64_t m, int64_t d, float* out);
};

const AttentionKernels& attention_kernels_generic();
const AttentionKernels& attention_kernels_avx2();
const AttentionKernels& attention_kernels_avx512();

}  // namespace ibot::cpu
