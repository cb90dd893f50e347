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
// The fused kernels of iBOT training (packages/ops/src/kernel_names.ts is their contract).
void register_attention(Napi::Env env, Napi::Object exports);    // binding/attention.cc: FusedAttention(+Grad)
void register_norm(Napi::Env env, Napi::Object exports);         // binding/norm.cc: LayerNorm, L2Normalize, WeightNorm, LinearBiasGelu
void register_distill(Napi::Env env, Napi::Object exports);      // binding/distill.cc: IbotDistill(+Grad)
void register_mask(Napi::Env env, Napi::Object exports);         // binding/mask.cc: BlockMask, MaskApply(+Grad)
void register_optim(Napi::Env env, Napi::Object exports);        // binding/optim.cc: AdamW, Ema, ClipPerParam

}  // namespace ibot::binding
