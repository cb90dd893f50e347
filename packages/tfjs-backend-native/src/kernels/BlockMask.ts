// BlockMask: iBOT block-wise or random masks [batch, gridH, gridW] (bool) for a batch of crops, generated natively
// (Philox-keyed, the same bits on 'native' and 'cuda'). No inputs; the native entry checks the attributes.
import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

// The contract's names (packages/ops/src/kernel_names.ts), spelled here because the backend cannot import @ibotjs/ops.
const BlockMask = 'BlockMask';
interface BlockMaskAttrs {
  batch: number;
  gridH: number;
  gridW: number;
  ratios: number[];
  ratioVars: number[];
  shape: 'block' | 'rand';
  seed: number;
  step: number;
}

export const blockMaskConfig: KernelSpec = {
  kernelName: BlockMask,
  kernelFunc: ({backend, attrs}) => {
    const b = backend as NativeBackend;
    const {batch, gridH, gridW, ratios, ratioVars, shape, seed, step} = attrs as unknown as BlockMaskAttrs;
    const outShape = [batch, gridH, gridW];
    // Checked before allocating: makeOutput needs a valid shape. The rest is checked by the native entry.
    if (!outShape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`BlockMask: batch, gridH and gridW must be non-negative integers, got [${outShape}]`);
    }
    const out = b.makeOutput(outShape, 'bool');
    return b.compute(out, (o) => b.addon.BlockMask(o, outShape, ratios, ratioVars, shape, seed, step));
  },
};

