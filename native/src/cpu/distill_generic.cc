// The distillation row loops of distill_impl.inc built for baseline x86-64 (SSE2 vectors).
#define IBOT_ISA_NS generic
#define IBOT_VEC_BYTES 16
#include "cpu/distill_impl.inc"
