// Typed mirror of the mask family (native/src/binding/mask.cc); contract: packages/ops/src/kernel_names.ts.
import type {NativeHandle} from './core.js';

type Shape = readonly number[];

export interface MaskOps {
  /**
   * iBOT masks into out [batch, gridH, gridW] (bool), IBOT_SPEC §3: per-crop ratio from ratios/ratioVars (1 to 16
   * entries of one length, each r ± v within [0, 1]), 'block' or 'rand'. seed and step are unsigned 32-bit integers;
   * crop b's mask depends only on (seed, step, b, attributes), identical on CPU and CUDA.
   */
  BlockMask(out: NativeHandle, outShape: Shape, ratios: readonly number[], ratioVars: readonly number[],
            shape: 'block' | 'rand', seed: number, step: number): void;
  /** out[b, n, :] = mask[b, n] ? maskToken : tokens[b, n, :]; tokens, out [B, N, D] f32, mask [B, N] bool, token [D]. */
  MaskApply(tokens: NativeHandle, tokensShape: Shape, mask: NativeHandle, maskShape: Shape, maskToken: NativeHandle,
            maskTokenShape: Shape, out: NativeHandle, outShape: Shape): void;
  /** dTokens = dy where not masked, else 0 ([B, N, D]); dMaskToken [D] = Σ of dy over masked (b, n), fixed order. */
  MaskApplyGrad(dy: NativeHandle, dyShape: Shape, mask: NativeHandle, maskShape: Shape, dTokens: NativeHandle,
                dTokensShape: Shape, dMaskToken: NativeHandle, dMaskTokenShape: Shape): void;
}
