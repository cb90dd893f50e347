// Helpers shared by the kernel files: the kernel spec type and factories for the common kernel shapes.
import {backend_util, type DataType, type KernelFunc, type TensorInfo} from '@tensorflow/tfjs-core';

import type {BinaryEntry} from './addon/elementwise.js';
import type {NativeAddon} from './addon/index.js';
import type {NativeBackend} from './backend.js';

/** A kernel implementation for both native backends ('native' and 'cuda'); register_all_kernels.ts registers it. */
export interface KernelSpec {
  kernelName: string;
  kernelFunc: KernelFunc;
  /**
   * Set when the kernel handles 'string' and 'complex64' inputs itself (aliasing kernels). Otherwise such inputs are
   * routed to the tfjs cpu kernel before kernelFunc runs.
   */
  anyDtype?: boolean;
}

/**
 * A broadcasting binary kernel over a native entry. Inputs of another dtype, or of two different dtypes, run on the
 * tfjs cpu kernel (tfjs ops make dtypes match before calling kernels, so this is rare).
 */
export function binaryKernel(kernelName: string, entry: (addon: NativeAddon) => BinaryEntry,
                             dtypes: readonly DataType[]): KernelSpec {
  return {
    kernelName,
    kernelFunc: ({inputs, backend, attrs}) => {
      const b = backend as NativeBackend;
      const {a, b: bIn} = inputs as {a: TensorInfo; b: TensorInfo};
      if (a.dtype !== bIn.dtype || !dtypes.includes(a.dtype)) return b.runOnCpu(kernelName, inputs, attrs);
      const shape = backend_util.assertAndGetBroadcastShape(a.shape, bIn.shape);
      const out = b.makeOutput(shape, a.dtype);
      return b.compute(out, (o) => entry(b.addon)(b.handle(a), a.shape, b.handle(bIn), bIn.shape, o, shape));
    },
  };
}
