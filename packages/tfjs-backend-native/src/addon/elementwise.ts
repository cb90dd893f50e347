// Typed mirror of the elementwise family (native/src/binding/elementwise.cc).
import type {NativeHandle} from './core.js';

type Shape = readonly number[];

/** out = op(a, b) with broadcasting; out has the broadcast shape and the inputs' dtype. */
export type BinaryEntry = (a: NativeHandle, aShape: Shape, b: NativeHandle, bShape: Shape, out: NativeHandle,
                           outShape: Shape) => void;

export interface ElementwiseOps {
  Add: BinaryEntry;
  Sub: BinaryEntry;
  Multiply: BinaryEntry;
  RealDiv: BinaryEntry;
}
