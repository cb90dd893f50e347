// Unpack (tf.unstack): a native SplitV into unit pieces, each returned without the split axis; one piece is an alias.
import {type TensorInfo, Unpack, type UnpackAttrs} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {splitNative} from './SplitV.js';

export const unpackConfig: KernelSpec = {
  kernelName: Unpack,
  kernelFunc: ({inputs, backend, attrs}) => {
    const value = inputs['value'] as TensorInfo;
    let {axis} = attrs as unknown as UnpackAttrs;
    if (axis < 0) axis += value.shape.length;
    const num = value.shape[axis]!;
    const outShape = value.shape.filter((_, i) => i !== axis);
    return splitNative(backend as NativeBackend, value, axis, new Array<number>(num).fill(1),
                       new Array(num).fill(null).map(() => outShape.slice()));
  },
};
