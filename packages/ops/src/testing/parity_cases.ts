// The kernel-vs-composite parity cases shared by fused_parity.test.ts (the backend's native kernels) and
// kernel_path.test.ts (JS mock kernels on 'cpu'): for each op, inputs at odd and ViT-like sizes, the outputs and
// gradients to compare, the kernels the kernel path must run, and a tolerance.
import {dotTolerance, runOn, type Tolerance, worstMismatch} from '@ibotjs/tfjs-backend-native/testing/parity';
import type {HostTensor, Rng} from '@ibotjs/tfjs-backend-native/testing/random';
import * as tf from '@tensorflow/tfjs-core';
import type {ExecutionContext} from 'ava';

import {adamw, createAdamWState, disposeAdamWState} from '../adamw.js';
import {blockMask} from '../block_mask_op.js';
import {clipPerParam} from '../clip_per_param.js';
import {type FusedImpl, withFusedImpl} from '../dispatch.js';
import {ema} from '../ema.js';
import {fusedAttention} from '../fused_attention.js';
import {ibotDistill} from '../ibot_distill.js';
import * as K from '../kernel_names.js';
import {l2Normalize} from '../l2_normalize.js';
import {layerNorm} from '../layer_norm.js';
import {linear} from '../linear.js';
import {maskApply} from '../mask_apply.js';
import {weightNorm} from '../weight_norm.js';

import {boolHost, size, uniformHost} from './op_testing.js';

export interface ParityCase {
  /** Op and sizes, e.g. 'fusedAttention [2, 3, 17, 8]'. */
  name: string;
  /** Kernels the kernel path must run natively (forward and gradient). */
  kernels: string[];
  inputs: HostTensor[];
  /** The op's outputs, and gradients where the case differentiates (tf.grads inside). */
  run: (...xs: tf.Tensor[]) => tf.Tensor[];
  /** Labels of run's outputs, for messages. */
  outputs: string[];
  tol: Tolerance;
}

/** Gradients of sum(w · f(xs)) with respect to xs[i] for i in wrt, w a fixed random tensor shaped like f's output. */
function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], wrt: number[], w: tf.Tensor): tf.Tensor[] {
  return tf.grads((...ys: tf.Tensor[]) => {
    const all = xs.slice();
    wrt.forEach((i, k) => (all[i] = ys[k]!));
    return tf.sum(tf.mul(f(...all), w));
  })(wrt.map((i) => xs[i]!));
}

/** GEMM-based ops: float32 dot-product tolerance; TF32 tensor cores on 'cuda'. */
function gemmTol(backend: string, k: number): Tolerance {
  return backend === 'cuda' ? {rtol: 3e-3, atol: 3e-3} : dotTolerance(k);
}

const EXACT: Tolerance = {rtol: 0, atol: 0};

function attentionCase(rng: Rng, backend: string, shape: number[], returnProbs: boolean): ParityCase {
  const [, , n, d] = shape as [number, number, number, number];
  const inputs = [0, 1, 2].map(() => uniformHost(rng, shape, -2, 2));
  inputs.push(uniformHost(rng, shape));  // upstream gradient weights
  return {
    name: `fusedAttention [${shape}]${returnProbs ? ' with probs' : ''}`,
    kernels: [K.FusedAttention, K.FusedAttentionGrad],
    inputs,
    run: (q, k, v, w) => {
      const r = fusedAttention(q!, k!, v!, {returnProbs});
      const grads = gradsOf((a, b, c) => fusedAttention(a!, b!, c!).out, [q!, k!, v!], [0, 1, 2], w!);
      return [r.out, ...(returnProbs ? [r.probs!] : []), ...grads];
    },
    outputs: ['out', ...(returnProbs ? ['probs'] : []), 'dq', 'dk', 'dv'],
    tol: gemmTol(backend, Math.max(n, d)),
  };
}

