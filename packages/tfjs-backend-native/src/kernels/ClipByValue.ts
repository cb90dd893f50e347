// ClipByValue: x clamped to [clipValueMin, clipValueMax], NaN kept (native for float32 and int32).
import {ClipByValue, type ClipByValueAttrs} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const clipByValueConfig: KernelSpec = unaryOp(ClipByValue, ['float32', 'int32'], 'same', (attrs) => {
  const {clipValueMin, clipValueMax} = attrs as unknown as ClipByValueAttrs;
  // The native entry refuses min > max (tf.clipByValue does too); a direct kernel call gets whatever cpu does.
  return clipValueMin > clipValueMax ? null : [clipValueMin, clipValueMax];
});
