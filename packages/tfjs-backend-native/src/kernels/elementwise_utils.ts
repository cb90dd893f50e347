// Factories for the elementwise kernel files: a broadcasting binary kernel, a unary kernel and a fill-like kernel over
// the native entry of the same name. Inputs the native entry does not take (other dtypes, mixed dtypes) run on the tfjs
// cpu kernel.
import {backend_util, type DataType, type NamedAttrMap, type TensorInfo} from '@tensorflow/tfjs-core';

import type {BinaryOpName, UnaryAttrEntry, UnaryOpName} from '../addon/elementwise.js';
import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

/** The native broadcast plan handles up to 8 dimensions after merging; more is sent to cpu rather than failing. */
const kMaxNativeRank = 8;

/** The output dtype: the inputs' ('same') or a fixed one. */
export type OutDtype = 'same' | 'bool' | 'int32';

export interface BinaryOpOptions {
  out?: OutDtype;
  /** Input names in the kernel's NamedTensorInfoMap (default a, b). */
  inputs?: readonly [string, string];
  /** The tfjs kernel takes inputs of one shape and does not broadcast (EluGrad). */
  sameShape?: boolean;
}

export function binaryOp(kernelName: BinaryOpName, dtypes: readonly DataType[], options: BinaryOpOptions = {}):
    KernelSpec {
  const [aName, bName] = options.inputs ?? ['a', 'b'];
  return {
    kernelName,
    kernelFunc: ({inputs, backend, attrs}) => {
      const nb = backend as NativeBackend;
      const a = inputs[aName] as TensorInfo, b = inputs[bName] as TensorInfo;
      const sameShape = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
      if (a.dtype !== b.dtype || !dtypes.includes(a.dtype) || (options.sameShape && !sameShape)) {
        return nb.runOnCpu(kernelName, inputs, attrs);
      }
      const shape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      if (shape.length > kMaxNativeRank) return nb.runOnCpu(kernelName, inputs, attrs);
      const out = nb.makeOutput(shape, outDtype(options.out, a.dtype));
      return nb.compute(out, (o) => nb.addon[kernelName](nb.handle(a), a.shape, nb.handle(b), b.shape, o, shape));
    },
  };
}

/**
 * A unary kernel on input 'x'. `attrValues` turns the kernel's attributes into the native entry's trailing numbers,
 * or returns null for attributes the native entry refuses (the cpu kernel then decides what they mean).
 */
export function unaryOp(kernelName: UnaryOpName | 'LeakyRelu' | 'Step' | 'ClipByValue', dtypes: readonly DataType[],
                        out: OutDtype = 'same',
                        attrValues: (attrs: NamedAttrMap) => number[] | null = () => []): KernelSpec {
  return {
    kernelName,
    kernelFunc: ({inputs, backend, attrs}) => {
      const nb = backend as NativeBackend;
      const x = inputs['x'] as TensorInfo;
      const values = dtypes.includes(x.dtype) ? attrValues(attrs ?? {}) : null;
      if (values == null) return nb.runOnCpu(kernelName, inputs, attrs);
      const entry = nb.addon[kernelName] as UnaryAttrEntry;
      const result = nb.makeOutput(x.shape, outDtype(out, x.dtype));
      return nb.compute(result, (o) => entry(nb.handle(x), x.shape, o, x.shape, ...values));
    },
  };
}

/** ZerosLike/OnesLike: a tensor of x's shape and dtype filled with the constant (native for float32, int32, bool). */
export function fillLikeOp(kernelName: 'ZerosLike' | 'OnesLike'): KernelSpec {
  return {
    kernelName,
    kernelFunc: ({inputs, backend}) => {
      const nb = backend as NativeBackend;
      const x = inputs['x'] as TensorInfo;
      const out = nb.makeOutput(x.shape, x.dtype);
      return nb.compute(out, (o) => nb.addon[kernelName](o, x.shape));
    },
  };
}

function outDtype(rule: OutDtype | undefined, input: DataType): DataType {
  return rule == null || rule === 'same' ? input : rule;
}
