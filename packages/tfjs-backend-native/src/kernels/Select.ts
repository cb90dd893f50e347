// Select: condition ? t : e (tf.where). The condition is bool with t's shape, or [t.shape[0]] picking whole rows, or a
// scalar; t and e of one dtype. Other inputs run on the tfjs cpu kernel.
import {Select, type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export const selectConfig: KernelSpec = {
  kernelName: Select,
  kernelFunc: ({inputs, backend, attrs}) => {
    const nb = backend as NativeBackend;
    const {condition, t, e} = inputs as {condition: TensorInfo; t: TensorInfo; e: TensorInfo};
    const c = condition.shape;
    const conditionFits = sameShape(c, t.shape) || c.length === 0 || (c.length === 1 && c[0] === t.shape[0]);
    if (condition.dtype !== 'bool' || t.dtype !== e.dtype || !sameShape(t.shape, e.shape) || !conditionFits) {
      return nb.runOnCpu(Select, inputs, attrs);
    }
    const out = nb.makeOutput(t.shape, t.dtype);
    return nb.compute(out, (o) => nb.addon.Select(nb.handle(condition), c, nb.handle(t), t.shape, nb.handle(e),
                                                  e.shape, o, t.shape));
  },
};
