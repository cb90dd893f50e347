// N-API entries of the norm family (filled in as its kernels land).
#include "binding/families.h"

namespace ibot::binding {

void register_norm(Napi::Env env, Napi::Object exports) {}

}  // namespace ibot::binding
