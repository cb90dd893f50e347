// N-API entries of the matmul family (filled in as its kernels land).
#include "binding/families.h"

namespace ibot::binding {

void register_matmul(Napi::Env env, Napi::Object exports) {}

}  // namespace ibot::binding
