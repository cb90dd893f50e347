// Shape helpers shared by the gradient overrides: undoing a broadcast (sum) and undoing a reduction (broadcast).
import {backend_util, broadcastTo, reshape, sum, type Tensor, util, zeros} from '@tensorflow/tfjs-core';

/**
 * The gradient of broadcasting an input of shape `shape` to t.shape: t summed over the broadcast axes, with `shape`.
 * `shape` must broadcast to t.shape (missing leading axes and size-1 axes are summed).
 */
export function sumToShape(t: Tensor, shape: readonly number[]): Tensor {
  const axes = backend_util.getReductionAxes(shape as number[], t.shape);
  const reduced = axes.length > 0 ? sum(t, axes) : t;
  return reshape(reduced, shape as number[]);
}

/**
 * The gradient of a reduction over `axes` of an x of shape xShape: dy (the reduction's output, with or without the
 * kept dims) put back to xShape by a reshape (free) and a broadcast, without building anything on the host.
 */
export function expandReduced(dy: Tensor, xShape: readonly number[], axes: readonly number[]): Tensor {
  // broadcastTo only tiles dims > 1 and would hand back the [1]-shaped dy for an empty x.
  if (util.sizeFromShape(xShape as number[]) === 0) return zeros(xShape as number[]);
  const kept = xShape.slice();
  for (const a of axes) kept[a] = 1;
  return broadcastTo(reshape(dy, kept), xShape as number[]);
}
