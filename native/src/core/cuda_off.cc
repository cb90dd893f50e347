// The CUDA runtime entry points of a CPU-only build: CUDA reports itself as not compiled in, and anything that would need
// a device fails with a clear error. (No cuda handle can exist in such a build, so the kernels are never reached.)
#if !IBOT_WITH_CUDA
#include "core/error.h"
#include "cuda/runtime.h"

namespace ibot::cuda {

const CudaInfo& cuda_info() {
  static const CudaInfo info{false, "", false, "this binary was built without CUDA (IBOT_CUDA=OFF or nvcc not found)",
                             0, 0, {}};
  return info;
}

bool disable(const std::string&) { return true; }  // nothing to turn off

[[noreturn]] static void no_cuda(const char* what) { fail(what, ": this binary was built without CUDA"); }

void* device_alloc(size_t) { no_cuda("device_alloc"); }
void device_free(void*) {}
void copy_host_to_device(void*, const void*, size_t) { no_cuda("copy_host_to_device"); }
void copy_device_to_host(void*, const void*, size_t) { no_cuda("copy_device_to_host"); }
void copy_device_to_device(void*, const void*, size_t) { no_cuda("copy_device_to_device"); }
void synchronize() {}
PendingRead* read_begin(const void*, size_t) { no_cuda("read"); }
void read_wait(PendingRead*, void*) { no_cuda("read"); }
void read_discard(PendingRead*) {}
Timer* timer_start() { no_cuda("timer"); }
double timer_stop(Timer*) { no_cuda("timer"); }
static bool g_tf32 = true;
void set_allow_tf32(bool allow) { g_tf32 = allow; }
bool allow_tf32() { return g_tf32; }

}  // namespace ibot::cuda
#endif
