// Argument checks shared by the op functions (errors name the op and the shapes), and the no-gradient helper the
// composites use where the fused kernels' gradients stop (tfjs has no stopGradient op).
import {clone, customGrad, type DataType, type Tensor, zeros} from '@tensorflow/tfjs-core';

export function shapeOf(x: Tensor): string {
  return `[${x.shape.join(', ')}]`;
}

/** Throws unless x is a tfjs Tensor of `dtype`. */
export function checkTensor(op: string, name: string, x: unknown, dtype: DataType = 'float32'): asserts x is Tensor {
  const t = x as Tensor | null | undefined;
  if (t == null || typeof t !== 'object' || !Array.isArray(t.shape) || typeof t.dtype !== 'string') {
    throw new Error(`${op}: ${name} must be a tf.Tensor, got ${t === null ? 'null' : typeof t}`);
  }
  if (t.isDisposed) throw new Error(`${op}: ${name} ${shapeOf(t)} is disposed`);
  if (t.dtype !== dtype) throw new Error(`${op}: ${name} must be ${dtype}, got ${t.dtype} ${shapeOf(t)}`);
}

export function checkRank(op: string, name: string, x: Tensor, rank: number): void {
  if (x.rank !== rank) throw new Error(`${op}: ${name} must have rank ${rank}, got ${shapeOf(x)}`);
}

export function checkShape(op: string, name: string, x: Tensor, shape: readonly number[]): void {
  if (x.rank !== shape.length || x.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: ${name} must have shape [${shape.join(', ')}], got ${shapeOf(x)}`);
  }
}

export function checkNumber(op: string, name: string, value: unknown, ok: (v: number) => boolean, what: string):
    asserts value is number {
  if (typeof value !== 'number' || !ok(value)) throw new Error(`${op}: ${name} must be ${what}, got ${String(value)}`);
}

export const isPositive = (v: number) => v > 0 && Number.isFinite(v);

/**
 * fn(...xs), recorded on the gradient tape as one node whose gradient is zero for every input: fn's own ops run off
 * the tape (the engine records nothing inside a custom-gradient forward), so nothing is differentiated through them.
 * The composites use it where the fused kernels' gradients stop (the teacher side of the distillation loss, the
 * attention probabilities), so both paths give the same gradients.
 */
export function noGrad(fn: (...xs: Tensor[]) => Tensor, ...xs: Tensor[]): Tensor {
  const shapes = xs.map((x) => ({shape: x.shape.slice(), dtype: x.dtype}));
  // customGrad passes a save function after the tensors; fn sees only the tensors.
  return customGrad((...args: unknown[]) => ({
    value: fn(...(args.slice(0, xs.length) as Tensor[])),
    gradFunc: () => shapes.map((s) => zeros(s.shape, s.dtype)),
  }))(...xs);
}

/** x itself (an alias) with no gradient through it. */
export function stopGradient<T extends Tensor>(x: T): T {
  return noGrad((y) => clone(y), x) as T;
}
