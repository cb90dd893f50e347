// The norm row loops of norm_impl.inc built for baseline x86-64 (SSE2 vectors).
#define IBOT_ISA_NS generic
#define IBOT_VEC_BYTES 16
#include "cpu/norm_impl.inc"
