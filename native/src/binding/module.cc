// The addon's entry point: every exported function comes from one family registration below.
#include <napi.h>

#include "binding/families.h"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  using namespace ibot::binding;
  register_core(env, exports);
  register_elementwise(env, exports);
  register_reduce(env, exports);
  register_matmul(env, exports);
  register_layout(env, exports);
  register_conv(env, exports);
  register_attention(env, exports);
  register_norm(env, exports);
  register_distill(env, exports);
  register_mask(env, exports);
  register_optim(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(ibotjs_native, init)
