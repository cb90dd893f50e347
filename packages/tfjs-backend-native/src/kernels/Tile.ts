// Tile (also what tf.broadcastTo runs in tfjs 4.22): a native strided copy with stride 0 along each repetition; all
// reps 1 is an alias.
import {type TensorInfo, Tile, type TileAttrs} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {MAX_COPY_RANK} from './layout_util.js';

export const tileConfig: KernelSpec = {
  kernelName: Tile,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const x = inputs['x'] as TensorInfo;
    const {reps} = attrs as unknown as TileAttrs;
    // tfjs's op checks the length; negative or fractional reps fail inside the cpu kernel, so they go there.
    if (reps.length !== x.shape.length || reps.some((r) => !(Number.isInteger(r) && r >= 0)) ||
        2 * x.shape.length > MAX_COPY_RANK) {
      return b.runOnCpu(Tile, inputs, attrs);
    }
    if (reps.every((r) => r === 1)) return b.alias(x);
    const outShape = x.shape.map((d, i) => d * reps[i]!);
    const out = b.makeOutput(outShape, x.dtype);
    return b.compute(out, (o) => b.addon.Tile(b.handle(x), x.shape, reps, o, outShape));
  },
};
