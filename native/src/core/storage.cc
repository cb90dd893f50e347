// Host and device buffer allocation with byte counters (the tests check the counters return to baseline).
#include "core/storage.h"

#include <atomic>

#include "core/error.h"
#include "core/host_cache.h"
#include "cuda/runtime.h"

namespace ibot {
namespace {

std::atomic<int64_t> g_host_bytes{0}, g_host_buffers{0}, g_device_bytes{0}, g_device_buffers{0};
constexpr size_t kAlign = 64;

size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

}  // namespace

Storage* storage_alloc(Device device, DType dtype, int64_t numel) {
  IBOT_CHECK(numel >= 0, "alloc: negative element count ", numel);
  auto* s = new Storage();
  s->device = device;
  s->dtype = dtype;
  s->numel = numel;
  s->nbytes = static_cast<size_t>(numel) * dtype_size(dtype);
  // Round up so vector kernels may touch a whole last 64-byte line; never allocate 0 bytes.
  size_t bytes = round_up(s->nbytes == 0 ? 1 : s->nbytes);
  if (device == Device::kCpu) {
    try {
      s->data = host_acquire(bytes, &s->capacity);
    } catch (...) {
      delete s;
      throw;
    }
    g_host_bytes += static_cast<int64_t>(s->nbytes);
    g_host_buffers += 1;
  } else {
    s->capacity = bytes;
    try {
      s->data = cuda::device_alloc(bytes);
    } catch (...) {
      delete s;
      throw;
    }
    g_device_bytes += static_cast<int64_t>(s->nbytes);
    g_device_buffers += 1;
  }
  return s;
}

void storage_release(Storage* s) {
  if (!s || !s->data) return;
  if (s->device == Device::kCpu) {
    host_release(s->data, s->capacity);
    g_host_bytes -= static_cast<int64_t>(s->nbytes);
    g_host_buffers -= 1;
  } else {
    cuda::device_free(s->data);
    g_device_bytes -= static_cast<int64_t>(s->nbytes);
    g_device_buffers -= 1;
  }
  s->data = nullptr;
}

MemoryStats memory_stats() {
  return {g_host_bytes.load(), g_host_buffers.load(), host_cached_bytes(), g_device_bytes.load(),
          g_device_buffers.load()};
}

}  // namespace ibot
