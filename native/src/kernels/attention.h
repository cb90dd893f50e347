// Fused multi-head attention (tfjs kernels FusedAttention / FusedAttentionGrad, packages/ops/src/kernel_names.ts):
// out = softmax(q kᵀ · scale) v per (batch, head) without an N x N matrix in memory, plus the log-sum-exp of every
// score row for the backward pass, which recomputes the probabilities from it (FlashAttention-2). The binding
// (binding/attention.cc) has checked devices, dtypes (float32), shapes and aliasing. CPU: cpu/attention.cc, CUDA:
// cuda/attention.cu.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ibot {

struct AttentionForward {
  Tensor q, k, v;  // float32 [B, H, N, d]
  float scale = 1.0f;
  Tensor out;      // float32 [B, H, N, d]
  Tensor lse;      // float32 [B, H, N]: lse[i] = log Σ_j exp(scale · q_i · k_j)
  Tensor probs;    // optional float32 [B, H, N, N]: the normalised probabilities (attention maps)
};

struct AttentionBackward {
  Tensor q, k, v, out;  // float32 [B, H, N, d] (out: the forward output)
  Tensor lse;           // float32 [B, H, N] (the forward's)
  Tensor dy;            // float32 [B, H, N, d]: gradient of the loss w.r.t. out
  float scale = 1.0f;
  Tensor dq, dk, dv;    // float32 [B, H, N, d]
};

// [B, H, N, d] viewed as B·H independent heads.
struct AttentionDims {
  int64_t heads = 0;  // B · H
  int64_t n = 0;      // tokens (queries = keys)
  int64_t d = 0;      // head dimension
};

inline AttentionDims attention_dims(const Tensor& q) {
  return AttentionDims{q.shape[0] * q.shape[1], q.shape[2], q.shape[3]};
}

namespace cpu {
void fused_attention(const AttentionForward& p);
void fused_attention_grad(const AttentionBackward& p);
}  // namespace cpu

namespace cuda {
void fused_attention(const AttentionForward& p);
void fused_attention_grad(const AttentionBackward& p);
}  // namespace cuda

}  // namespace ibot
