// N-API entries of the attention family (contract: packages/ops/src/kernel_names.ts). Outputs are allocated by the
// caller and passed in; every tensor is float32 on one device, and no output may share a buffer with another tensor.
//   FusedAttention(q, qShape, k, kShape, v, vShape, scale, out, outShape, lse, lseShape, probs|null, probsShape|null)
//     q, k, v, out [B, H, N, d]; lse [B, H, N]; probs [B, H, N, N] (only when the probabilities are asked for)
//   FusedAttentionGrad(q, qShape, k, kShape, v, vShape, out, outShape, lse, lseShape, dy, dyShape, scale,
//                      dq, dqShape, dk, dkShape, dv, dvShape)
//     q, k, v, out, dy, dq, dk, dv [B, H, N, d]; lse [B, H, N]
#include <cmath>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/families.h"
#include "kernels/attention.h"

namespace ibot::binding {
namespace {

struct Named {
  const Tensor* t;
  const char* name;
};

void check_float32(const Args& args, std::initializer_list<Named> ts) {
  for (const Named& n : ts)
    if (n.t->present()) args.check_dtype(*n.t, n.name, {DType::kFloat32});
}

// q must be [B, H, N, d]; k and v must match it exactly (self-attention: as many keys as queries).
void check_qkv(const Args& args, const Tensor& q, const Tensor& k, const Tensor& v) {
  if (q.rank() != 4) args.fail("q must have rank 4 [B, H, N, d], got ", q.describe());
  if (k.shape != q.shape || v.shape != q.shape)
    args.fail("q, k and v must have one shape [B, H, N, d], got q ", shape_str(q.shape), ", k ", shape_str(k.shape),
              ", v ", shape_str(v.shape));
}

Shape lse_shape(const Tensor& q) { return Shape{q.shape[0], q.shape[1], q.shape[2]}; }

// Outputs are written while inputs are still read (and by several threads): none may alias another tensor.
void check_no_alias(const Args& args, std::initializer_list<Named> outputs, std::initializer_list<Named> all) {
  for (const Named& o : outputs) {
    if (!o.t->present()) continue;
    for (const Named& x : all)
      if (x.t != o.t && x.t->present() && x.t->storage == o.t->storage)
        args.fail(o.name, " must not share its buffer with ", x.name);
  }
}

float read_scale(const Args& args, size_t i) {
  const double scale = args.number(i, "scale");
  if (!std::isfinite(scale) || std::fabs(scale) > 3.4e38) args.fail("scale must be a finite float32, got ", scale);
  return static_cast<float>(scale);
}

Napi::Value FusedAttention(const Napi::CallbackInfo& info) {
  Args args(info, "FusedAttention");
  args.expect_count(13);
  AttentionForward p;
  p.q = args.tensor(0, "q");
  p.k = args.tensor(2, "k");
  p.v = args.tensor(4, "v");
  p.scale = read_scale(args, 6);
  p.out = args.tensor(7, "out");
  p.lse = args.tensor(9, "lse");
  p.probs = args.optional_tensor(11, "probs");
  args.check_same_device({&p.q, &p.k, &p.v, &p.out, &p.lse, &p.probs});
  check_float32(args, {{&p.q, "q"}, {&p.k, "k"}, {&p.v, "v"}, {&p.out, "out"}, {&p.lse, "lse"}, {&p.probs, "probs"}});
  check_qkv(args, p.q, p.k, p.v);
  args.check_shape(p.out, "out", p.q.shape);
  args.check_shape(p.lse, "lse", lse_shape(p.q));
  if (p.probs.present()) {
    const Shape& s = p.q.shape;
    args.check_shape(p.probs, "probs", Shape{s[0], s[1], s[2], s[2]});
  }
  check_no_alias(args, {{&p.out, "out"}, {&p.lse, "lse"}, {&p.probs, "probs"}},
                 {{&p.q, "q"}, {&p.k, "k"}, {&p.v, "v"}, {&p.out, "out"}, {&p.lse, "lse"}, {&p.probs, "probs"}});
  IBOT_DISPATCH(p.q.device(), fused_attention, p);
  return info.Env().Undefined();
}

Napi::Value FusedAttentionGrad(const Napi::CallbackInfo& info) {
  Args args(info, "FusedAttentionGrad");
  args.expect_count(19);
  AttentionBackward p;
  p.q = args.tensor(0, "q");
  p.k = args.tensor(2, "k");
  p.v = args.tensor(4, "v");
  p.out = args.tensor(6, "out");
  p.lse = args.tensor(8, "lse");
  p.dy = args.tensor(10, "dy");
  p.scale = read_scale(args, 12);
  p.dq = args.tensor(13, "dq");
  p.dk = args.tensor(15, "dk");
  p.dv = args.tensor(17, "dv");
  args.check_same_device({&p.q, &p.k, &p.v, &p.out, &p.lse, &p.dy, &p.dq, &p.dk, &p.dv});
  check_float32(args, {{&p.q, "q"}, {&p.k, "k"}, {&p.v, "v"}, {&p.out, "out"}, {&p.lse, "lse"}, {&p.dy, "dy"},
                       {&p.dq, "dq"}, {&p.dk, "dk"}, {&p.dv, "dv"}});
  check_qkv(args, p.q, p.k, p.v);
  args.check_shape(p.out, "out", p.q.shape);
  args.check_shape(p.lse, "lse", lse_shape(p.q));
  args.check_shape(p.dy, "dy", p.q.shape);
  args.check_shape(p.dq, "dq", p.q.shape);
  args.check_shape(p.dk, "dk", p.q.shape);
  args.check_shape(p.dv, "dv", p.q.shape);
  check_no_alias(args, {{&p.dq, "dq"}, {&p.dk, "dk"}, {&p.dv, "dv"}},
                 {{&p.q, "q"}, {&p.k, "k"}, {&p.v, "v"}, {&p.out, "out"}, {&p.lse, "lse"}, {&p.dy, "dy"},
                  {&p.dq, "dq"}, {&p.dk, "dk"}, {&p.dv, "dv"}});
  IBOT_DISPATCH(p.q.device(), fused_attention_grad, p);
  return info.Env().Undefined();
}

}  // namespace

void register_attention(Napi::Env env, Napi::Object exports) {
  export_op<FusedAttention>(env, exports, "FusedAttention");
  export_op<FusedAttentionGrad>(env, exports, "FusedAttentionGrad");
}

}  // namespace ibot::binding
