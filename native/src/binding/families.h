// One registration function per op family; module.cc calls them all. A family's binding file defines its function.
#pragma once
#include <napi.h>

namespace ibot::binding {

void register_core(Napi::Env env, Napi::Object exports);         // binding/core.cc: storage, copies, info, threads
void register_elementwise(Napi::Env env, Napi::Object exports);  // binding/elementwise.cc
void register_reduce(Napi::Env env, Napi::Object exports);       // binding/reduce.cc
void register_matmul(Napi::Env env, Napi::Object exports);       // binding/matmul.cc
void register_layout(Napi::Env env, Napi::Object exports);       // binding/layout.cc: transpose, slice, concat, gather, ...
void register_conv(Napi::Env env, Napi::Object exports);         // binding/conv.cc

}  // namespace ibot::binding
