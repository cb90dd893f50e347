// Pack (tf.stack): each input gains a unit dimension at `axis` (an alias), then one native Concat.
import {Pack, type PackAttrs, type TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {concatNative} from './Concat.js';

export const packConfig: KernelSpec = {
  kernelName: Pack,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const xs = inputs as unknown as TensorInfo[];
    const {axis} = attrs as unknown as PackAttrs;
    const rank = xs[0]!.shape.length;
    // tfjs's expandDims: a negative axis counts from the end of the new rank.
    util.assert(axis >= -(rank + 1), () => `Axis must be in the interval [${-(rank + 1)}, ${rank}]`);
    const dim = axis < 0 ? rank + axis + 1 : axis;
    const expanded = xs[0]!.shape.slice();
    expanded.splice(dim, 0, 1);
    if (xs.length === 1) return b.alias(xs[0]!, expanded);
    const {shape, dtype} = xs[0]!;
    for (const t of xs) {
      util.assertShapesMatch(shape, t.shape, 'All tensors passed to stack must have matching shapes');
      util.assert(dtype === t.dtype, () => 'All tensors passed to stack must have matching dtypes');
    }
    return concatNative(b, xs, xs.map(() => expanded), dim);
  },
};
