// MirrorPad: native gather with per-dimension reflection ('reflect' or 'symmetric', checked as tfjs's op checks them).
import {MirrorPad, type MirrorPadAttrs, type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {MAX_COPY_RANK} from './layout_util.js';

export const mirrorPadConfig: KernelSpec = {
  kernelName: MirrorPad,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const x = inputs['x'] as TensorInfo;
    const {paddings, mode} = attrs as unknown as MirrorPadAttrs;
    if (paddings.length !== x.shape.length || x.shape.length > MAX_COPY_RANK) {
      return b.runOnCpu(MirrorPad, inputs, attrs);
    }
    if (paddings.every(([lo, hi]) => lo === 0 && hi === 0)) return b.alias(x);
    const outShape = paddings.map(([lo, hi], i) => lo + x.shape[i]! + hi);
    const flat = paddings.flatMap(([lo, hi]) => [lo, hi]);
    const out = b.makeOutput(outShape, x.dtype);
    return b.compute(out, (o) => b.addon.MirrorPad(b.handle(x), x.shape, flat, mode, o, outShape));
  },
};
