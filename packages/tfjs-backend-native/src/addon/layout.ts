// Typed mirror of the layout family (native/src/binding/layout.cc). Outputs are allocated by the caller; attributes are
// already normalised (non-negative axes, parsed slice parameters) and the native side re-checks them against the shapes.
import type {NativeHandle} from './core.js';

type Shape = readonly number[];
/** A tensor in a list argument: [handle, shape]. */
export type TensorRef = readonly [NativeHandle, Shape];

export interface LayoutOps {
  /** outShape[k] = xShape[perm[k]]. */
  Transpose(x: NativeHandle, xShape: Shape, perm: readonly number[], out: NativeHandle, outShape: Shape): void;
  /** out = x[begin : begin + outShape]. */
  Slice(x: NativeHandle, xShape: Shape, begin: readonly number[], out: NativeHandle, outShape: Shape): void;
  /** out[i...] = x.flat[offset + sum_k i_k * strides[k]] (every element read must lie inside x). */
  StridedSlice(x: NativeHandle, xShape: Shape, offset: number, strides: readonly number[], out: NativeHandle,
               outShape: Shape): void;
  /** dims: distinct axes in [0, rank). */
  Reverse(x: NativeHandle, xShape: Shape, dims: readonly number[], out: NativeHandle, outShape: Shape): void;
  Tile(x: NativeHandle, xShape: Shape, reps: readonly number[], out: NativeHandle, outShape: Shape): void;
  /** paddings = [before0, after0, before1, ...]; constantValue must be representable in x's dtype. */
  PadV2(x: NativeHandle, xShape: Shape, paddings: readonly number[], constantValue: number, out: NativeHandle,
        outShape: Shape): void;
  MirrorPad(x: NativeHandle, xShape: Shape, paddings: readonly number[], mode: 'reflect' | 'symmetric',
            out: NativeHandle, outShape: Shape): void;
  /** Inputs of one dtype and rank that agree outside `axis`. */
  Concat(inputs: readonly TensorRef[], axis: number, out: NativeHandle, outShape: Shape): void;
  /** Outputs (fresh buffers) whose extents along `axis` cover x. */
  SplitV(x: NativeHandle, xShape: Shape, axis: number, outputs: readonly TensorRef[]): void;
  /** int32 indices; on the CPU an out-of-range index throws tfjs's error. */
  GatherV2(x: NativeHandle, xShape: Shape, indices: NativeHandle, indicesShape: Shape, axis: number,
           batchDims: number, out: NativeHandle, outShape: Shape): void;
  GatherNd(params: NativeHandle, paramsShape: Shape, indices: NativeHandle, indicesShape: Shape, out: NativeHandle,
           outShape: Shape): void;
  /** out has the op's `shape` and updates' dtype. */
  ScatterNd(indices: NativeHandle, indicesShape: Shape, updates: NativeHandle, updatesShape: Shape, out: NativeHandle,
            outShape: Shape): void;
  /** segmentIds are [rows, ...t] for x of shape [rows, ..., ...t]; out is float32 [numSegments, ...xShape[1:]]. */
  UnsortedSegmentSum(x: NativeHandle, xShape: Shape, segmentIds: NativeHandle, idsShape: Shape, numSegments: number,
                     out: NativeHandle, outShape: Shape): void;
  /** onValue/offValue must be representable in out's dtype. */
  OneHot(indices: NativeHandle, indicesShape: Shape, depth: number, onValue: number, offValue: number,
         out: NativeHandle, outShape: Shape): void;
}
