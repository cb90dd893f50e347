// Ema: the teacher's exponential moving average of the student over every parameter in one native call,
// t' = momentum t + (1 - momentum) s. inputs [t_0..t_{n-1}, s_0..s_{n-1}], outputs [t'_0..t'_{n-1}].
import type {TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {computeAll, flatInputs, handles, makeOutputs, splitGroups} from './optim_utils.js';

/** The kernel name and attributes of packages/ops/src/kernel_names.ts. */
export const Ema = 'Ema';
export interface EmaAttrs {
  momentum: number;
}

export const emaConfig: KernelSpec = {
  kernelName: Ema,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const {momentum} = attrs as unknown as EmaAttrs;
    const all = flatInputs(inputs);
    if (all.length % 2 !== 0) {
      throw new Error(`${Ema}: expected an even number of inputs (teachers, then students), got ${all.length}`);
    }
    const [teachers, students] = splitGroups(Ema, inputs, 2, all.length / 2) as [TensorInfo[], TensorInfo[]];
    const outs = makeOutputs(b, teachers);
    return computeAll(b, outs,
                      () => b.addon.Ema(handles(b, teachers), handles(b, students), handles(b, outs), momentum));
  },
};
