// N-API entries of the optim family (filled in as its kernels land).
#include "binding/families.h"

namespace ibot::binding {

void register_optim(Napi::Env env, Napi::Object exports) {}

}  // namespace ibot::binding
