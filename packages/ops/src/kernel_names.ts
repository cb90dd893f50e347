// The fused kernels of iBOT training: names, inputs, attributes and outputs. This file is the contract between the op
// functions in this package (which run a kernel when the active backend registers it, and a composite of stock tfjs
// ops otherwise) and the backends that implement them (packages/tfjs-backend-native/src/kernels/<Name>.ts registers
// each name for 'native' and 'cuda'). The backend cannot import this package (layers only import downwards), so it
// spells the same names; test/fused_kernel_names.test.ts checks that every name here is registered there.
//
// Conventions: float32 everywhere unless said; shapes in comments; "rows" are all leading dimensions flattened.
// Kernels with a gradient have a companion *Grad kernel that the op's registered gradient calls.

/**
 * softmax(q kᵀ · scale) v per (batch, head), online softmax, no N×N matrix in memory unless probabilities are asked.
 * inputs:  q, k, v [B, H, N, d]
 * attrs:   FusedAttentionAttrs
 * outputs: [out [B, H, N, d], lse [B, H, N] (log-sum-exp of each scaled score row, for the backward pass)]
 *          and, when returnProbs, a third output probs [B, H, N, N] (for attention maps; no gradient flows through it).
 */
export const FusedAttention = 'FusedAttention';
export interface FusedAttentionAttrs {
  scale: number;
  returnProbs: boolean;
}
/**
 * inputs:  q, k, v [B, H, N, d], out [B, H, N, d], lse [B, H, N], dy [B, H, N, d]
 * attrs:   {scale}
 * outputs: [dq, dk, dv], each [B, H, N, d]
 */
export const FusedAttentionGrad = 'FusedAttentionGrad';

/**
 * y = (x - mean) * rstd * gamma + beta over the last axis, rstd = 1 / sqrt(var + eps), biased (population) variance.
 * inputs:  x [..., D], gamma [D], beta [D]
 * attrs:   {eps} (the ViT uses 1e-6)
 * outputs: [y [..., D], mean [...], rstd [...]]
 */
export const LayerNormFused = 'LayerNormFused';
export interface LayerNormFusedAttrs {
  eps: number;
}
/**
 * inputs:  dy [..., D], x [..., D], gamma [D], mean [...], rstd [...]
 * outputs: [dx [..., D], dgamma [D], dbeta [D]]
 */
export const LayerNormFusedGrad = 'LayerNormFusedGrad';

/**
 * z = x w + b, y = GELU(z) with the exact erf form 0.5 z (1 + erf(z / √2)), as one GEMM with the activation in its
 * epilogue (fc1 of every ViT MLP).
 * inputs:  x [M, K] (the op flattens leading dimensions), w [K, N], b [N]
 * outputs: [y [M, N], z [M, N]] (z is kept for the backward pass)
 */
export const LinearBiasGelu = 'LinearBiasGelu';
/**
 * dz = dy · GELU'(z), GELU'(z) = Φ(z) + z φ(z). The rest of the backward pass (dx = dz wᵀ, dw = xᵀ dz, db = Σ dz) is
 * stock matmuls and sums.
 * inputs:  dy [M, N], z [M, N]
 * outputs: [dz [M, N]]
 */
export const GeluGrad = 'GeluGrad';

/**
 * Per-row cross-entropy between the centred, sharpened teacher and the student (IBOT_SPEC §4.2):
 *   p = softmax((teacher - center) / teacherTemp), log q = log_softmax(student / studentTemp), loss[r] = -Σ_k p log q
 * in one pass over K. Rows where rowMask is false cost nothing and get loss 0. Also returns the column sums of the
 * RAW teacher logits over ALL rows (masked or not), which the centre update needs (IBOT_SPEC §4.3).
 * inputs:  student [R, K], teacher [R, K], center [K], rowMask [R] bool (optional: absent = every row)
 * attrs:   IbotDistillAttrs
 * outputs: [loss [R], teacherColSum [K]]
 */
export const IbotDistill = 'IbotDistill';
export interface IbotDistillAttrs {
  studentTemp: number;
  teacherTemp: number;
}
/**
 * The gradient with respect to the student logits only (the teacher gets none):
 *   dStudent[r, k] = dLoss[r] · (softmax(student[r] / studentTemp)[k] - p[r, k]) / studentTemp, 0 on masked-out rows.
 * inputs:  student [R, K], teacher [R, K], center [K], dLoss [R], rowMask [R] bool (optional)
 * attrs:   IbotDistillAttrs
 * outputs: [dStudent [R, K]]
 */
export const IbotDistillGrad = 'IbotDistillGrad';

/**
 * iBOT block-wise (or random) masks for a batch of crops, IBOT_SPEC §3 exactly: per-crop ratio from `ratios` /
 * `ratioVars` (§3.2), minimum area (min(H, W) div 3)², up to 10 attempts, log-uniform aspect in [0.3, 1/0.3],
 * strict h < H and w < W, real-valued budget, no maximum cap (§3.3); 'rand' masks exactly floor(r·H·W) cells (§3.4).
 * Randomness: Philox4x32-10 keyed by seed, counter (step, crop index, draw) — so the CPU and CUDA kernels return
 * identical masks for the same (seed, step), and crop b's mask does not depend on the batch size.
 * inputs:  none
 * attrs:   BlockMaskAttrs
 * outputs: [mask [batch, gridH, gridW] bool]
 */
