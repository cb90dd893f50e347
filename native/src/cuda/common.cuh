// Shared by every .cu file: error checks that throw (never abort), the addon's one stream, and launch-size helpers.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "core/error.h"
#include "cuda/runtime.h"

namespace ibot::cuda {

cudaStream_t stream();

}  // namespace ibot::cuda

#define IBOT_CUDA_CHECK(expr)                                                                              \
  do {                                                                                                     \
    cudaError_t ibot_err_ = (expr);                                                                        \
    if (ibot_err_ != cudaSuccess) {                                                                        \
      cudaGetLastError(); /* clear sticky-free errors so the next call starts clean */                    \
      ::ibot::fail("CUDA error in ", #expr, ": ", cudaGetErrorName(ibot_err_), " (", cudaGetErrorString(ibot_err_), ")"); \
    }                                                                                                      \
  } while (0)

// After every kernel launch: catches bad launch configurations immediately (execution errors surface at the next sync).
#define IBOT_CUDA_CHECK_LAUNCH(kernel_name) IBOT_CUDA_CHECK(cudaPeekAtLastError())

namespace ibot::cuda {

inline unsigned int blocks_for(int64_t n, int threads, int64_t max_blocks = 65535LL * 32) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > max_blocks) b = max_blocks;
  return static_cast<unsigned int>(b);
}

}  // namespace ibot::cuda
