// Mask kernels of iBOT training (contract: packages/ops/src/kernel_names.ts): BlockMask generates the masks, MaskApply
// puts the mask token into the patch embeddings and MaskApplyGrad is its backward pass. Declared here, implemented in
// cpu/mask_{block,apply}.cc and cuda/mask.cu; the binding (binding/mask.cc) has already checked everything.
#pragma once
#include "core/tensor.h"
#include "kernels/block_mask_impl.h"

namespace ibot {

//   block_mask:       out [batch, grid_h, grid_w] bool; crop b gets block_mask::generate_crop(params, b), so the CPU
//                     and CUDA kernels write identical bytes.
//   mask_apply:       out[b, n, :] = mask[b, n] ? mask_token : tokens[b, n, :]
//                     tokens, out [B, N, D] float32; mask [B, N] bool; mask_token [D] float32.
//   mask_apply_grad:  d_tokens[b, n, :] = mask[b, n] ? 0 : dy[b, n, :];
//                     d_mask_token [D] = Σ over masked (b, n) of dy[b, n, :]
//                     float32 sums: rows in order within chunks of kMaskGradRowChunk rows, then the chunks in order
//                     onto 0. Fixed order, additions only: the same bits for any thread count and on both devices.
namespace cpu {
void block_mask(const block_mask::Params& params, const Tensor& out);
void mask_apply(const Tensor& tokens, const Tensor& mask, const Tensor& mask_token, const Tensor& out);
void mask_apply_grad(const Tensor& dy, const Tensor& mask, const Tensor& d_tokens, const Tensor& d_mask_token);
}  // namespace cpu

namespace cuda {
void block_mask(const block_mask::Params& params, const Tensor& out);
void mask_apply(const Tensor& tokens, const Tensor& mask, const Tensor& mask_token, const Tensor& out);
void mask_apply_grad(const Tensor& dy, const Tensor& mask, const Tensor& d_tokens, const Tensor& d_mask_token);
}  // namespace cuda

// Rows of dy summed per chunk before the chunks are added (both devices use it, so the chunking is fixed).
constexpr int64_t kMaskGradRowChunk = 256;

}  // namespace ibot
