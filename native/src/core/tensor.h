// A tensor as kernels see it: the buffer plus the shape this use of it has (several shapes may alias one buffer).
#pragma once
#include <string>

#include "core/error.h"
#include "core/shape.h"
#include "core/storage.h"

namespace ibot {

struct Tensor {
  Storage* storage = nullptr;
  Shape shape;

  bool present() const { return storage != nullptr; }
  Device device() const { return storage->device; }
  DType dtype() const { return storage->dtype; }
  int64_t numel() const { return storage->numel; }
  int rank() const { return static_cast<int>(shape.size()); }
  template <typename T>
  T* data() const { return storage->as<T>(); }
  // "float32[2,3]": how tensors appear in error messages.
  std::string describe() const { return str_cat(dtype_name(dtype()), shape_str(shape)); }
};

}  // namespace ibot
