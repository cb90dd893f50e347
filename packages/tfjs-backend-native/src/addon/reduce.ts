// Typed mirror of the reduce family (native/src/binding/reduce.cc). Outputs are allocated by the caller and passed in.
import type {NativeHandle} from './core.js';

type Shape = readonly number[];

/**
 * out = reduce(x) over `axes` (integers in [-rank, rank), no repeats). outShape is x's shape without the axes, or with
 * them set to 1 (keepDims). Output dtypes: Sum/Prod of bool -> int32, Mean -> float32, the others keep x's dtype.
 */
export type ReduceEntry = (x: NativeHandle, xShape: Shape, axes: readonly number[], out: NativeHandle,
                           outShape: Shape) => void;

/** out (int32, x's shape without `axis`) = index of the first max/min along `axis`. */
export type ArgReduceEntry = (x: NativeHandle, xShape: Shape, axis: number, out: NativeHandle, outShape: Shape) => void;

/** Scan along `axis` (in [-rank, rank)); out has x's shape (int32 for bool x). */
export type ScanEntry = (x: NativeHandle, xShape: Shape, axis: number, exclusive: boolean, reverse: boolean,
                         out: NativeHandle, outShape: Shape) => void;

export interface ReduceOps {
  Sum: ReduceEntry;
  Mean: ReduceEntry;
  Prod: ReduceEntry;
  Max: ReduceEntry;
  Min: ReduceEntry;
  /** bool only. */
  Any: ReduceEntry;
  /** bool only. */
  All: ReduceEntry;
  ArgMax: ArgReduceEntry;
  ArgMin: ArgReduceEntry;
  /** float32 softmax along the last axis; dim must be -1 or rank - 1. */
  Softmax: (logits: NativeHandle, shape: Shape, dim: number, out: NativeHandle, outShape: Shape) => void;
  /**
   * The k largest entries along the last axis, sorted descending with ties by lower index (also for sorted=false).
   * values has x's dtype, indices int32; both have x's shape with the last dimension set to k.
   */
  TopK: (x: NativeHandle, xShape: Shape, k: number, sorted: boolean, values: NativeHandle, valuesShape: Shape,
         indices: NativeHandle, indicesShape: Shape) => void;
  Cumsum: ScanEntry;
  Cumprod: ScanEntry;
}
