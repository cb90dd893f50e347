// Core entries: allocate/free/write/read tensor buffers, copies, memory counters, build and device info, thread and ISA
// controls, and CUDA timers.
#include <cstring>

#include "binding/args.h"
#include "binding/families.h"
#include "core/cpu_features.h"
#include "core/host_cache.h"
#include "core/thread_pool.h"
#include "cuda/runtime.h"

namespace ibot::binding {
namespace {

Device device_arg(const Args& a, size_t i) {
  int64_t d = a.integer(i, "device");
  if (d != 0 && d != 1) a.fail("device must be 0 (cpu) or 1 (cuda), got ", d);
  if (d == 1 && !cuda::cuda_info().available) a.fail("CUDA is not available: ", cuda::cuda_info().reason);
  return static_cast<Device>(d);
}

// alloc(device, dtype, numel) -> handle
Napi::Value Alloc(const Napi::CallbackInfo& info) {
  Args a(info, "alloc");
  a.expect_count(3);
  Device device = device_arg(a, 0);
  DType dtype;
  if (!dtype_from_int(a.integer(1, "dtype"), &dtype)) a.fail("dtype must be 0 (float32), 1 (int32) or 2 (bool)");
  int64_t n = a.integer(2, "numel");
  if (n < 0) a.fail("numel must be >= 0, got ", n);
  return wrap_storage(a.env(), storage_alloc(device, dtype, n));
}

// free(handle): releases the buffer now; the handle stays but is unusable.
Napi::Value Free(const Napi::CallbackInfo& info) {
  Args a(info, "free");
  a.expect_count(1);
  storage_release(a.handle(0, "handle"));
  return a.env().Undefined();
}

// write(handle, typedArray): copies values in; the array's type and length must match the buffer.
Napi::Value Write(const Napi::CallbackInfo& info) {
  Args a(info, "write");
  a.expect_count(2);
  Storage* s = a.handle(0, "handle");
  Napi::Value v = a.value(1);
  if (!v.IsTypedArray()) a.fail("values must be a typed array");
  Napi::TypedArray arr = v.As<Napi::TypedArray>();
  napi_typedarray_type want = s->dtype == DType::kFloat32 ? napi_float32_array
                              : s->dtype == DType::kInt32 ? napi_int32_array
                                                          : napi_uint8_array;
  if (arr.TypedArrayType() != want)
    a.fail("values for a ", dtype_name(s->dtype), " buffer must be a ",
           s->dtype == DType::kFloat32 ? "Float32Array" : s->dtype == DType::kInt32 ? "Int32Array" : "Uint8Array");
  if (static_cast<int64_t>(arr.ElementLength()) != s->numel)
    a.fail("got ", arr.ElementLength(), " values for a buffer of ", s->numel, " elements");
  const uint8_t* src = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  if (s->device == Device::kCpu) std::memcpy(s->data, src, s->nbytes);
  else cuda::copy_host_to_device(s->data, src, s->nbytes);
  return a.env().Undefined();
}

Napi::TypedArray new_typed_array(Napi::Env env, DType dtype, size_t n) {
  switch (dtype) {
    case DType::kFloat32: return Napi::Float32Array::New(env, n);
    case DType::kInt32: return Napi::Int32Array::New(env, n);
    default: return Napi::Uint8Array::New(env, n);
  }
}

void* typed_array_data(Napi::TypedArray arr) {
  return static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
}

// readSync(handle) -> Float32Array | Int32Array | Uint8Array (a copy; waits for the CUDA stream).
Napi::Value ReadSync(const Napi::CallbackInfo& info) {
  Args a(info, "readSync");
  a.expect_count(1);
  Storage* s = a.handle(0, "handle");
  Napi::TypedArray out = new_typed_array(a.env(), s->dtype, static_cast<size_t>(s->numel));
  if (s->device == Device::kCpu) std::memcpy(typed_array_data(out), s->data, s->nbytes);
  else cuda::copy_device_to_host(typed_array_data(out), s->data, s->nbytes);
  return out;
}

// Waits for an enqueued device-to-host copy on a libuv thread so the event loop keeps running.
class ReadWorker : public Napi::AsyncWorker {
 public:
  ReadWorker(Napi::Env env, cuda::PendingRead* pending, DType dtype, int64_t n)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), pending_(pending), dtype_(dtype), n_(n),
        bytes_(static_cast<size_t>(n) * dtype_size(dtype)) {}
  ~ReadWorker() override { cuda::read_discard(pending_); }

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    host_.resize(bytes_ ? bytes_ : 1);
    cuda::PendingRead* p = pending_;
    pending_ = nullptr;
    try {
      cuda::read_wait(p, host_.data());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::TypedArray out = new_typed_array(Env(), dtype_, static_cast<size_t>(n_));
    if (bytes_) std::memcpy(typed_array_data(out), host_.data(), bytes_);
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  cuda::PendingRead* pending_;
  DType dtype_;
  int64_t n_;
  size_t bytes_;
  std::vector<uint8_t> host_;
};

// read(handle) -> Promise<TypedArray>. CPU buffers resolve at once; CUDA copies complete off the event loop.
Napi::Value Read(const Napi::CallbackInfo& info) {
  Args a(info, "read");
  a.expect_count(1);
  Storage* s = a.handle(0, "handle");
  if (s->device == Device::kCpu) {
    auto d = Napi::Promise::Deferred::New(a.env());
    Napi::TypedArray out = new_typed_array(a.env(), s->dtype, static_cast<size_t>(s->numel));
    std::memcpy(typed_array_data(out), s->data, s->nbytes);
    d.Resolve(out);
    return d.Promise();
  }
  auto* worker = new ReadWorker(a.env(), cuda::read_begin(s->data, s->nbytes), s->dtype, s->numel);
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

// copy(src, dst): same device, dtype and element count.
Napi::Value Copy(const Napi::CallbackInfo& info) {
  Args a(info, "copy");
  a.expect_count(2);
  Storage* src = a.handle(0, "src");
  Storage* dst = a.handle(1, "dst");
  if (src->device != dst->device || src->dtype != dst->dtype || src->numel != dst->numel)
    a.fail("src (", device_name(src->device), " ", dtype_name(src->dtype), " x", src->numel, ") and dst (",
           device_name(dst->device), " ", dtype_name(dst->dtype), " x", dst->numel, ") must match");
  if (src->device == Device::kCpu) std::memcpy(dst->data, src->data, src->nbytes);
  else cuda::copy_device_to_device(dst->data, src->data, src->nbytes);
  return a.env().Undefined();
}

// describe(handle) -> {device, dtype, numel, bytes, freed}; works on freed handles too (for tests and debugging).
Napi::Value Describe(const Napi::CallbackInfo& info) {
  Args a(info, "describe");
  a.expect_count(1);
  Napi::Value v = a.value(0);
  if (!v.IsExternal()) a.fail("handle must be a tensor handle");
  Storage* s = v.As<Napi::External<Storage>>().Data();
  if (!s || s->magic != kStorageMagic) a.fail("handle must be a tensor handle");
  Napi::Object o = Napi::Object::New(a.env());
  o.Set("device", device_name(s->device));
  o.Set("dtype", dtype_name(s->dtype));
  o.Set("numel", static_cast<double>(s->numel));
  o.Set("bytes", static_cast<double>(s->nbytes));
  o.Set("freed", s->data == nullptr);
  return o;
}

Napi::Value Memory(const Napi::CallbackInfo& info) {
  MemoryStats m = memory_stats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("hostBytes", static_cast<double>(m.host_bytes));
  o.Set("hostBuffers", static_cast<double>(m.host_buffers));
  o.Set("hostCachedBytes", static_cast<double>(m.host_cached_bytes));
  o.Set("hostCacheLimit", static_cast<double>(host_cache_limit()));
  o.Set("deviceBytes", static_cast<double>(m.device_bytes));
  o.Set("deviceBuffers", static_cast<double>(m.device_buffers));
  return o;
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const cuda::CudaInfo& c = cuda::cuda_info();
  Napi::Object o = Napi::Object::New(env);
  Napi::Object cpu = Napi::Object::New(env);
  cpu.Set("isa", cpu_isa_name(cpu_isa()));
  cpu.Set("bestIsa", cpu_isa_name(cpu_isa_best()));
  cpu.Set("threads", num_threads());
  o.Set("cpu", cpu);
  Napi::Object co = Napi::Object::New(env);
  co.Set("compiled", c.compiled);
  co.Set("architectures", c.architectures);
  co.Set("available", c.available);
  co.Set("reason", c.reason);
  co.Set("driverVersion", c.driver_version);
  co.Set("runtimeVersion", c.runtime_version);
  co.Set("tf32", cuda::allow_tf32());
  Napi::Array devs = Napi::Array::New(env, c.devices.size());
  for (size_t i = 0; i < c.devices.size(); ++i) {
    const cuda::GpuInfo& g = c.devices[i];
    Napi::Object d = Napi::Object::New(env);
    d.Set("index", g.index);
    d.Set("name", g.name);
    d.Set("computeCapability", str_cat(g.cc_major, ".", g.cc_minor));
    d.Set("memoryBytes", static_cast<double>(g.total_memory));
    d.Set("multiprocessors", g.multiprocessors);
    devs.Set(static_cast<uint32_t>(i), d);
  }
  co.Set("devices", devs);
  o.Set("cuda", co);
  o.Set("napiVersion", NAPI_VERSION);
  return o;
}

// buildInfo() -> {cudaCompiled, cudaArchitectures, napiVersion}: what was compiled in, without probing CUDA (info()
// probes), so the JS loader can decide whether to test CUDA in a child process first.
Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
#if IBOT_WITH_CUDA
  o.Set("cudaCompiled", true);
  o.Set("cudaArchitectures", IBOT_CUDA_ARCHS);
#else
  o.Set("cudaCompiled", false);
  o.Set("cudaArchitectures", "");
#endif
  o.Set("napiVersion", NAPI_VERSION);
  return o;
}

// disableCuda(reason) -> boolean: CUDA stays off (info() gives the reason) and the driver is never loaded. False when
// CUDA was already probed, too late to take effect.
Napi::Value DisableCuda(const Napi::CallbackInfo& info) {
  Args a(info, "disableCuda");
  a.expect_count(1);
  return Napi::Boolean::New(a.env(), cuda::disable(a.string(0, "reason")));
}

// releaseCache(): frees the host buffers kept for reuse (they come back as tensors are freed).
Napi::Value ReleaseCache(const Napi::CallbackInfo& info) {
  host_cache_clear();
  return info.Env().Undefined();
}

Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  cuda::synchronize();
  return info.Env().Undefined();
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Args a(info, "setNumThreads");
  a.expect_count(1);
  int64_t n = a.integer(0, "threads");
  if (n < 1 || n > 1024) a.fail("threads must be in [1, 1024], got ", n);
  set_num_threads(static_cast<int>(n));
  return a.env().Undefined();
}

// setCpuIsa('generic' | 'avx2' | 'avx512') -> boolean (false when the CPU lacks it).
Napi::Value SetCpuIsa(const Napi::CallbackInfo& info) {
  Args a(info, "setCpuIsa");
  a.expect_count(1);
  std::string name = a.string(0, "isa");
  CpuIsa isa;
  if (name == "generic") isa = CpuIsa::kGeneric;
  else if (name == "avx2") isa = CpuIsa::kAvx2;
  else if (name == "avx512") isa = CpuIsa::kAvx512;
  else a.fail("isa must be 'generic', 'avx2' or 'avx512', got '", name, "'");
  return Napi::Boolean::New(a.env(), set_cpu_isa(isa));
}

Napi::Value SetAllowTf32(const Napi::CallbackInfo& info) {
  Args a(info, "setAllowTf32");
  a.expect_count(1);
  cuda::set_allow_tf32(a.boolean(0, "allow"));
  return a.env().Undefined();
}

struct TimerBox {
  cuda::Timer* timer;
};

void finalize_timer(Napi::Env, TimerBox* box) {
  if (box->timer) {
    try {
      cuda::timer_stop(box->timer);
    } catch (...) {
    }
  }
  delete box;
}

// timerStart() -> opaque; timerStop(t) -> milliseconds of stream time between the two calls.
Napi::Value TimerStart(const Napi::CallbackInfo& info) {
  return Napi::External<TimerBox>::New(info.Env(), new TimerBox{cuda::timer_start()}, finalize_timer);
}

Napi::Value TimerStop(const Napi::CallbackInfo& info) {
  Args a(info, "timerStop");
  a.expect_count(1);
  if (!a.value(0).IsExternal()) a.fail("timer must come from timerStart()");
  TimerBox* box = a.value(0).As<Napi::External<TimerBox>>().Data();
  if (!box || !box->timer) a.fail("timer was already stopped");
  cuda::Timer* t = box->timer;
  box->timer = nullptr;
  return Napi::Number::New(a.env(), cuda::timer_stop(t));
}

}  // namespace

void register_core(Napi::Env env, Napi::Object exports) {
  export_op<Alloc>(env, exports, "alloc");
  export_op<Free>(env, exports, "free");
  export_op<Write>(env, exports, "write");
  export_op<ReadSync>(env, exports, "readSync");
  export_op<Read>(env, exports, "read");
  export_op<Copy>(env, exports, "copy");
  export_op<Describe>(env, exports, "describe");
  export_op<Memory>(env, exports, "memory");
  export_op<Info>(env, exports, "info");
  export_op<BuildInfo>(env, exports, "buildInfo");
  export_op<DisableCuda>(env, exports, "disableCuda");
  export_op<Synchronize>(env, exports, "synchronize");
  export_op<ReleaseCache>(env, exports, "releaseCache");
  export_op<SetNumThreads>(env, exports, "setNumThreads");
  export_op<SetCpuIsa>(env, exports, "setCpuIsa");
  export_op<SetAllowTf32>(env, exports, "setAllowTf32");
  export_op<TimerStart>(env, exports, "timerStart");
  export_op<TimerStop>(env, exports, "timerStop");
}

}  // namespace ibot::binding
