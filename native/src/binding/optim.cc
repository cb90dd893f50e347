// N-API entries of the optim family (kernels/optim.h): multi-tensor updates, one call for all parameters. Outputs are
// allocated by the caller; a list is an array of [handle, shape] pairs.
//   AdamW(params, grads, ms, vs, outParams, outMs, outVs, lr[], weightDecay[], step[], beta1, beta2, eps)
//   Ema(teachers, students, outs, momentum)
//   ClipPerParam(grads, outs, norms, normsShape, maxNorm)          norms: [n] float32
// Every entry checks list lengths, shapes (item i of every list has one shape), dtypes (float32), one device, that no
// output shares a buffer with an input or another output, and the attribute ranges PyTorch's optimizers enforce.
#include <cmath>
#include <unordered_set>
#include <vector>

#include "binding/args.h"
#include "binding/families.h"
#include "kernels/optim.h"

namespace ibot::binding {
namespace {

std::vector<double> numbers(const Args& args, size_t i, const char* name, size_t n) {
  Napi::Value v = args.value(i);
  if (i >= args.count() || !v.IsArray()) args.fail(name, " must be an array of ", n, " numbers");
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() != n) args.fail(name, " must have one entry per parameter (", n, "), got ", a.Length());
  std::vector<double> out(n);
  for (uint32_t k = 0; k < n; ++k) {
    Napi::Value d = a.Get(k);
    if (!d.IsNumber()) args.fail(name, "[", k, "] must be a number");
    out[k] = d.As<Napi::Number>().DoubleValue();
  }
  return out;
}

double number_in(const Args& args, size_t i, const char* name, double lo, double hi, bool hi_open) {
  const double x = args.number(i, name);
  if (!(x >= lo) || !(hi_open ? x < hi : x <= hi) || !std::isfinite(x))
    args.fail(name, " must be in [", lo, ", ", hi, hi_open ? ")" : "]", ", got ", x);
  return x;
}

// The tensors of every list: float32, one device, item i shaped like the first list's item i; outputs distinct.
class ListChecker {
 public:
  explicit ListChecker(const Args& args) : args_(args) {}

  std::vector<Tensor> read(size_t i, const char* name, const std::vector<Tensor>* like, bool output) {
    std::vector<Tensor> list = args_.tensor_list(i, name);
    if (like && list.size() != like->size())
      args_.fail(name, " must have ", like->size(), " tensors (one per parameter), got ", list.size());
    for (size_t k = 0; k < list.size(); ++k) {
      const Tensor& t = list[k];
      args_.check_dtype(t, str_cat(name, "[", k, "]").c_str(), {DType::kFloat32});
      if (!device_set_) {
        device_ = t.device();
        device_set_ = true;
      } else if (t.device() != device_) {
        args_.fail("all tensors must be on one device, got ", device_name(device_), " and ", device_name(t.device()),
                   " (", name, "[", k, "])");
      }
      if (like && t.shape != (*like)[k].shape)
        args_.fail(name, "[", k, "] must have shape ", shape_str((*like)[k].shape), ", got ", t.describe());
      if (output) {
        if (inputs_.count(t.storage) || !outputs_.insert(t.storage).second)
          args_.fail(name, "[", k, "] must be a fresh buffer (it is also an input or another output)");
      } else {
        inputs_.insert(t.storage);
      }
    }
    return list;
  }

  bool any() const { return device_set_; }
  Device device() const { return device_; }

  void check_output(const Tensor& t, const char* name) {
    if (device_set_ && t.device() != device_)
      args_.fail("all tensors must be on one device, got ", device_name(device_), " and ", device_name(t.device()),
                 " (", name, ")");
    if (inputs_.count(t.storage) || outputs_.count(t.storage))
      args_.fail(name, " must be a fresh buffer (it is also an input or another output)");
  }

