// The ISA-specific tile kernels of the CPU transpose (layout_transpose_avx2.cc is compiled with -mavx2; the dispatcher in
// layout_copy.cc calls it only when cpu_isa() says the CPU has AVX2).
#pragma once
#include <cstdint>

namespace ibot::cpu::avx2 {

// dst[i*ldd + j] = src[j*lds + i] for i < na, j < nb, on 4-byte elements (moved as bits, never as floats).
void transpose_tile_4byte(const uint32_t* src, int64_t lds, uint32_t* dst, int64_t ldd, int64_t na, int64_t nb);

}  // namespace ibot::cpu::avx2
