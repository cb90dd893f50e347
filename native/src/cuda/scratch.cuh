// Scratch: a device buffer for a kernel's intermediates (split-K and split-reduction partials, conv column matrices,
// segment-sum tags) from the stream-ordered pool. Freeing is stream-ordered too, so the destructor may run right after
// the launches that use the buffer.
#pragma once
#include <cstdint>

#include "core/storage.h"

namespace ibot::cuda {

class Scratch {
 public:
  Scratch(DType dtype, int64_t numel) : s_(storage_alloc(Device::kCuda, dtype, numel)) {}
  explicit Scratch(int64_t floats) : Scratch(DType::kFloat32, floats) {}
  // Room for `count` values of any type T (accumulators of a split reduction), in whole float32 elements.
  template <typename T>
  static Scratch of(int64_t count) {
    return Scratch(DType::kFloat32, static_cast<int64_t>((static_cast<size_t>(count) * sizeof(T) + 3) / 4));
  }
  ~Scratch() {
    storage_release(s_);
    delete s_;
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  template <typename T = float>
  T* data() const {
    return s_->as<T>();
  }

 private:
  Storage* s_;
};

}  // namespace ibot::cuda