export const BlockMask = 'BlockMask';
export interface BlockMaskAttrs {
  batch: number;
  gridH: number;
  gridW: number;
  /** pred_ratio: one value, or a list of which each crop picks one uniformly (after drawing its variation). */
  ratios: number[];
  /** pred_ratio_var: same length as ratios (a single value is broadcast by the op). */
  ratioVars: number[];
  shape: 'block' | 'rand';
  /** Unsigned 32-bit integers. */
  seed: number;
  step: number;
}

/**
 * Replaces the patch embeddings at masked positions by the mask token (after the patch projection, before the
 * position embedding: IBOT_SPEC §1.3).
 * inputs:  tokens [B, N, D], mask [B, N] bool, maskToken [D]
 * outputs: [out [B, N, D]]
 */
export const MaskApply = 'MaskApply';
/**
 * inputs:  dy [B, N, D], mask [B, N] bool
 * outputs: [dTokens [B, N, D] (dy where not masked, else 0), dMaskToken [D] (Σ of dy over masked positions)]
 */
export const MaskApplyGrad = 'MaskApplyGrad';

/**
 * y = x / max(‖x‖₂, eps) over the last axis (the head's bottleneck normalisation, eps = 1e-12).
 * inputs:  x [..., D]
 * attrs:   {eps}
 * outputs: [y [..., D], norm [...] (‖x‖₂ before the clamp)]
 */
export const L2Normalize = 'L2Normalize';
export interface L2NormalizeAttrs {
  eps: number;
}
/**
 * dx = (dy - y (dy·y)) / norm where norm > eps, and dy / eps where the clamp was active.
 * inputs:  dy [..., D], y [..., D], norm [...]
 * attrs:   {eps}
 * outputs: [dx [..., D]]
 */
export const L2NormalizeGrad = 'L2NormalizeGrad';

/**
 * The weight-normalised last layer's weight, PyTorch weight_norm with dim 0: w[k] = g[k] · v[k] / ‖v[k]‖₂.
 * inputs:  v [K, C], g [K, 1]
 * outputs: [w [K, C], vNorm [K]]
 */
export const WeightNorm = 'WeightNorm';
/**
 * inputs:  dw [K, C], v [K, C], g [K, 1], vNorm [K]
 * outputs: [dv [K, C], dg [K, 1]]   (dv = g/‖v‖ (dw - v (dw·v)/‖v‖²), dg = dw·v/‖v‖)
 */
export const WeightNormGrad = 'WeightNormGrad';

/**
 * One AdamW step over many parameters in one launch, PyTorch semantics (IBOT_SPEC §5.3): for each parameter i with
 * its own lr, weight decay and step t (1-based, after increment):
 *   p ← p·(1 − lr·wd);  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
 *   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps)
 * inputs:  a flat list [p_0..p_{n-1}, g_0..g_{n-1}, m_0..m_{n-1}, v_0..v_{n-1}] (each group shape-matched)
 * attrs:   AdamWAttrs (arrays of length n)
 * outputs: [p'_0..p'_{n-1}, m'_0..m'_{n-1}, v'_0..v'_{n-1}]
 */
export const AdamW = 'AdamW';
export interface AdamWAttrs {
  lr: number[];
  weightDecay: number[];
  /** Per-parameter step count t used for bias correction (parameters skipped while frozen keep their own count). */
  step: number[];
  beta1: number;
  beta2: number;
  eps: number;
}

/**
 * Teacher EMA over many parameters in one launch (IBOT_SPEC §5.6): t ← m·t + (1 − m)·s.
 * inputs:  [t_0..t_{n-1}, s_0..s_{n-1}]
 * attrs:   {momentum}
 * outputs: [t'_0..t'_{n-1}]
 */
export const Ema = 'Ema';
export interface EmaAttrs {
  momentum: number;
}

/**
 * Per-parameter gradient clipping (IBOT_SPEC §5.5): n_i = ‖g_i‖₂; if maxNorm / (n_i + 1e-6) < 1, g_i ← g_i ·
 * maxNorm / (n_i + 1e-6).
 * inputs:  [g_0..g_{n-1}]
 * attrs:   {maxNorm}
 * outputs: [g'_0..g'_{n-1}, norms [n]]
 */
export const ClipPerParam = 'ClipPerParam';
export interface ClipPerParamAttrs {
  maxNorm: number;
}

/** Every fused kernel name, for registration checks. */
export const FUSED_KERNEL_NAMES = [
  FusedAttention, FusedAttentionGrad, LayerNormFused, LayerNormFusedGrad, LinearBiasGelu, GeluGrad, IbotDistill,
  IbotDistillGrad, BlockMask, MaskApply, MaskApplyGrad, L2Normalize, L2NormalizeGrad, WeightNorm, WeightNormGrad,
  AdamW, Ema, ClipPerParam,
] as const;
