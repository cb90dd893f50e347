// N-API entries of the distill family (filled in as its kernels land).
#include "binding/families.h"

namespace ibot::binding {

void register_distill(Napi::Env env, Napi::Object exports) {}

}  // namespace ibot::binding
