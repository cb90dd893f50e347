// CUDA LinearBiasGelu (one GEMM from cuda/matmul.cu whose epilogue stores z = x w + b and y = GELU(z) with erff) and
// GeluGrad, dz = dy · (Φ(z) + z · φ(z)), elementwise with the same erff.
#include <cstdint>

#include "cuda/common.cuh"
#include "kernels/matmul.h"
#include "kernels/norm.h"

namespace ibot::cuda {
namespace {

__global__ void gelu_grad_kernel(const float* __restrict__ dy, const float* __restrict__ z, float* __restrict__ dz,
                                 int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float x = z[i];
    const float cdf = 0.5f * (1.f + erff(x * 0.70710678118654752f));
    const float pdf = 0.39894228040143268f * expf(-0.5f * x * x);  // 1 / sqrt(2 pi)
    dz[i] = dy[i] * (cdf + x * pdf);
  }
}

}  // namespace

void linear_bias_gelu(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y, const Tensor& z) {
  gemm(linear_bias_gelu_gemm(x, w, b, y, z));
}

void gelu_grad(const Tensor& dy, const Tensor& z, const Tensor& dz) {
  const int64_t n = dz.numel();
  if (n == 0) return;
  constexpr int kThreads = 256;
  gelu_grad_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(dy.data<float>(), z.data<float>(),
                                                                      dz.data<float>(), n);
  IBOT_CUDA_CHECK_LAUNCH("gelu_grad_kernel");
}

}  // namespace ibot::cuda
