// N-API entries of the attention family (filled in as its kernels land).
#include "binding/families.h"

namespace ibot::binding {

void register_attention(Napi::Env env, Napi::Object exports) {}

}  // namespace ibot::binding
