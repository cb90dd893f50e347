// N-API entries of the layout family (filled in as its kernels land).
#include "binding/families.h"

namespace ibot::binding {

void register_layout(Napi::Env env, Napi::Object exports) {}

}  // namespace ibot::binding
