// The CPU elementwise kernels compiled for AVX-512 F/BW/VL/DQ; see elementwise_impl.inc.
#define IBOT_EW_ISA avx512
#include "cpu/elementwise_impl.inc"
