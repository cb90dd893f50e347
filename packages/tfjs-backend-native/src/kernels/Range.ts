// Range: start, start + step, ... up to stop (exclusive), with tfjs cpu's quirks: an empty result when start == stop
// or the step points away from stop (except that a step of exactly 1 is flipped to -1 when stop < start), and values
// accumulated step by step in the output dtype. Native for float32 and int32.
import {Range, type RangeAttrs} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

export const rangeConfig: KernelSpec = {
  kernelName: Range,
  kernelFunc: ({inputs, backend, attrs}) => {
    const nb = backend as NativeBackend;
    const {start, stop, dtype} = attrs as unknown as RangeAttrs;
    let {step} = attrs as unknown as RangeAttrs;
    const empty = start === stop || (start < stop && step < 0) || (stop < start && step > 1);
    let n = empty ? 0 : Math.abs(Math.ceil((stop - start) / step));
    if (Number.isNaN(n)) n = 0;  // new Float32Array(NaN) is empty too
    if ((dtype !== 'float32' && dtype !== 'int32') || !Number.isFinite(n)) return nb.runOnCpu(Range, inputs, attrs);
    if (stop < start && step === 1) step = -1;
    const out = nb.makeOutput([n], dtype);
    return nb.compute(out, (o) => nb.addon.Range(o, [n], start, step));
  },
};
