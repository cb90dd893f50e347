// The ViT forward pass as pure functions of a parameter map (official names, our layouts), so the model class, the
// gradient checks and the trainer share one implementation. Everything runs inside tf.tidy: only the results live on.
import {fusedAttention, layerNorm, linear, maskApply} from '@ibotjs/ops';
import * as tf from '@tensorflow/tfjs-core';

import {dropPathRates, headDim, LAYER_NORM_EPS, type ViTConfig} from './config.js';
import {dropPath} from './drop_path.js';
import {patchEmbed} from './patch_embed.js';
import {interpolatePosEmbed} from './pos_embed.js';

/** name → tensor in our layout (a ViT's variables, or plain tensors for functional use and gradient checks). */
export type ViTParams = Readonly<Record<string, tf.Tensor>>;

export interface ForwardOptions {
  /** [B, H/p, W/p] bool: patches replaced by masked_embed (student only). Absent: no replacement. */
  mask?: tf.Tensor;
  /** All tokens [B, 1+N, D] (true) or the CLS token [B, D]; default: the config's returnAllTokens. */
  returnAllTokens?: boolean;
  /** Drop path acts only when training (default false). */
  training?: boolean;
  /** Seed of this call's drop-path draws (default: the config's seed). */
  seed?: number | string;
}

interface BlockRun {
  training: boolean;
  seed: number | string;
}

function get(params: ViTParams, name: string): tf.Tensor {
  const t = params[name];
  if (!t) throw new Error(`ViT: parameter ${name} is missing`);
  return t;
}

/**
 * images [B, H, W, C] (+ mask) → tokens [B, 1 + h0·w0, D]: patch embedding, mask-token replacement, CLS first,
 * position embedding (resized when the grid differs). IBOT_SPEC §1.2–§1.5.
 */
export function prepareTokens(params: ViTParams, config: ViTConfig, images: tf.Tensor, mask?: tf.Tensor): tf.Tensor3D {
  if (!(images instanceof tf.Tensor) || images.rank !== 4 || images.dtype !== 'float32') {
    throw new Error(`ViT: images must be a float32 [B, H, W, C] tensor, got ${images instanceof tf.Tensor ?
        `${images.dtype} [${images.shape}]` : typeof images}`);
  }
  const [B, H, W, C] = images.shape as [number, number, number, number];
  const p = config.patchSize, D = config.embedDim;
  if (C !== config.inChans) throw new Error(`ViT: images [${images.shape}] have ${C} channels, the model ${config.inChans}`);
  const h0 = Math.floor(H / p), w0 = Math.floor(W / p);
  if (mask) {
    if (!config.maskedImModeling) throw new Error('ViT: a mask was given to a model without masked_embed');
    if (mask.dtype !== 'bool' || mask.rank !== 3 || mask.shape[0] !== B || mask.shape[1] !== h0 || mask.shape[2] !== w0) {
      throw new Error(`ViT: mask must be bool [${B}, ${h0}, ${w0}] for images [${images.shape}], got ${mask.dtype} ` +
                      `[${mask.shape}]`);
    }
  }
  return tf.tidy(() => {
    let x = patchEmbed(images as tf.Tensor4D, get(params, 'patch_embed.proj.weight'), get(params, 'patch_embed.proj.bias'), p);
    if (mask) x = maskApply(x, tf.reshape(mask, [B, h0 * w0]), get(params, 'masked_embed'));  // [B, N, D]
    // CLS broadcast over the batch by an add: its gradient is one sum (tile's is a slice+add per repetition).
    const cls = tf.add(tf.zeros([B, 1, D]), get(params, 'cls_token'));  // [B, 1, D]
    const pos = interpolatePosEmbed(get(params, 'pos_embed'), h0, w0, H, W);  // [1, 1 + h0·w0, D]
    return tf.add(tf.concat([cls, x], 1), pos) as tf.Tensor3D;
  });
}

