// The float32 reduction loops of reduce_impl.inc built for baseline x86-64 (SSE2 vectors).
#define IBOT_ISA_NS generic
#define IBOT_VEC_BYTES 16
#include "cpu/reduce_impl.inc"
