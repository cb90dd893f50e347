// Tensor storage owned by the addon: 64-byte aligned host buffers for the CPU device, stream-ordered device buffers for
// CUDA. JS holds one opaque handle per buffer; the backend frees it explicitly when tfjs drops the last reference.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/dtype.h"

namespace ibot {

// The numeric codes are part of the JS ABI (packages/tfjs-backend-native/src/addon/core.ts mirrors them).
enum class Device : int32_t { kCpu = 0, kCuda = 1 };

inline const char* device_name(Device d) { return d == Device::kCpu ? "cpu" : "cuda"; }

constexpr uint32_t kStorageMagic = 0x1b07a11cu;

struct Storage {
  uint32_t magic = kStorageMagic;
  Device device = Device::kCpu;
  DType dtype = DType::kFloat32;
  int64_t numel = 0;
  size_t nbytes = 0;
  size_t capacity = 0;   // bytes reserved (>= nbytes): host buffers come from size classes (core/host_cache.h)
  void* data = nullptr;  // null once freed

  template <typename T>
  T* as() const { return static_cast<T*>(data); }
};

// Allocates a buffer of `numel` elements; zero-size tensors still get a valid (tiny) buffer.
Storage* storage_alloc(Device device, DType dtype, int64_t numel);
// Releases the buffer and keeps the struct (the JS handle may outlive it); safe to call twice.
void storage_release(Storage* s);

struct MemoryStats {
  int64_t host_bytes;         // live tensors' bytes (element bytes, not capacity)
  int64_t host_buffers;
  int64_t host_cached_bytes;  // freed buffers kept for reuse
  int64_t device_bytes;
  int64_t device_buffers;
};
MemoryStats memory_stats();

}  // namespace ibot
