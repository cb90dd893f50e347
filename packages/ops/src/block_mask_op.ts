// blockMask: iBOT's block-wise or random patch masks for a batch of crops (IBOT_SPEC §3) — the BlockMask kernel
// where the backend has it, otherwise the JS generator of block_mask/reference.ts, which returns the same bits
// (same Philox stream and draw order), so a seed gives the same masks on every backend.
import {engine, type NamedAttrMap, type Tensor3D, tensor3d} from '@tensorflow/tfjs-core';

import {useFusedKernels} from './dispatch.js';
import {BlockMask, type BlockMaskAttrs} from './kernel_names.js';
import {checkNumber} from './util.js';

export interface BlockMaskOptions {
  batch: number;
  gridH: number;
  gridW: number;
  /** pred_ratio: one value, or a list of which each crop picks one uniformly (after drawing its variation). */
  ratio: number | readonly number[];
  /** pred_ratio_var (default 0): one value (broadcast over the ratios) or one per ratio. */
  ratioVar?: number | readonly number[];
  /** 'block' (default) or 'rand'. */
  shape?: 'block' | 'rand';
  /** Unsigned 32-bit seed. */
  seed: number;
  /** Training step (or any counter): crops of different steps draw independent masks. */
  step: number;
}

const OP = 'blockMask';

type Reference = (attrs: BlockMaskAttrs) => Uint8Array;

// TODO(after merging the mask branch): replace this with a static
//   import {blockMaskReference} from './block_mask/reference.js';
// block_mask/reference.ts is written in another branch; the dynamic import with a computed specifier keeps this
// package type-checking and loading before it is merged (the composite then throws a clear error).
const REFERENCE_MODULE: string = './block_mask/reference.js';
const blockMaskReference: Reference | null =
    await import(REFERENCE_MODULE).then((m: {blockMaskReference: Reference}) => m.blockMaskReference, () => null);

/** The kernel's attributes from the op's options: ratio lists normalised, a scalar variation broadcast. */
export function blockMaskAttrs(options: BlockMaskOptions): BlockMaskAttrs {
  const isCount = (v: number) => Number.isInteger(v) && v >= 0;
  checkNumber(OP, 'batch', options.batch, isCount, 'a non-negative integer');
  checkNumber(OP, 'gridH', options.gridH, isCount, 'a non-negative integer');
  checkNumber(OP, 'gridW', options.gridW, isCount, 'a non-negative integer');
  const isU32 = (v: number) => Number.isInteger(v) && v >= 0 && v < 2 ** 32;
  checkNumber(OP, 'seed', options.seed, isU32, 'an unsigned 32-bit integer');
  checkNumber(OP, 'step', options.step, isU32, 'an unsigned 32-bit integer');
  const ratios = typeof options.ratio === 'number' ? [options.ratio] : [...options.ratio];
  const rawVar = options.ratioVar ?? 0;
  const ratioVars = typeof rawVar === 'number' ? ratios.map(() => rawVar) : [...rawVar];
  if (ratios.length === 0) throw new Error(`${OP}: ratio must be a number or a non-empty list`);
  if (ratioVars.length !== ratios.length) {
    throw new Error(`${OP}: ratioVar has ${ratioVars.length} values for ${ratios.length} ratios ` +
                    `([${ratios.join(', ')}] vs [${ratioVars.join(', ')}])`);
  }
  ratios.forEach((r, i) => {
    checkNumber(OP, `ratio[${i}]`, r, (v) => v >= 0 && v <= 1, 'in [0, 1]');
    checkNumber(OP, `ratioVar[${i}]`, ratioVars[i], (v) => v >= 0 && v <= r && r + v <= 1,
                `in [0, min(ratio, 1 - ratio)] (ratio ${r})`);
  });
  const shape = options.shape ?? 'block';
  if (shape !== 'block' && shape !== 'rand') throw new Error(`${OP}: shape must be 'block' or 'rand', got ${shape}`);
  return {batch: options.batch, gridH: options.gridH, gridW: options.gridW, ratios, ratioVars, shape,
          seed: options.seed, step: options.step};
}

/** Masks [batch, gridH, gridW] bool; crop b's mask depends on (seed, step, b) only, not on the batch size. */
export function blockMask(options: BlockMaskOptions): Tensor3D {
  const attrs = blockMaskAttrs(options);
  if (useFusedKernels(OP, [BlockMask])) {
    return engine().runKernel(BlockMask, {}, attrs as unknown as NamedAttrMap) as Tensor3D;
  }
  if (blockMaskReference == null) {
    throw new Error(`${OP}: the composite path needs the JS generator block_mask/reference.ts, which is not part of ` +
                    'this build');
  }
  return tensor3d(blockMaskReference(attrs), [attrs.batch, attrs.gridH, attrs.gridW], 'bool');
}
