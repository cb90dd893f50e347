// @ibotjs/ops: the fused ops of iBOT training. Each op runs the active backend's fused kernel when it registers one
// (kernel contracts in kernel_names.ts; gradients registered here) and a composite of stock tfjs ops otherwise, so
// the same model and trainer run on cpu, wasm, native and cuda.
export * from './kernel_names.js';

export {type FusedImpl, getFusedImpl, missingKernels, setFusedImpl, useFusedKernels, withFusedImpl} from
    './dispatch.js';

export {fusedAttention, type FusedAttentionOptions, type FusedAttentionResult} from './fused_attention.js';
export {layerNorm} from './layer_norm.js';
export {geluErf, linear, type LinearActivation, type LinearOptions} from './linear.js';
export {ibotDistill, type IbotDistillOptions, type IbotDistillResult} from './ibot_distill.js';
export {blockMask, blockMaskAttrs, type BlockMaskOptions} from './block_mask_op.js';
export {maskApply} from './mask_apply.js';
export {l2Normalize} from './l2_normalize.js';
export {weightNorm} from './weight_norm.js';

export {adamw, type AdamWOptions, type AdamWState, createAdamWState, disposeAdamWState} from './adamw.js';
export {ema} from './ema.js';
export {clipPerParam, type ClipPerParamResult} from './clip_per_param.js';
export {cosineScheduler} from './cosine_scheduler.js';

export {noGrad, stopGradient} from './util.js';
