// Shared by the reduction kernels (Sum, Mean, Prod, Max, Min, Any, All): axis parsing, output shapes and the call.
import {backend_util, type DataType, type NamedAttrMap, type TensorInfo, util} from '@tensorflow/tfjs-core';

import type {ReduceEntry} from '../addon/reduce.js';
import type {NativeAddon} from '../addon/index.js';
import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

export interface ReduceKernelOptions {
  /** The attribute holding the axes: 'axis' for most, 'reductionIndices' for Max. */
  axisAttr: 'axis' | 'reductionIndices';
  /** Input dtypes the native entry takes; others run on the tfjs cpu kernel. */
  dtypes: readonly DataType[];
  /** Output dtype for an input dtype (tfjs's upcast rules). */
  outDtype: (x: DataType) => DataType;
}

/**
 * A reduction over any axis set. The native side walks any layout itself, so nothing is transposed here; repeated
 * axes (which tfjs cpu turns into odd shapes) run on the tfjs cpu kernel to get its exact behaviour.
 */
export function reduceKernel(kernelName: string, entry: (addon: NativeAddon) => ReduceEntry,
                             opts: ReduceKernelOptions): KernelSpec {
  return {
    kernelName,
    kernelFunc: ({inputs, backend, attrs}) => {
      const b = backend as NativeBackend;
      const x = inputs['x'] as TensorInfo;
      const a = attrs as NamedAttrMap;
      if (!opts.dtypes.includes(x.dtype)) return b.runOnCpu(kernelName, inputs, attrs);
      const axes = util.parseAxisParam(a[opts.axisAttr] as number | number[], x.shape);
      if (new Set(axes).size !== axes.length) return b.runOnCpu(kernelName, inputs, attrs);
      const [reducedShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
      const shape = a['keepDims'] ? backend_util.expandShapeToKeepDim(reducedShape, axes) : reducedShape;
      const out = b.makeOutput(shape, opts.outDtype(x.dtype));
      return b.compute(out, (o) => entry(b.addon)(b.handle(x), x.shape, axes, o, shape));
    },
  };
}

/** Sum/Prod: bool counts as int32; float32 and int32 keep their dtype. */
export const upcastToInt = (d: DataType): DataType => (d === 'bool' ? 'int32' : d);
export const numericDtypes: readonly DataType[] = ['float32', 'int32', 'bool'];
