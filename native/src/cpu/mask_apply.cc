// CPU MaskApply / MaskApplyGrad: whole rows of D floats are copied (or zeroed) with memcpy/memset, rows spread over
// the thread pool; the mask token's gradient sums fixed chunks of rows in order, so it does not depend on the thread
// count and matches the CUDA kernel's order.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/mask.h"

namespace ibot::cpu {
namespace {

// Rows per parallel chunk: about 64 KiB of floats, at least one row.
int64_t row_grain(int64_t d) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(d, 1)); }

}  // namespace

void mask_apply(const Tensor& tokens, const Tensor& mask, const Tensor& mask_token, const Tensor& out) {
  const int64_t rows = tokens.shape[0] * tokens.shape[1], d = tokens.shape[2];
  if (rows == 0 || d == 0) return;
  const float* x = tokens.data<float>();   // [B, N, D]
  const uint8_t* m = mask.data<uint8_t>();  // [B, N]
  const float* tok = mask_token.data<float>();  // [D]
  float* y = out.data<float>();             // [B, N, D]
  const size_t row_bytes = static_cast<size_t>(d) * sizeof(float);
  parallel_for(rows, row_grain(d), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) std::memcpy(y + r * d, m[r] ? tok : x + r * d, row_bytes);
  });
}

void mask_apply_grad(const Tensor& dy, const Tensor& mask, const Tensor& d_tokens, const Tensor& d_mask_token) {
  const int64_t rows = dy.shape[0] * dy.shape[1], d = dy.shape[2];
  float* dtok = d_mask_token.data<float>();  // [D]
  if (d == 0) return;
  std::fill(dtok, dtok + d, 0.0f);
  if (rows == 0) return;
  const float* g = dy.data<float>();          // [B, N, D]
  const uint8_t* m = mask.data<uint8_t>();    // [B, N]
  float* dx = d_tokens.data<float>();         // [B, N, D]
  const size_t row_bytes = static_cast<size_t>(d) * sizeof(float);
  parallel_for(rows, row_grain(d), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      if (m[r]) std::memset(dx + r * d, 0, row_bytes);
      else std::memcpy(dx + r * d, g + r * d, row_bytes);
    }
  });
  // Σ of dy over masked rows: partial sums per chunk of kMaskGradRowChunk rows (rows in order), then the chunks in
  // order. The inner loop runs over D, so it vectorises without reordering any column's additions.
  const int64_t chunks = (rows + kMaskGradRowChunk - 1) / kMaskGradRowChunk;
  std::vector<float> partial(static_cast<size_t>(chunks * d), 0.0f);  // [chunks, D]
  parallel_for(chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      float* acc = partial.data() + c * d;
      const int64_t r_end = std::min(rows, (c + 1) * kMaskGradRowChunk);
      for (int64_t r = c * kMaskGradRowChunk; r < r_end; ++r) {
        if (!m[r]) continue;
        const float* src = g + r * d;
        for (int64_t k = 0; k < d; ++k) acc[k] += src[k];
      }
    }
  });
  for (int64_t c = 0; c < chunks; ++c) {
    const float* acc = partial.data() + c * d;
    for (int64_t k = 0; k < d; ++k) dtok[k] += acc[k];
  }
}

}  // namespace ibot::cpu