 private:
  const Args& args_;
  bool device_set_ = false;
  Device device_ = Device::kCpu;
  std::unordered_set<const Storage*> inputs_, outputs_;
};

Napi::Value AdamW(const Napi::CallbackInfo& info) {
  Args args(info, "AdamW");
  args.expect_count(13);
  ListChecker lists(args);
  AdamWArgs a;
  a.p = lists.read(0, "params", nullptr, false);
  a.g = lists.read(1, "grads", &a.p, false);
  a.m = lists.read(2, "ms", &a.p, false);
  a.v = lists.read(3, "vs", &a.p, false);
  a.p_out = lists.read(4, "outParams", &a.p, true);
  a.m_out = lists.read(5, "outMs", &a.p, true);
  a.v_out = lists.read(6, "outVs", &a.p, true);
  const size_t n = a.p.size();
  const std::vector<double> lr = numbers(args, 7, "lr", n), wd = numbers(args, 8, "weightDecay", n);
  const std::vector<double> step = numbers(args, 9, "step", n);
  const double beta1 = number_in(args, 10, "beta1", 0, 1, true);
  const double beta2 = number_in(args, 11, "beta2", 0, 1, true);
  const double eps = number_in(args, 12, "eps", 0, HUGE_VAL, true);
  a.scalars.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (!(lr[i] >= 0) || !std::isfinite(lr[i])) args.fail("lr[", i, "] must be a finite number >= 0, got ", lr[i]);
    if (!(wd[i] >= 0) || !std::isfinite(wd[i]))
      args.fail("weightDecay[", i, "] must be a finite number >= 0, got ", wd[i]);
    if (!(step[i] >= 1) || std::floor(step[i]) != step[i] || step[i] > 9.0e15)
      args.fail("step[", i, "] must be an integer >= 1 (the count after this step), got ", step[i]);
    // Python-float scalars of torch.optim.AdamW, rounded to float32 where the tensor ops use them.
    a.scalars[i].decay = static_cast<float>(1.0 - lr[i] * wd[i]);
    a.scalars[i].step_size = static_cast<float>(lr[i] / (1.0 - std::pow(beta1, step[i])));
    a.scalars[i].bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(beta2, step[i])));
  }
  a.beta1 = static_cast<float>(beta1);
  a.one_minus_beta1 = static_cast<float>(1.0 - beta1);
  a.beta2 = static_cast<float>(beta2);
  a.one_minus_beta2 = static_cast<float>(1.0 - beta2);
  a.eps = static_cast<float>(eps);
  if (lists.any()) IBOT_DISPATCH(lists.device(), adamw, a);
  return info.Env().Undefined();
}

Napi::Value Ema(const Napi::CallbackInfo& info) {
  Args args(info, "Ema");
  args.expect_count(4);
  ListChecker lists(args);
  EmaArgs a;
  a.teacher = lists.read(0, "teachers", nullptr, false);
  a.student = lists.read(1, "students", &a.teacher, false);
  a.out = lists.read(2, "outs", &a.teacher, true);
  const double m = number_in(args, 3, "momentum", 0, 1, false);
  a.momentum = static_cast<float>(m);
  a.one_minus_momentum = static_cast<float>(1.0 - m);
  if (lists.any()) IBOT_DISPATCH(lists.device(), ema, a);
  return info.Env().Undefined();
}

Napi::Value ClipPerParam(const Napi::CallbackInfo& info) {
  Args args(info, "ClipPerParam");
  args.expect_count(5);
  ListChecker lists(args);
  ClipArgs a;
  a.g = lists.read(0, "grads", nullptr, false);
  a.out = lists.read(1, "outs", &a.g, true);
  a.norms = args.tensor(2, "norms");
  args.check_dtype(a.norms, "norms", {DType::kFloat32});
  args.check_shape(a.norms, "norms", {static_cast<int64_t>(a.g.size())});
  lists.check_output(a.norms, "norms");
  a.max_norm = number_in(args, 4, "maxNorm", 0, HUGE_VAL, true);
  IBOT_DISPATCH(a.norms.device(), clip_per_param, a);
  return info.Env().Undefined();
}

}  // namespace

void register_optim(Napi::Env env, Napi::Object exports) {
  export_op<AdamW>(env, exports, "AdamW");
  export_op<Ema>(env, exports, "Ema");
  export_op<ClipPerParam>(env, exports, "ClipPerParam");
}

}  // namespace ibot::binding
