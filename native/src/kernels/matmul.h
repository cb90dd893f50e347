// Matrix products. batch_matmul is tfjs's BatchMatMul/_FusedMatMul: out[..., M, N] = act(op(a) op(b) + bias) with
// broadcast batch dimensions. gemm is the raw strided-batched product that other kernels (conv, attention, linear)
// build on. CPU: cpu/matmul*.cc (packed, cache-blocked, AVX2/AVX-512 micro-kernels on the thread pool). CUDA:
// cuda/matmul.cu (TF32 tensor cores by default, strict FP32 when cuda::allow_tf32() is false).
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ibot {

// Fused epilogue activations. The codes are part of the JS ABI (packages/tfjs-backend-native/src/addon/matmul.ts).
enum class Activation : int {
  kLinear = 0,
  kRelu = 1,
  kRelu6 = 2,
  kElu = 3,
  kLeakyRelu = 4,  // x >= 0 ? x : alpha * x
  kPrelu = 5,      // x >= 0 ? x : prelu[col] * x (per-element weights broadcast to the output)
  kSigmoid = 6,
  kGeluErf = 7,    // 0.5 x (1 + erf(x / sqrt 2)), the ViT's exact GELU
};

struct MatMulParams {
  Tensor a;  // float32 [...batchA, M, K] ([..., K, M] when transpose_a)
  Tensor b;  // float32 [...batchB, K, N] ([..., N, K] when transpose_b)
  bool transpose_a = false;
  bool transpose_b = false;
  Tensor bias;  // optional float32, broadcastable to out
  Activation activation = Activation::kLinear;
  Tensor prelu;  // optional float32 (kPrelu), broadcastable to out
  float leaky_alpha = 0.2f;
  Tensor out;  // float32 [...broadcast(batchA, batchB), M, N]
};

// C[i] = alpha * op(A[i]) op(B[i]) + beta * C[i] for i in [0, batch), row-major with leading dimensions, then the
// optional epilogue c = act(c + bias_n[col]). X[i] starts at X + i * stride_x (a stride of 0 broadcasts one matrix).
struct GemmArgs {
  int64_t m = 0, n = 0, k = 0;
  int64_t batch = 1;
  const float* a = nullptr;
  int64_t lda = 0, stride_a = 0;
  bool trans_a = false;  // A is stored [K, M] (lda >= M) instead of [M, K] (lda >= K)
  const float* b = nullptr;
  int64_t ldb = 0, stride_b = 0;
  bool trans_b = false;  // B is stored [N, K] instead of [K, N]
  float* c = nullptr;
  int64_t ldc = 0, stride_c = 0;
  float alpha = 1.0f, beta = 0.0f;
  const float* bias_n = nullptr;  // optional [N], added before the activation
  Activation activation = Activation::kLinear;
  float activation_alpha = 0.0f;  // kLeakyRelu slope
  // Optional second output of the epilogue: z = alpha * op(A) op(B) + beta * C + bias_n, the value before the
  // activation (LinearBiasGelu keeps it for the backward pass), written while the tile is still in registers / L1.
  // Same [batch][M, N] layout rules as C, with its own leading dimension and batch stride; must not alias C.
  float* pre_activation = nullptr;
  int64_t ld_pre = 0, stride_pre = 0;
};

namespace cpu {
void batch_matmul(const MatMulParams& p);
void gemm(const GemmArgs& g);
}  // namespace cpu

namespace cuda {
void batch_matmul(const MatMulParams& p);
void gemm(const GemmArgs& g);
}  // namespace cuda

}  // namespace ibot
