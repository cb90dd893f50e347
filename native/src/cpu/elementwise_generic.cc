// The CPU elementwise kernels compiled for baseline x86-64 (SSE2), the path for CPUs without AVX2; see
// elementwise_impl.inc.
#define IBOT_EW_ISA generic
#include "cpu/elementwise_impl.inc"