/** Multi-head self-attention of normed tokens h [B, T, D]: → [B, T, D] and, if asked, probs [B, heads, T, T]. */
function attention(params: ViTParams, config: ViTConfig, i: number, h: tf.Tensor3D, returnProbs: boolean):
    {y: tf.Tensor3D; probs?: tf.Tensor4D} {
  const [B, T, D] = h.shape;
  const heads = config.numHeads, d = headDim(config);
  const qkvBias = config.qkvBias ? get(params, `blocks.${i}.attn.qkv.bias`) : null;
  const qkv = linear(h, get(params, `blocks.${i}.attn.qkv.weight`), qkvBias);  // [B, T, 3D] = [q | k | v], heads contiguous
  const [q, k, v] = tf.unstack(tf.transpose(tf.reshape(qkv, [B, T, 3, heads, d]), [2, 0, 3, 1, 4]));  // 3 × [B, heads, T, d]
  const {out, probs} = fusedAttention(q!, k!, v!, {scale: d ** -0.5, returnProbs});
  const merged = tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [B, T, D]);  // heads concatenated in order
  const y = linear(merged, get(params, `blocks.${i}.attn.proj.weight`), get(params, `blocks.${i}.attn.proj.bias`));
  return probs ? {y: y as tf.Tensor3D, probs} : {y: y as tf.Tensor3D};
}

/** One pre-norm block (IBOT_SPEC §1.6–§1.8) on x [B, T, D]. */
function block(params: ViTParams, config: ViTConfig, i: number, x: tf.Tensor3D, run: BlockRun): tf.Tensor3D {
  const pre = `blocks.${i}`;
  const rate = run.training ? dropPathRates(config)[i]! : 0;
  const h1 = layerNorm(x, get(params, `${pre}.norm1.weight`), get(params, `${pre}.norm1.bias`), LAYER_NORM_EPS);
  x = tf.add(x, dropPath(attention(params, config, i, h1, false).y, rate, `${run.seed}/${i}/attn`));
  const h2 = layerNorm(x, get(params, `${pre}.norm2.weight`), get(params, `${pre}.norm2.bias`), LAYER_NORM_EPS);
  const hidden = linear(h2, get(params, `${pre}.mlp.fc1.weight`), get(params, `${pre}.mlp.fc1.bias`), {activation: 'gelu'});
  const m = linear(hidden, get(params, `${pre}.mlp.fc2.weight`), get(params, `${pre}.mlp.fc2.bias`));
  return tf.add(x, dropPath(m, rate, `${run.seed}/${i}/mlp`)) as tf.Tensor3D;
}

function finalNorm(params: ViTParams, x: tf.Tensor3D): tf.Tensor3D {
  return layerNorm(x, get(params, 'norm.weight'), get(params, 'norm.bias'), LAYER_NORM_EPS);
}

/** images [B, H, W, C] → [B, 1+N, D] (all tokens) or [B, D] (CLS), after the final norm. */
export function vitForward(params: ViTParams, config: ViTConfig, images: tf.Tensor, opts: ForwardOptions = {}):
    tf.Tensor {
  const run: BlockRun = {training: opts.training ?? false, seed: opts.seed ?? config.seed};
  return tf.tidy(() => {
    let x = prepareTokens(params, config, images, opts.mask);
    for (let i = 0; i < config.depth; i++) x = block(params, config, i, x, run);
    x = finalNorm(params, x);
    if (opts.returnAllTokens ?? config.returnAllTokens) return x;
    const [B, , D] = x.shape;
    return tf.reshape(tf.slice(x, [0, 0, 0], [B, 1, D]), [B, D]);
  });
}

/** The outputs of the last n blocks, each through the final norm: n × [B, 1+N, D], oldest first (eval mode). */
export function vitIntermediateLayers(params: ViTParams, config: ViTConfig, images: tf.Tensor, n = 1): tf.Tensor3D[] {
  if (!Number.isInteger(n) || n < 1 || n > config.depth) {
    throw new Error(`getIntermediateLayers: n must be an integer in [1, ${config.depth}], got ${n}`);
  }
  const run: BlockRun = {training: false, seed: config.seed};
  return tf.tidy(() => {
    const out: tf.Tensor3D[] = [];
    let x = prepareTokens(params, config, images);
    for (let i = 0; i < config.depth; i++) {
      x = block(params, config, i, x, run);
      if (config.depth - i <= n) out.push(finalNorm(params, x));
    }
    return out;
  });
}

/** The last block's attention probabilities [B, heads, 1+N, 1+N] (eval mode; no gradient flows through them). */
export function vitLastSelfAttention(params: ViTParams, config: ViTConfig, images: tf.Tensor): tf.Tensor4D {
  const run: BlockRun = {training: false, seed: config.seed};
  const last = config.depth - 1;
  return tf.tidy(() => {
    let x = prepareTokens(params, config, images);
    for (let i = 0; i < last; i++) x = block(params, config, i, x, run);
    const h = layerNorm(x, get(params, `blocks.${last}.norm1.weight`), get(params, `blocks.${last}.norm1.bias`),
                        LAYER_NORM_EPS);
    return attention(params, config, last, h, true).probs!;
  });
}
