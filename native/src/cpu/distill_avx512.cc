// The distillation row loops of distill_impl.inc built for the avx512 ISA (see CMakeLists.txt for the flags).
#define IBOT_ISA_NS avx512
#define IBOT_VEC_BYTES 64
#include "cpu/distill_impl.inc"
