// Test-only switches for native/test/cuda/gemm_check.cu: force a GEMM variant / K split and shrink conv's column
// chunks, so every kernel path can be compared with the reference on small problems. Production code never sets them.
#pragma once
#include <cstdint>

namespace ibot::cuda::testing {

// variant: index into the path's list, largest tile first (TF32: 128x128, 128x64, 64x64; FP32: 128x128, 64x64);
// -1 = automatic. splits: K ranges (clamped to what K allows); 0 = automatic, 1 = never split.
void force_gemm(int variant, int splits);
// What the last gemm call ran: the variant index, the K split and whether it was the TF32 path.
void last_gemm(int* variant, int* splits, bool* tf32);
// Largest conv column chunk in floats; 0 restores the default.
void set_conv_column_limit(int64_t floats);

}  // namespace ibot::cuda::testing
