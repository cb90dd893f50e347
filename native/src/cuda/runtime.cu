// CUDA device probe, the addon's single stream, the stream-ordered memory pool, copies, async reads and timers.
#include <cstdlib>
#include <cstring>
#include <cstdint>

#include "cuda/common.cuh"

namespace ibot::cuda {
namespace {

cudaStream_t g_stream = nullptr;
bool g_tf32 = true;
bool g_probed = false;       // cuda_info() has started: too late to disable
std::string g_disabled_reason;  // set by disable() before the probe

__global__ void probe_kernel(int* out) {
  if (out) *out = 1;
}

std::string err_text(cudaError_t e) { return str_cat(cudaGetErrorName(e), " (", cudaGetErrorString(e), ")"); }

CudaInfo probe() {
  g_probed = true;
  CudaInfo info;
  info.compiled = true;
  info.architectures = IBOT_CUDA_ARCHS;
  info.available = false;
  info.driver_version = 0;
  info.runtime_version = 0;
  cudaRuntimeGetVersion(&info.runtime_version);
  // Both switches come before cudaDriverGetVersion, which loads libcuda: a disabled CUDA never touches the driver.
  if (!g_disabled_reason.empty()) {
    info.reason = g_disabled_reason;
    return info;
  }
  if (const char* off = std::getenv("IBOT_DISABLE_CUDA"); off && *off && std::strcmp(off, "0") != 0) {
    info.reason = "disabled by the IBOT_DISABLE_CUDA environment variable";
    return info;
  }
  cudaDriverGetVersion(&info.driver_version);
  if (info.driver_version == 0) {
    info.reason = "no NVIDIA driver found (libcuda is not loadable)";
    return info;
  }
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    info.reason = str_cat("cudaGetDeviceCount failed: ", err_text(e));
    return info;
  }
  if (count == 0) {
    info.reason = "the driver reports no CUDA device";
    return info;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) {
      cudaGetLastError();
      continue;
    }
    info.devices.push_back({i, p.name, p.major, p.minor, p.totalGlobalMem, p.multiProcessorCount});
  }
  int dev = 0;
  if (const char* d = std::getenv("IBOT_CUDA_DEVICE")) dev = std::atoi(d);
  if (dev < 0 || dev >= static_cast<int>(info.devices.size())) {
    info.reason = str_cat("IBOT_CUDA_DEVICE=", dev, " but only ", info.devices.size(), " device(s) were found");
    return info;
  }
  const GpuInfo& g = info.devices[dev];
  if (g.cc_major * 10 + g.cc_minor < 75) {
    info.reason = str_cat(g.name, " has compute capability ", g.cc_major, ".", g.cc_minor, "; ibotjs needs 7.5 or newer");
    return info;
  }
  if ((e = cudaSetDevice(dev)) != cudaSuccess) {
    cudaGetLastError();
    info.reason = str_cat("cudaSetDevice(", dev, ") failed: ", err_text(e));
    return info;
  }
  // A launch proves the binary holds code this device can run (SASS or JIT-able PTX).
  probe_kernel<<<1, 1>>>(nullptr);
  if ((e = cudaDeviceSynchronize()) != cudaSuccess || (e = cudaGetLastError()) != cudaSuccess) {
    cudaGetLastError();
    info.reason = str_cat("a test kernel failed on ", g.name, ": ", err_text(e));
    return info;
  }
  int pools = 0;
  cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, dev);
  if (!pools) {
    info.reason = str_cat(g.name, " does not support stream-ordered memory pools");
    return info;
  }
  cudaMemPool_t pool;
  if ((e = cudaDeviceGetDefaultMemPool(&pool, dev)) != cudaSuccess) {
    cudaGetLastError();
    info.reason = str_cat("cudaDeviceGetDefaultMemPool failed: ", err_text(e));
    return info;
  }
  // Keep freed memory in the pool instead of returning it to the driver at every synchronisation.
  uint64_t keep = UINT64_MAX;
  cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
  if ((e = cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking)) != cudaSuccess) {
    cudaGetLastError();
    info.reason = str_cat("cudaStreamCreate failed: ", err_text(e));
    return info;
  }
  if (const char* t = std::getenv("IBOT_CUDA_TF32")) g_tf32 = std::strcmp(t, "0") != 0;
  info.available = true;
  return info;
}

}  // namespace

