// PadV2 (tf.pad): fill with the constant, then a native strided copy of x into the interior; zero padding is an alias.
// Negative paddings or a paddings list of the wrong length (which tfjs does not reject) run on the cpu kernel.
import {PadV2, type PadV2Attrs, type TensorInfo} from '@tensorflow/tfjs-core';

import {isNativeDtype, type NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {asElement, MAX_COPY_RANK} from './layout_util.js';

export const padV2Config: KernelSpec = {
  kernelName: PadV2,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const x = inputs['x'] as TensorInfo;
    const {paddings, constantValue} = attrs as unknown as PadV2Attrs;
    if (paddings.length !== x.shape.length || paddings.some(([lo, hi]) => lo < 0 || hi < 0) ||
        !isNativeDtype(x.dtype) || x.shape.length > MAX_COPY_RANK) {
      return b.runOnCpu(PadV2, inputs, attrs);
    }
    if (paddings.every(([lo, hi]) => lo === 0 && hi === 0)) return b.alias(x);
    const outShape = paddings.map(([lo, hi], i) => lo + x.shape[i]! + hi);
    const flat = paddings.flatMap(([lo, hi]) => [lo, hi]);
    const value = asElement(constantValue, x.dtype);
    const out = b.makeOutput(outShape, x.dtype);
    return b.compute(out, (o) => b.addon.PadV2(b.handle(x), x.shape, flat, value, o, outShape));
  },
};
