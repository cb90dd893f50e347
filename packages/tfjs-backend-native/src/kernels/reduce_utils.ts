// Shared by the reduction kernels (Sum, Mean, Prod, Max, Min, Any, All, ArgMax/ArgMin, Cumsum/Cumprod): axis parsing,
// output shapes and the call.
import {
  type ArgMaxAttrs,
  type ArgMinAttrs,
  backend_util,
  type CumprodAttrs,
  type CumsumAttrs,
  type DataType,
  type NamedAttrMap,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';

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

/** ArgMax/ArgMin: the int32 index of the first extreme along one axis (tfjs cpu: NaNs after the first never win). */
export function argReduceKernel(kernelName: 'ArgMax' | 'ArgMin'): KernelSpec {
  return {
    kernelName,
    kernelFunc: ({inputs, backend, attrs}) => {
      const b = backend as NativeBackend;
      const x = inputs['x'] as TensorInfo;
      const {axis} = attrs as unknown as ArgMaxAttrs | ArgMinAttrs;
      const axes = util.parseAxisParam(axis, x.shape);
      // The op passes one axis; anything else takes tfjs cpu's own path.
      if (axes.length !== 1 || !numericDtypes.includes(x.dtype)) return b.runOnCpu(kernelName, inputs, attrs);
      const shape = x.shape.filter((_, d) => d !== axes[0]);
      const out = b.makeOutput(shape, 'int32');
      return b.compute(out, (o) => b.addon[kernelName](b.handle(x), x.shape, axes[0]!, o, shape));
    },
  };
}

/** Cumsum/Cumprod along one axis (exclusive, reverse), rounded at every step like tfjs cpu; bool gives int32. */
export function scanKernel(kernelName: 'Cumsum' | 'Cumprod'): KernelSpec {
  return {
    kernelName,
    kernelFunc: ({inputs, backend, attrs}) => {
      const b = backend as NativeBackend;
      const x = inputs['x'] as TensorInfo;
      const {axis, exclusive, reverse} = attrs as unknown as CumsumAttrs | CumprodAttrs;
      const rank = x.shape.length;
      // tfjs cpu gives odd results for rank 0 and negative axes (no normalisation): reproduce them by running it.
      if (!Number.isInteger(axis) || axis < 0 || axis >= rank || !numericDtypes.includes(x.dtype)) {
        return b.runOnCpu(kernelName, inputs, attrs);
      }
      const out = b.makeOutput(x.shape, upcastToInt(x.dtype));
      return b.compute(out, (o) => b.addon[kernelName](b.handle(x), x.shape, axis, !!exclusive, !!reverse, o,
                                                       x.shape));
    },
  };
}