function layerNormCase(rng: Rng, shape: number[]): ParityCase {
  const d = shape[shape.length - 1]!;
  const x = uniformHost(rng, shape, -3, 3);
  // Row 0 is constant and exactly representable with an exact mean (0.5 · D): zero variance in any summation order.
  x.values.fill(0.5, 0, d);
  return {
    name: `layerNorm [${shape}]`,
    kernels: [K.LayerNormFused, K.LayerNormFusedGrad],
    inputs: [x, uniformHost(rng, [d], -2, 2), uniformHost(rng, [d]), uniformHost(rng, shape)],
    run: (xt, g, b, w) => [layerNorm(xt!, g!, b!), ...gradsOf((a, c, e) => layerNorm(a!, c!, e!), [xt!, g!, b!],
                                                             [0, 1, 2], w!)],
    outputs: ['y', 'dx', 'dgamma', 'dbeta'],
    // dx on the constant row is ~rstd = 1000 times larger than elsewhere: relative.
    tol: {rtol: 2e-4, atol: 1e-4},
  };
}

function linearGeluCase(rng: Rng, backend: string, xShape: number[], n: number): ParityCase {
  const k = xShape[xShape.length - 1]!;
  const outShape = [...xShape.slice(0, -1), n];
  return {
    name: `linear gelu x [${xShape}] w [${k}, ${n}]`,
    kernels: [K.LinearBiasGelu, K.GeluGrad],
    inputs: [uniformHost(rng, xShape), uniformHost(rng, [k, n]), uniformHost(rng, [n]), uniformHost(rng, outShape)],
    run: (x, w, b, u) => {
      const f = (a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => linear(a, c, e, {activation: 'gelu'});
      return [f(x!, w!, b!), ...gradsOf((a, c, e) => f(a!, c!, e!), [x!, w!, b!], [0, 1, 2], u!)];
    },
    outputs: ['y', 'dx', 'dw', 'db'],
    tol: gemmTol(backend, Math.max(k, size(xShape) / k)),
  };
}

function distillCase(rng: Rng, r: number, k: number, masked: boolean): ParityCase {
  const inputs = [uniformHost(rng, [r, k], -5, 5), uniformHost(rng, [r, k], -5, 5), uniformHost(rng, [k], -1, 1),
                  uniformHost(rng, [r])];
  if (masked) inputs.push(boolHost(Array.from({length: r}, () => rng.next() < 0.3), [r]));
  const opts = (mask?: tf.Tensor) => ({studentTemp: 0.1, teacherTemp: 0.04, rowMask: mask ?? null});
  return {
    name: `ibotDistill [${r}, ${k}]${masked ? ' masked rows' : ''}`,
    kernels: [K.IbotDistill, K.IbotDistillGrad],
    inputs,
    run: (s, t, c, w, mask) => {
      const out = ibotDistill(s!, t!, c!, opts(mask));
      // Teacher and centre are differentiated too: both paths must give exactly zero there.
      const grads = gradsOf((a, b, e) => ibotDistill(a!, b!, e!, opts(mask)).loss, [s!, t!, c!], [0, 1, 2], w!);
      return [out.loss, out.teacherColSum, ...grads];
    },
    outputs: ['loss', 'teacherColSum', 'dStudent', 'dTeacher', 'dCenter'],
    // Scaled logits up to 5/0.04 = 125: a few ulp of that is ~3e-5 in the loss.
    tol: {rtol: 1e-4, atol: 1e-4},
  };
}

function maskApplyCase(rng: Rng, b: number, n: number, d: number): ParityCase {
  return {
    name: `maskApply [${b}, ${n}, ${d}]`,
    kernels: [K.MaskApply, K.MaskApplyGrad],
    inputs: [uniformHost(rng, [b, n, d]), boolHost(Array.from({length: b * n}, () => rng.next() < 0.3), [b, n]),
             uniformHost(rng, [d]), uniformHost(rng, [b, n, d])],
    run: (x, m, tk, w) => [maskApply(x!, m!, tk!), ...gradsOf((a, c) => maskApply(a!, m!, c!), [x!, tk!], [0, 1], w!)],
    outputs: ['out', 'dTokens', 'dMaskToken'],
    tol: {rtol: 1e-5, atol: 1e-5},
  };
}

function l2NormalizeCase(rng: Rng, shape: number[]): ParityCase {
  const x = uniformHost(rng, shape);
  x.values.fill(0, 0, shape[shape.length - 1]!);  // a zero vector: the eps clamp (dx = dy / eps)
  return {
    name: `l2Normalize [${shape}]`,
    kernels: [K.L2Normalize, K.L2NormalizeGrad],
    inputs: [x, uniformHost(rng, shape)],
    run: (xt, w) => [l2Normalize(xt!), ...gradsOf((a) => l2Normalize(a!), [xt!], [0], w!)],
    outputs: ['y', 'dx'],
    tol: {rtol: 1e-4, atol: 1e-5},
  };
}

function weightNormCase(rng: Rng, k: number, c: number): ParityCase {
  return {
    name: `weightNorm [${k}, ${c}]`,
    kernels: [K.WeightNorm, K.WeightNormGrad],
    inputs: [uniformHost(rng, [k, c], -0.0625, 0.0625), uniformHost(rng, [k, 1], 0.5, 2), uniformHost(rng, [k, c])],
    run: (v, g, w) => [weightNorm(v!, g!), ...gradsOf((a, b) => weightNorm(a!, b!), [v!, g!], [0, 1], w!)],
    outputs: ['w', 'dv', 'dg'],
    tol: {rtol: 1e-4, atol: 1e-4},
  };
}

const paramShapes = [[384], [7, 5], [1], [3, 2, 9], [0], [1152, 3]];

/** Parameters and three steps' gradients; parameter 2 has no gradient on the first step (frozen: skipped). */
function adamwCase(rng: Rng): ParityCase {
  const params = paramShapes.map((s) => uniformHost(rng, s));
  const grads = [0, 1, 2].flatMap(() => paramShapes.map((s) => uniformHost(rng, s, -0.1, 0.1)));
  const n = paramShapes.length;
  return {
    name: `adamw, ${n} parameters (${paramShapes.map((s) => `[${s}]`).join(' ')}), 3 steps, one frozen at first`,
    kernels: [K.AdamW],
    inputs: [...params, ...grads],
    run: (...xs) => {
      const vars = xs.slice(0, n).map((x) => tf.variable(x, true));
      const state = createAdamWState(vars);
      const lr = paramShapes.map((_, i) => 1e-3 * (i + 1)), wd = paramShapes.map((_, i) => (i % 2 ? 0 : 0.04));
      for (let step = 0; step < 3; step++) {
        const g = xs.slice(n * (step + 1), n * (step + 2)).map((x, i) => (step === 0 && i === 2 ? null : x));
        adamw(vars, g, state, {lr, weightDecay: wd});
      }
      if (state.step[2] !== 2 || state.step[0] !== 3) throw new Error(`adamw step counts ${state.step}`);
      const out = [...vars, ...state.m, ...state.v].map((v) => tf.clone(v));
      tf.dispose(vars);
      disposeAdamWState(state);
      return out;
    },
    outputs: [...paramShapes.map((_, i) => `p${i}`), ...paramShapes.map((_, i) => `m${i}`),
              ...paramShapes.map((_, i) => `v${i}`)],
    // m / (√v + eps) amplifies rounding where v is tiny; 3 steps stay well inside this.
    tol: {rtol: 1e-5, atol: 1e-6},
  };
}

function emaCase(rng: Rng): ParityCase {
  const n = paramShapes.length;
  return {
    name: `ema, ${n} parameters, 2 updates`,
    kernels: [K.Ema],
    inputs: [...paramShapes.map((s) => uniformHost(rng, s)), ...paramShapes.map((s) => uniformHost(rng, s))],
    run: (...xs) => {
      const teacher = xs.slice(0, n).map((x) => tf.variable(x, false));
      ema(teacher, xs.slice(n), 0.996);
      ema(teacher, xs.slice(n), 0.9);
      const out = teacher.map((v) => tf.clone(v));
      tf.dispose(teacher);
      return out;
    },
    outputs: paramShapes.map((_, i) => `t${i}`),
    tol: {rtol: 1e-6, atol: 1e-7},
  };
}

function clipCase(rng: Rng): ParityCase {
  // Norms spread around the threshold: some gradients clipped, some not, one all zeros.
  const grads = paramShapes.map((s) => uniformHost(rng, s, -1, 1)).map((g, i) => ({
    ...g, values: g.values.map((v) => (i === 1 ? 0 : v * 10 ** (i - 2))),
  }));
  return {
    name: `clipPerParam, ${grads.length} gradients`,
    kernels: [K.ClipPerParam],
    inputs: grads as HostTensor[],
    run: (...gs) => {
      const {grads: out, norms} = clipPerParam(gs, 3);
      return [...out, norms];
    },
    outputs: [...paramShapes.map((_, i) => `g${i}`), 'norms'],
    tol: {rtol: 1e-5, atol: 1e-7},
  };
}

function blockMaskCase(ratio: number | number[], ratioVar: number | number[], shape: 'block' | 'rand'):
    ParityCase {
  return {
    name: `blockMask ${shape} ratio ${JSON.stringify(ratio)} ± ${JSON.stringify(ratioVar)}, 32 crops of 14×14`,
    kernels: [K.BlockMask],
    inputs: [],
    run: () => [blockMask({batch: 32, gridH: 14, gridW: 14, ratio, ratioVar, shape, seed: 1234567, step: 89})],
    outputs: ['mask'],
    tol: EXACT,  // same Philox stream: identical bits
  };
}

/** Every parity case, with fresh random inputs. `backend` sets the tolerances (TF32 on 'cuda'). */
export function parityCases(rng: Rng, backend: string): ParityCase[] {
  return [
    attentionCase(rng, backend, [2, 3, 17, 8], false),
    attentionCase(rng, backend, [1, 2, 37, 64], true),
    attentionCase(rng, backend, [1, 2, 197, 64], false),
    layerNormCase(rng, [5, 7, 33]),
    layerNormCase(rng, [3, 384]),
    linearGeluCase(rng, backend, [3, 5, 24], 40),
    linearGeluCase(rng, backend, [2, 197, 64], 96),
    distillCase(rng, 37, 301, true),
    distillCase(rng, 5, 8192, false),
    maskApplyCase(rng, 3, 49, 40),
    l2NormalizeCase(rng, [7, 256]),
    l2NormalizeCase(rng, [2, 3, 5]),
    weightNormCase(rng, 300, 256),
    adamwCase(rng),
    emaCase(rng),
    clipCase(rng),
    blockMaskCase([0, 0.3], [0, 0.2], 'block'),
    blockMaskCase(0.3, 0, 'block'),
    blockMaskCase(0.45, 0.05, 'rand'),
  ];
}

/** Runs a case's program on `backend` with the ops forced onto `impl`. */
export function runCase(backend: string, impl: FusedImpl, c: ParityCase): HostTensor[] {
  return runOn(backend, (...xs) => withFusedImpl(impl, () => c.run(...xs)), c.inputs);
}

/** Asserts the kernel path's outputs equal the composite's within the case's tolerance. */
export function assertSameOutputs(t: ExecutionContext, c: ParityCase, kernel: HostTensor[], composite: HostTensor[]):
    void {
  t.is(kernel.length, composite.length, `${c.name}: number of outputs`);
  composite.forEach((want, i) => {
    const got = kernel[i]!, label = `${c.name}: ${c.outputs[i] ?? `output ${i}`}`;
    t.deepEqual(got.shape, want.shape, `${label} shape`);
    t.is(got.dtype, want.dtype, `${label} dtype`);
    const bad = worstMismatch(got.values, want.values, c.tol);
    t.is(bad, null, bad ? `${label}: flat index ${bad.index}: kernel ${bad.got}, composite ${bad.want} ` +
                          `(rtol ${c.tol.rtol}, atol ${c.tol.atol})` : '');
  });
}

