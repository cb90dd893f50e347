// The CPU elementwise kernels compiled for AVX2 + FMA; see elementwise_impl.inc.
#define IBOT_EW_ISA avx2
#include "cpu/elementwise_impl.inc"
