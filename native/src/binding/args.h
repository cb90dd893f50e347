// Argument checking for every N-API entry. Tensors travel as (handle, shape) pairs: the handle names a native buffer, the
// shape is the one tfjs gives the TensorInfo (several shapes may alias one buffer). Every accessor throws an ibot::Error
// that names the op, the argument and what was expected, so bad input never reaches a kernel.
#pragma once
#include <napi.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/shape.h"
#include "core/storage.h"
#include "core/tensor.h"

namespace ibot::binding {

using ::ibot::Tensor;

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* op) : info_(info), op_(op) {}

  Napi::Env env() const { return info_.Env(); }
  const char* op() const { return op_; }
  size_t count() const { return info_.Length(); }
  Napi::Value value(size_t i) const { return info_[i]; }

  void expect_count(size_t n) const;
  bool is_null(size_t i) const { return i >= info_.Length() || info_[i].IsNull() || info_[i].IsUndefined(); }

  Storage* handle(size_t i, const char* name) const;
  Shape shape(size_t i, const char* name) const;
  // A tensor is a handle at `i` followed by its shape at `i + 1`; the shape must match the buffer's element count.
  Tensor tensor(size_t i, const char* name) const;
  // Same, but null/undefined at `i` gives an empty Tensor (storage == nullptr).
  Tensor optional_tensor(size_t i, const char* name) const;
  std::vector<Tensor> tensor_list(size_t i, const char* name) const;  // array of [handle, shape] pairs

  int64_t integer(size_t i, const char* name) const;
  double number(size_t i, const char* name) const;
  bool boolean(size_t i, const char* name) const;
  std::string string(size_t i, const char* name) const;
  std::vector<int64_t> integers(size_t i, const char* name) const;

  // Checks shared by many ops.
  void check_dtype(const Tensor& t, const char* name, std::initializer_list<DType> allowed) const;
  void check_same_device(std::initializer_list<const Tensor*> tensors) const;
  void check_shape(const Tensor& t, const char* name, const Shape& expected) const;

  template <typename... Parts>
  [[noreturn]] void fail(const Parts&... parts) const {
    ::ibot::fail(op_, ": ", parts...);
  }

 private:
  Napi::Value arg(size_t i, const char* name) const;
  Storage* handle_of(Napi::Value v, const std::string& name) const;
  Shape shape_of(Napi::Value v, const std::string& name) const;
  Tensor tensor_of(Napi::Value handle, Napi::Value shape, const std::string& name) const;

  const Napi::CallbackInfo& info_;
  const char* op_;
};

// Wraps a JS handle around a buffer (the finalizer frees it if JS never called free()).
Napi::Value wrap_storage(Napi::Env env, Storage* s);
// Allocates a tensor for an op's result on `device`; used by kernels that return fresh outputs.
Tensor alloc_tensor(Device device, DType dtype, const Shape& shape);

using OpFn = Napi::Value (*)(const Napi::CallbackInfo&);

// Turns C++ exceptions into JS Errors at the N-API boundary.
template <OpFn F>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

template <OpFn F>
void export_op(Napi::Env env, Napi::Object exports, const char* name) {
  exports.Set(name, Napi::Function::New<guarded<F>>(env, name));
}

}  // namespace ibot::binding

// Dispatch a kernel family function to the tensor's device. In a CPU-only build no CUDA tensor can exist.
#if IBOT_WITH_CUDA
#define IBOT_DISPATCH(device, fn, ...) \
  ((device) == ::ibot::Device::kCuda ? ::ibot::cuda::fn(__VA_ARGS__) : ::ibot::cpu::fn(__VA_ARGS__))
#else
#define IBOT_DISPATCH(device, fn, ...) \
  ((device) == ::ibot::Device::kCuda ? ::ibot::fail(#fn ": CUDA is not compiled in") : ::ibot::cpu::fn(__VA_ARGS__))
#endif
