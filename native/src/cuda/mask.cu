// CUDA mask kernels. BlockMask runs kernels/block_mask_impl.h in one thread per crop (a 14x14 crop is a few hundred
// sequential draws; a batch is a few hundred crops), so its bytes equal the CPU kernel's. MaskApply(Grad) are
// elementwise; the mask token's gradient sums fixed row chunks in the same order as the CPU kernel.
#include <cstdint>

#include "cuda/common.cuh"
#include "cuda/scratch.cuh"
#include "kernels/mask.h"

namespace ibot::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void block_mask_kernel(block_mask::Params params, int64_t batch, uint8_t* out) {
  const int64_t b = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (b >= batch) return;
  block_mask::generate_crop(params, static_cast<uint32_t>(b), out + b * params.grid_h * params.grid_w);
}

// out[r, k] = mask[r] ? token[k] : x[r, k] over rows r of length d.
__global__ void mask_apply_kernel(const float* __restrict__ x, const uint8_t* __restrict__ mask,
                                  const float* __restrict__ token, float* __restrict__ out, int64_t n, int64_t d) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t r = i / d;
    out[i] = mask[r] ? token[i - r * d] : x[i];
  }
}

// dx[r, k] = mask[r] ? 0 : dy[r, k].
__global__ void mask_grad_tokens_kernel(const float* __restrict__ dy, const uint8_t* __restrict__ mask,
                                        float* __restrict__ dx, int64_t n, int64_t d) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    dx[i] = mask[i / d] ? 0.0f : dy[i];
  }
}

// partial[c, k] = Σ of dy[r, k] over masked rows r of chunk c, in row order (grid: x over k, y strides over chunks).
__global__ void mask_grad_partial_kernel(const float* __restrict__ dy, const uint8_t* __restrict__ mask,
                                         float* __restrict__ partial, int64_t rows, int64_t chunks, int64_t d) {
  const int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (k >= d) return;
  for (int64_t c = blockIdx.y; c < chunks; c += gridDim.y) {
    const int64_t r_end = (c + 1) * kMaskGradRowChunk < rows ? (c + 1) * kMaskGradRowChunk : rows;
    float acc = 0.0f;
    for (int64_t r = c * kMaskGradRowChunk; r < r_end; ++r)
      if (mask[r]) acc += dy[r * d + k];
    partial[c * d + k] = acc;
  }
}

// out[k] = 0 + partial[0, k] + partial[1, k] + ... (the CPU kernel's order).
__global__ void mask_grad_sum_kernel(const float* __restrict__ partial, float* __restrict__ out, int64_t chunks,
                                     int64_t d) {
  const int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (k >= d) return;
  float acc = 0.0f;
  for (int64_t c = 0; c < chunks; ++c) acc += partial[c * d + k];
  out[k] = acc;
}

}  // namespace

void block_mask(const block_mask::Params& params, const Tensor& out) {
  const int64_t batch = out.shape[0];
  if (batch == 0) return;
  // Few threads per block: each thread is a long serial loop, so spreading crops over many SMs matters more.
  constexpr int kCropThreads = 32;
  block_mask_kernel<<<blocks_for(batch, kCropThreads, 1LL << 30), kCropThreads, 0, stream()>>>(params, batch,
                                                                                               out.data<uint8_t>());
  IBOT_CUDA_CHECK_LAUNCH("block_mask_kernel");
}

void mask_apply(const Tensor& tokens, const Tensor& mask, const Tensor& mask_token, const Tensor& out) {
  const int64_t n = tokens.numel(), d = tokens.shape[2];
  if (n == 0) return;
  mask_apply_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(
      tokens.data<float>(), mask.data<uint8_t>(), mask_token.data<float>(), out.data<float>(), n, d);
  IBOT_CUDA_CHECK_LAUNCH("mask_apply_kernel");
}

void mask_apply_grad(const Tensor& dy, const Tensor& mask, const Tensor& d_tokens, const Tensor& d_mask_token) {
  const int64_t rows = dy.shape[0] * dy.shape[1], d = dy.shape[2];
  if (d == 0) return;
  const int64_t n = rows * d;
  if (n > 0) {
    mask_grad_tokens_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(dy.data<float>(), mask.data<uint8_t>(),
                                                                               d_tokens.data<float>(), n, d);
    IBOT_CUDA_CHECK_LAUNCH("mask_grad_tokens_kernel");
  }
  const int64_t chunks = (rows + kMaskGradRowChunk - 1) / kMaskGradRowChunk;
  const unsigned column_blocks = blocks_for(d, kThreads, 1LL << 31);
  if (chunks == 0) {
    IBOT_CUDA_CHECK(cudaMemsetAsync(d_mask_token.data<float>(), 0, static_cast<size_t>(d) * sizeof(float), stream()));
    return;
  }
  Scratch partial(chunks * d);  // [chunks, D]
  const unsigned chunk_blocks = static_cast<unsigned>(chunks < 65535 ? chunks : 65535);
  mask_grad_partial_kernel<<<dim3(column_blocks, chunk_blocks), kThreads, 0, stream()>>>(
      dy.data<float>(), mask.data<uint8_t>(), partial.data(), rows, chunks, d);
  IBOT_CUDA_CHECK_LAUNCH("mask_grad_partial_kernel");
  mask_grad_sum_kernel<<<column_blocks, kThreads, 0, stream()>>>(partial.data(), d_mask_token.data<float>(), chunks, d);
  IBOT_CUDA_CHECK_LAUNCH("mask_grad_sum_kernel");
}

}  // namespace ibot::cuda
