// N-API entries of the mask family (filled in as its kernels land).
#include "binding/families.h"

namespace ibot::binding {

void register_mask(Napi::Env env, Napi::Object exports) {}

}  // namespace ibot::binding
