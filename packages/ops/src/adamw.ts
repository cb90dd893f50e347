// adamw: one AdamW step over a list of parameters, PyTorch semantics (IBOT_SPEC §5.3) with per-parameter learning
// rate, weight decay and step count — the multi-tensor AdamW kernel (one launch) where the backend has it,
// otherwise the same arithmetic from stock ops, parameter by parameter.
import {
  add, div, engine, mul, type NamedAttrMap, scalar, sqrt, square, sub, type Tensor, tidy, type Variable, variable,
  zerosLike,
} from '@tensorflow/tfjs-core';

import {useFusedKernels} from './dispatch.js';
import {AdamW, type AdamWAttrs} from './kernel_names.js';
import {checkNumber, checkShape, checkTensor, isPositive, shapeOf} from './util.js';

/**
 * The optimizer state, one entry per parameter in the order of the params list. m and v are non-trainable
 * tf.Variables that adamw reassigns in place (so tidy scopes around a step never dispose them); step[i] counts the
 * updates parameter i has received (parameters skipped while frozen keep their count, as PyTorch's per-parameter
 * state does).
 */
export interface AdamWState {
  m: Variable[];
  v: Variable[];
  step: number[];
}

/** A zero state for `params` (m = v = 0, step 0). Dispose it with disposeAdamWState. */
export function createAdamWState(params: readonly Tensor[]): AdamWState {
  // tidy releases the zero tensors (variables are not tracked by tidy scopes; each keeps its own reference).
  const zeroVariable = (p: Tensor) => tidy(() => variable(zerosLike(p), false));
  return {m: params.map(zeroVariable), v: params.map(zeroVariable), step: params.map(() => 0)};
}

export function disposeAdamWState(state: AdamWState): void {
  for (const t of [...state.m, ...state.v]) t.dispose();
}

export interface AdamWOptions {
  /** Learning rate: one for all parameters, or one per parameter. */
  lr: number | readonly number[];
  /** Decoupled weight decay: one for all, or one per parameter (0 for biases and norms, IBOT_SPEC §5.3). */
  weightDecay: number | readonly number[];
  beta1?: number;
  beta2?: number;
  eps?: number;
}

const OP = 'adamw';

function perParam(name: string, value: number | readonly number[], n: number): number[] {
  const list = typeof value === 'number' ? new Array<number>(n).fill(value) : [...value];
  if (list.length !== n) throw new Error(`${OP}: ${name} has ${list.length} values for ${n} parameters`);
  list.forEach((x, i) => checkNumber(OP, `${name}[${i}]`, x, (v) => v >= 0 && Number.isFinite(v),
                                     'a finite non-negative number'));
  return list;
}

/**
 * One AdamW step: for every parameter i with a gradient, p ← p·(1 − lr·wd), then the bias-corrected Adam update
 * with t = ++state.step[i]. Updates params[i], state.m[i] and state.v[i] in place (Variable.assign; the old buffers
 * are released). A null gradient skips the parameter entirely — no decay, no moment update, no step count — as
 * PyTorch does for a parameter whose .grad is None (IBOT_SPEC §5.5, the frozen last layer).
 */
export function adamw(params: readonly Variable[], grads: ReadonlyArray<Tensor | null | undefined>,
                      state: AdamWState, options: AdamWOptions): void {
  const n = params.length;
  if (grads.length !== n || state.m.length !== n || state.v.length !== n || state.step.length !== n) {
    throw new Error(`${OP}: ${n} parameters, ${grads.length} gradients and a state for ${state.m.length}/` +
                    `${state.v.length}/${state.step.length} parameters (m/v/step) must have the same length`);
  }
  const lr = perParam('lr', options.lr, n);
  const weightDecay = perParam('weightDecay', options.weightDecay, n);
  const beta1 = options.beta1 ?? 0.9, beta2 = options.beta2 ?? 0.999, eps = options.eps ?? 1e-8;
  checkNumber(OP, 'beta1', beta1, (v) => v >= 0 && v < 1, 'in [0, 1)');
  checkNumber(OP, 'beta2', beta2, (v) => v >= 0 && v < 1, 'in [0, 1)');
  checkNumber(OP, 'eps', eps, isPositive, 'a positive number');

  const active: number[] = [];
  grads.forEach((g, i) => {
    if (g == null) return;
    const p = params[i]!;
    checkTensor(OP, `params[${i}]`, p);
    checkTensor(OP, `grads[${i}]`, g);
    checkShape(OP, `grads[${i}]`, g, p.shape);
    checkShape(OP, `state.m[${i}]`, state.m[i]!, p.shape);
    checkShape(OP, `state.v[${i}]`, state.v[i]!, p.shape);
    if (typeof p.assign !== 'function') {
      throw new Error(`${OP}: params[${i}] ${shapeOf(p)} must be a tf.Variable (it is updated in place)`);
    }
    active.push(i);
  });
  if (active.length === 0) return;
  const steps = active.map((i) => state.step[i]! + 1);

  if (useFusedKernels(OP, [AdamW])) {
    const attrs: AdamWAttrs = {lr: active.map((i) => lr[i]!), weightDecay: active.map((i) => weightDecay[i]!),
                               step: steps, beta1, beta2, eps};
    const inputs = [...active.map((i) => params[i]!), ...active.map((i) => grads[i]!),
                    ...active.map((i) => state.m[i]!), ...active.map((i) => state.v[i]!)];
    const outs = engine().runKernel(AdamW, inputs as unknown as Record<string, Tensor>,
                                    attrs as unknown as NamedAttrMap) as Tensor[];
    const k = active.length;
    active.forEach((i, j) => {
      params[i]!.assign(outs[j]!);
      state.m[i]!.assign(outs[k + j]!);
      state.v[i]!.assign(outs[2 * k + j]!);
    });
    for (const t of outs) t.dispose();  // the variables hold their own references
  } else {
    active.forEach((i, j) => tidy(() => {
      const p = params[i]!, g = grads[i]!;
      const t = steps[j]!;
      // Scalars in float64, as PyTorch computes them in Python.
      const stepSize = lr[i]! / (1 - beta1 ** t);
      const sqrtBc2 = Math.sqrt(1 - beta2 ** t);
      const decayed = mul(p, scalar(1 - lr[i]! * weightDecay[i]!));
      const m = add(mul(state.m[i]!, scalar(beta1)), mul(g, scalar(1 - beta1)));
      const v = add(mul(state.v[i]!, scalar(beta2)), mul(square(g), scalar(1 - beta2)));
      const denom = add(div(sqrt(v), scalar(sqrtBc2)), scalar(eps));
      p.assign(sub(decayed, mul(div(m, denom), scalar(stepSize))));
      state.m[i]!.assign(m);
      state.v[i]!.assign(v);
    }));
  }
  active.forEach((i, j) => (state.step[i] = steps[j]!));
}
