// N-API entries of the conv family (filled in as its kernels land).
#include "binding/families.h"

namespace ibot::binding {

void register_conv(Napi::Env env, Napi::Object exports) {}

}  // namespace ibot::binding
