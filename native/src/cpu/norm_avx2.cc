// The norm row loops of norm_impl.inc built for the avx2 ISA (see CMakeLists.txt for the flags).
#define IBOT_ISA_NS avx2
#define IBOT_VEC_BYTES 32
#include "cpu/norm_impl.inc"
