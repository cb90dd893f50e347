// N-API entries of the reduce family (filled in as its kernels land).
#include "binding/families.h"

namespace ibot::binding {

void register_reduce(Napi::Env env, Napi::Object exports) {}

}  // namespace ibot::binding
