// The norm row loops of norm_impl.inc built for the avx512 ISA (see CMakeLists.txt for the flags).
#define IBOT_ISA_NS avx512
#define IBOT_VEC_BYTES 64
#include "cpu/norm_impl.inc"
