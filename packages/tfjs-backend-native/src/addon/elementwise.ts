// Typed mirror of the elementwise family (native/src/binding/elementwise.cc). Every export is named after its tfjs
// kernel; the op tables in native/src/kernels/elementwise.h say which dtypes each accepts.
import type {NativeHandle} from './core.js';

type Shape = readonly number[];

/** out = op(a, b) with broadcasting; out has the broadcast shape and the op's output dtype. */
export type BinaryEntry = (a: NativeHandle, aShape: Shape, b: NativeHandle, bShape: Shape, out: NativeHandle,
                           outShape: Shape) => void;

/** out = op(x); same shape. Ops with attributes take them after the tensors (see UnaryAttrEntry). */
export type UnaryEntry = (x: NativeHandle, xShape: Shape, out: NativeHandle, outShape: Shape) => void;
export type UnaryAttrEntry = (x: NativeHandle, xShape: Shape, out: NativeHandle, outShape: Shape,
                              ...attrs: number[]) => void;

export const binaryOpNames = [
  'Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference', 'Maximum', 'Minimum', 'Pow', 'FloorDiv', 'Mod', 'Atan2',
  'Prelu', 'EluGrad', 'Equal', 'NotEqual', 'Less', 'LessEqual', 'Greater', 'GreaterEqual', 'LogicalAnd', 'LogicalOr',
] as const;
export type BinaryOpName = (typeof binaryOpNames)[number];

export const unaryOpNames = [
  'Neg', 'Square', 'Sqrt', 'Rsqrt', 'Exp', 'Expm1', 'Log', 'Log1p', 'Erf', 'Tanh', 'Abs', 'Sign', 'Relu', 'Relu6',
  'Elu', 'Selu', 'Sigmoid', 'Softplus', 'Floor', 'Ceil', 'Round', 'Reciprocal', 'LogicalNot', 'IsNan', 'IsInf',
  'IsFinite', 'Sin', 'Cos',
] as const;
export type UnaryOpName = (typeof unaryOpNames)[number];

export interface ElementwiseOps extends Record<BinaryOpName, BinaryEntry>, Record<UnaryOpName, UnaryEntry> {
  LeakyRelu(x: NativeHandle, xShape: Shape, out: NativeHandle, outShape: Shape, alpha: number): void;
  Step(x: NativeHandle, xShape: Shape, out: NativeHandle, outShape: Shape, alpha: number): void;
  ClipByValue(x: NativeHandle, xShape: Shape, out: NativeHandle, outShape: Shape, clipValueMin: number,
              clipValueMax: number): void;
  /** Converts x to out's dtype (tfjs cpu rules: float -> int32 truncates and wraps, NaN -> 0; -> bool is x != 0). */
  Cast(x: NativeHandle, xShape: Shape, out: NativeHandle, outShape: Shape): void;
  /** condition (bool): t's shape, [t.shape[0]] (picks rows) or a scalar; t, e and out share shape and dtype. */
  Select(condition: NativeHandle, conditionShape: Shape, t: NativeHandle, tShape: Shape, e: NativeHandle,
         eShape: Shape, out: NativeHandle, outShape: Shape): void;
  /** out = x0 + x1 + ... in one pass; float32 or int32, all of one shape. */
  AddN(inputs: ReadonlyArray<readonly [NativeHandle, Shape]>, out: NativeHandle, outShape: Shape): void;
  /** Every element = value, converted as a JS typed array of out's dtype would store it. */
  Fill(out: NativeHandle, outShape: Shape, value: number): void;
  ZerosLike(out: NativeHandle, outShape: Shape): void;
  OnesLike(out: NativeHandle, outShape: Shape): void;
  /** out[0] = start, out[i] = out[i-1] + step (rounded to out's dtype each step); out is rank 1, float32 or int32. */
  Range(out: NativeHandle, outShape: Shape, start: number, step: number): void;
}
