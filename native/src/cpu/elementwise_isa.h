// The per-ISA half of the CPU elementwise kernels: cpu/elementwise_impl.inc compiled three times (generic x86-64, AVX2,
// AVX-512), each exposing this table of range functions that compute output elements [begin, end). cpu/elementwise.cc
// plans the broadcast, splits the work over the thread pool and picks the table for cpu_isa().
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/broadcast.h"
#include "kernels/elementwise.h"

namespace ibot::cpu {

struct ElementwiseIsaKernels {
  // plan: inputs (a, b).
  void (*binary)(BinaryOp op, DType dtype, const BroadcastPlan& plan, const void* a, const void* b, void* out,
                 int64_t begin, int64_t end);
  void (*unary)(UnaryOp op, const UnaryAttrs& attrs, DType dtype, const void* x, void* out, int64_t begin,
                int64_t end);
  void (*cast)(DType from, DType to, const void* x, void* out, int64_t begin, int64_t end);
  // plan: inputs (condition, t, e); elements of t, e and out are elem_size (1 or 4) bytes.
  void (*select)(size_t elem_size, const BroadcastPlan& plan, const uint8_t* condition, const void* t, const void* e,
                 void* out, int64_t begin, int64_t end);
  void (*add_n)(DType dtype, const void* const* xs, int n, void* out, int64_t begin, int64_t end);
  void (*fill)(DType dtype, double value, void* out, int64_t begin, int64_t end);
  void (*range)(DType dtype, double start, double step, void* out, int64_t n);  // sequential, as tfjs accumulates
};

namespace generic {
const ElementwiseIsaKernels& elementwise_isa_kernels();
}
namespace avx2 {
const ElementwiseIsaKernels& elementwise_isa_kernels();
}
namespace avx512 {
const ElementwiseIsaKernels& elementwise_isa_kernels();
}

}  // namespace ibot::cpu