const CudaInfo& cuda_info() {
  static const CudaInfo info = probe();
  return info;
}

bool disable(const std::string& reason) {
  if (g_probed) return false;
  g_disabled_reason = reason.empty() ? "disabled by the application" : reason;
  return true;
}

cudaStream_t stream() {
  const CudaInfo& info = cuda_info();
  IBOT_CHECK(info.available, "CUDA is not available: ", info.reason);
  return g_stream;
}

void* device_alloc(size_t bytes) {
  void* p = nullptr;
  IBOT_CUDA_CHECK(cudaMallocAsync(&p, bytes, stream()));
  return p;
}

void device_free(void* ptr) {
  if (ptr && g_stream) {
    cudaError_t e = cudaFreeAsync(ptr, g_stream);
    if (e != cudaSuccess) cudaGetLastError();  // freeing during teardown must never throw
  }
}

void copy_host_to_device(void* dst, const void* src, size_t bytes) {
  if (bytes) IBOT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream()));
}

void copy_device_to_host(void* dst, const void* src, size_t bytes) {
  if (bytes) IBOT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream()));
  IBOT_CUDA_CHECK(cudaStreamSynchronize(stream()));
}

void copy_device_to_device(void* dst, const void* src, size_t bytes) {
  if (bytes) IBOT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()));
}

void synchronize() {
  if (cuda_info().available) IBOT_CUDA_CHECK(cudaStreamSynchronize(g_stream));
}

struct PendingRead {
  void* pinned = nullptr;
  size_t bytes = 0;
  cudaEvent_t done = nullptr;
};

PendingRead* read_begin(const void* src, size_t bytes) {
  auto* r = new PendingRead();
  r->bytes = bytes;
  try {
    IBOT_CUDA_CHECK(cudaMallocHost(&r->pinned, bytes ? bytes : 1));
    IBOT_CUDA_CHECK(cudaEventCreateWithFlags(&r->done, cudaEventDisableTiming));
    if (bytes) IBOT_CUDA_CHECK(cudaMemcpyAsync(r->pinned, src, bytes, cudaMemcpyDeviceToHost, stream()));
    IBOT_CUDA_CHECK(cudaEventRecord(r->done, stream()));
  } catch (...) {
    read_discard(r);
    throw;
  }
  return r;
}

void read_discard(PendingRead* r) {
  if (!r) return;
  if (r->done) {
    cudaEventSynchronize(r->done);
    cudaEventDestroy(r->done);
  }
  if (r->pinned) cudaFreeHost(r->pinned);
  cudaGetLastError();
  delete r;
}

void read_wait(PendingRead* r, void* dst) {
  cudaError_t e = cudaEventSynchronize(r->done);
  if (e == cudaSuccess && r->bytes) std::memcpy(dst, r->pinned, r->bytes);
  read_discard(r);
  if (e != cudaSuccess) fail("CUDA error while reading a tensor: ", err_text(e));
}

struct Timer {
  cudaEvent_t start = nullptr, stop = nullptr;
};

Timer* timer_start() {
  auto* t = new Timer();
  IBOT_CUDA_CHECK(cudaEventCreate(&t->start));
  IBOT_CUDA_CHECK(cudaEventCreate(&t->stop));
  IBOT_CUDA_CHECK(cudaEventRecord(t->start, stream()));
  return t;
}

double timer_stop(Timer* t) {
  float ms = 0;
  cudaError_t e = cudaEventRecord(t->stop, stream());
  if (e == cudaSuccess) e = cudaEventSynchronize(t->stop);
  if (e == cudaSuccess) e = cudaEventElapsedTime(&ms, t->start, t->stop);
  cudaEventDestroy(t->start);
  cudaEventDestroy(t->stop);
  delete t;
  if (e != cudaSuccess) {
    cudaGetLastError();
    fail("CUDA timer failed: ", err_text(e));
  }
  return ms;
}

void set_allow_tf32(bool allow) { g_tf32 = allow; }
bool allow_tf32() { return g_tf32; }

}  // namespace ibot::cuda
