// Slice: parameters parsed and checked as tfjs does (slice_util), then a native strided copy; the whole tensor is an
// alias.
import {Slice, type SliceAttrs, slice_util, type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {sliceNative} from './layout_util.js';

export const sliceConfig: KernelSpec = {
  kernelName: Slice,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs['x'] as TensorInfo;
    const {begin, size} = attrs as unknown as SliceAttrs;
    const [$begin, $size] = slice_util.parseSliceParams(x, begin, size);
    slice_util.assertParamsValid(x, $begin!, $size!);
    return sliceNative(backend as NativeBackend, x, $begin!, $size!);
  },
};
