// The CUDA runtime as the rest of the addon sees it: plain C++ (no CUDA headers), so binding and core code compile with g++.
// Implemented in cuda/runtime.cu, or by core/cuda_off.cc in a CPU-only build.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace ibot::cuda {

struct GpuInfo {
  int index;
  std::string name;
  int cc_major, cc_minor;
  size_t total_memory;
  int multiprocessors;
};

struct CudaInfo {
  bool compiled;             // CUDA kernels are in this binary
  std::string architectures;  // e.g. "75-real;80-real;...;90-virtual"
  bool available;            // a usable device was found and initialised
  std::string reason;        // why CUDA is off, when it is
  int driver_version;        // e.g. 13000; 0 when there is no driver
  int runtime_version;
  std::vector<GpuInfo> devices;
};

// Probes once (device count, properties, stream, memory pool) and never throws.
const CudaInfo& cuda_info();

// Turns CUDA off before its first use, with the reason cuda_info() will report; the driver is then never loaded. The
// JS loader calls it when its child-process probe of CUDA failed. Returns false (and changes nothing) once cuda_info()
// has run.
bool disable(const std::string& reason);

void* device_alloc(size_t bytes);
void device_free(void* ptr);
void copy_host_to_device(void* dst, const void* src, size_t bytes);
void copy_device_to_host(void* dst, const void* src, size_t bytes);  // waits for the stream
void copy_device_to_device(void* dst, const void* src, size_t bytes);
void synchronize();

// Asynchronous read: enqueue a copy into pinned memory now; wait for it on another thread later.
struct PendingRead;
PendingRead* read_begin(const void* src, size_t bytes);
void read_wait(PendingRead* r, void* dst);  // copies out and frees `r`
void read_discard(PendingRead* r);

// Elapsed milliseconds between two points on the stream, for KernelBackend.time().
struct Timer;
Timer* timer_start();
double timer_stop(Timer* t);  // waits for the stream, frees `t`

// TF32 tensor-core math for matmuls (default on); false gives strict FP32 for parity tests.
void set_allow_tf32(bool allow);
bool allow_tf32();

}  // namespace ibot::cuda
