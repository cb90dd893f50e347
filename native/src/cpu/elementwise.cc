// CPU elementwise kernels: plans the broadcast, splits the output over the thread pool and runs the loops compiled for
// the ISA cpu_isa() selects (elementwise_{generic,avx2,avx512}.cc).
#include "kernels/elementwise.h"

#include <algorithm>
#include <cstring>

#include "core/broadcast.h"
#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "cpu/elementwise_isa.h"

namespace ibot::cpu {
namespace {

// Elements per parallel chunk for an op of cost 1: big enough to amortise waking the pool, small enough to split a 1 MB
// tensor. Costlier ops (exp, pow, ...) use proportionally smaller chunks.
constexpr int64_t kGrain = 16384;

int64_t grain_for(int cost) { return std::max<int64_t>(kGrain / cost, 512); }

const ElementwiseIsaKernels& isa() {
  switch (cpu_isa()) {
    case CpuIsa::kAvx512: return avx512::elementwise_isa_kernels();
    case CpuIsa::kAvx2: return avx2::elementwise_isa_kernels();
    default: return generic::elementwise_isa_kernels();
  }
}

}  // namespace

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const Shape* ins[2] = {&a.shape, &b.shape};
  const BroadcastPlan plan = plan_broadcast(out.shape, ins, 2);
  const ElementwiseIsaKernels& k = isa();
  const DType dt = a.dtype();
  const void *ad = a.storage->data, *bd = b.storage->data;
  void* od = out.storage->data;
  parallel_for(n, grain_for(op_info(op).cost), [&](int64_t s, int64_t e) { k.binary(op, dt, plan, ad, bd, od, s, e); });
}

void unary(UnaryOp op, const UnaryAttrs& attrs, const Tensor& x, const Tensor& out) {
  const ElementwiseIsaKernels& k = isa();
  const DType dt = x.dtype();
  const void* xd = x.storage->data;
  void* od = out.storage->data;
  parallel_for(x.numel(), grain_for(op_info(op).cost),
               [&](int64_t s, int64_t e) { k.unary(op, attrs, dt, xd, od, s, e); });
}

void cast(const Tensor& x, const Tensor& out) {
  if (x.dtype() == out.dtype()) {
    std::memcpy(out.storage->data, x.storage->data, x.storage->nbytes);
    return;
  }
  const ElementwiseIsaKernels& k = isa();
  const DType from = x.dtype(), to = out.dtype();
  const void* xd = x.storage->data;
  void* od = out.storage->data;
  parallel_for(x.numel(), kGrain, [&](int64_t s, int64_t e) { k.cast(from, to, xd, od, s, e); });
}

void select(const Tensor& condition, const Tensor& t, const Tensor& e, const Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const Shape cond_shape = select_condition_shape(condition.shape, t.shape);
  const Shape* ins[3] = {&cond_shape, &t.shape, &e.shape};
  const BroadcastPlan plan = plan_broadcast(out.shape, ins, 3);
  const ElementwiseIsaKernels& k = isa();
  const size_t elem = dtype_size(t.dtype());
  const uint8_t* cd = condition.data<uint8_t>();
  const void *td = t.storage->data, *ed = e.storage->data;
  void* od = out.storage->data;
  parallel_for(n, kGrain, [&](int64_t s, int64_t end) { k.select(elem, plan, cd, td, ed, od, s, end); });
}

void add_n(const std::vector<Tensor>& xs, const Tensor& out) {
  std::vector<const void*> ptrs(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) ptrs[i] = xs[i].storage->data;
  const ElementwiseIsaKernels& k = isa();
  const DType dt = out.dtype();
  const int count = static_cast<int>(xs.size());
  void* od = out.storage->data;
  // Each element costs one add per input.
  const int64_t grain = std::max<int64_t>(kGrain / std::max(count, 1), 2048);
  parallel_for(out.numel(), grain, [&](int64_t s, int64_t e) { k.add_n(dt, ptrs.data(), count, od, s, e); });
}

void fill(const Tensor& out, double value) {
  const ElementwiseIsaKernels& k = isa();
  const DType dt = out.dtype();
  void* od = out.storage->data;
  parallel_for(out.numel(), kGrain * 4, [&](int64_t s, int64_t e) { k.fill(dt, value, od, s, e); });
}

void range(const Tensor& out, double start, double step) {
  isa().range(out.dtype(), start, step, out.storage->data, out.numel());
}

}  // namespace ibot::cpu
