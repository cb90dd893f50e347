// Plain-JS implementations of the fused-kernel contract (kernel_names.ts), registered on tfjs's 'cpu' backend by
// kernel_path.test.ts: they let this package test its kernel path — the runKernel calls, the registered gradients
// and what they save — without the native kernels, and they state the contract's formulas (backward passes
// included) a second time, independently of the composites. float64 inside, float32 out.
import {type DataType, registerKernel, type TensorInfo, unregisterKernel} from '@tensorflow/tfjs-core';

import * as K from '../kernel_names.js';

import {erf64} from './op_testing.js';

interface CpuBackend {
  readSync(dataId: unknown): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: DataType, values: Float32Array | Uint8Array): TensorInfo;
}

type Inputs = Record<string, TensorInfo>;
type Attrs = Record<string, unknown>;
type MockKernel = (inputs: Inputs, attrs: Attrs, io: Io) => TensorInfo | TensorInfo[];

/** Host reads and tensor writes on the cpu backend. */
class Io {
  constructor(private readonly be: CpuBackend) {}
  read(x: TensorInfo): Float64Array {
    return Float64Array.from(this.be.readSync(x.dataId));
  }
  out(shape: number[], values: ArrayLike<number>): TensorInfo {
    return this.be.makeTensorInfo(shape, 'float32', Float32Array.from(values));
  }
  outBool(shape: number[], values: ArrayLike<number>): TensorInfo {
    return this.be.makeTensorInfo(shape, 'bool', Uint8Array.from(values));
  }
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const pdf = (z: number) => Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
const cdf = (z: number) => 0.5 * (1 + erf64(z * Math.SQRT1_2));

/** Row-wise softmax of [rows, n] and each row's log-sum-exp. */
function softmaxRows(x: Float64Array, rows: number, n: number): {p: Float64Array; lse: Float64Array} {
  const p = new Float64Array(rows * n), lse = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) max = Math.max(max, x[r * n + j]!);
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(x[r * n + j]! - max);
    lse[r] = max + Math.log(s);
    for (let j = 0; j < n; j++) p[r * n + j] = Math.exp(x[r * n + j]! - lse[r]!);
  }
  return {p, lse};
}

/** Scaled scores S = scale · q kᵀ of one (b, h) block at offset o: [n, n]. */
function scores(q: Float64Array, k: Float64Array, o: number, n: number, d: number, scale: number): Float64Array {
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let c = 0; c < d; c++) acc += q[o + i * d + c]! * k[o + j * d + c]!;
      s[i * n + j] = acc * scale;
    }
  }
  return s;
}

const fusedAttention: MockKernel = ({q, k, v}, attrs, io) => {
  const [b, h, n, d] = q!.shape as [number, number, number, number];
  const {scale, returnProbs} = attrs as unknown as K.FusedAttentionAttrs;
  const Q = io.read(q!), Kx = io.read(k!), V = io.read(v!);
  const out = new Float64Array(Q.length), lse = new Float64Array(b * h * n), probs = new Float64Array(b * h * n * n);
  for (let bh = 0; bh < b * h; bh++) {
    const o = bh * n * d;
    const {p, lse: l} = softmaxRows(scores(Q, Kx, o, n, d, scale), n, n);
    lse.set(l, bh * n);
    probs.set(p, bh * n * n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < d; c++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += p[i * n + j]! * V[o + j * d + c]!;
        out[o + i * d + c] = acc;
      }
    }
  }
  const outs = [io.out(q!.shape, out), io.out([b, h, n], lse)];
  return returnProbs ? [...outs, io.out([b, h, n, n], probs)] : outs;
};

/** P = exp(S − lse); dV = Pᵀ dy; dP = dy Vᵀ; dS = P ∘ (dP − rowsum(dy ∘ out)); dQ = scale dS K; dK = scale dSᵀ Q. */
const fusedAttentionGrad: MockKernel = ({q, k, v, out, lse, dy}, attrs, io) => {
  const [b, h, n, d] = q!.shape as [number, number, number, number];
  const {scale} = attrs as unknown as K.FusedAttentionAttrs;
  const Q = io.read(q!), Kx = io.read(k!), V = io.read(v!), O = io.read(out!), L = io.read(lse!), dY = io.read(dy!);
  const dQ = new Float64Array(Q.length), dK = new Float64Array(Q.length), dV = new Float64Array(Q.length);
  for (let bh = 0; bh < b * h; bh++) {
    const o = bh * n * d;
    const s = scores(Q, Kx, o, n, d, scale);
    for (let i = 0; i < n; i++) {
      let rowDot = 0;
      for (let c = 0; c < d; c++) rowDot += dY[o + i * d + c]! * O[o + i * d + c]!;
      for (let j = 0; j < n; j++) {
        const p = Math.exp(s[i * n + j]! - L[bh * n + i]!);
        let dp = 0;
        for (let c = 0; c < d; c++) {
          dV[o + j * d + c] += p * dY[o + i * d + c]!;
          dp += dY[o + i * d + c]! * V[o + j * d + c]!;
        }
        const ds = p * (dp - rowDot) * scale;
        for (let c = 0; c < d; c++) {
          dQ[o + i * d + c] += ds * Kx[o + j * d + c]!;
          dK[o + j * d + c] += ds * Q[o + i * d + c]!;
        }
      }
    }
  }
  return [io.out(q!.shape, dQ), io.out(q!.shape, dK), io.out(q!.shape, dV)];
};

const layerNormFused: MockKernel = ({x, gamma, beta}, attrs, io) => {
  const d = x!.shape[x!.shape.length - 1]!, rows = size(x!.shape) / d;
  const {eps} = attrs as unknown as K.LayerNormFusedAttrs;
  const X = io.read(x!), G = io.read(gamma!), B = io.read(beta!);
  const y = new Float64Array(X.length), mean = new Float64Array(rows), rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0, v = 0;
    for (let j = 0; j < d; j++) m += X[r * d + j]! / d;
    for (let j = 0; j < d; j++) v += (X[r * d + j]! - m) ** 2 / d;
    mean[r] = m;
    rstd[r] = 1 / Math.sqrt(v + eps);
    for (let j = 0; j < d; j++) y[r * d + j] = (X[r * d + j]! - m) * rstd[r]! * G[j]! + B[j]!;
  }
  const lead = x!.shape.slice(0, -1);
  return [io.out(x!.shape, y), io.out(lead, mean), io.out(lead, rstd)];
};

const layerNormFusedGrad: MockKernel = ({dy, x, gamma, mean, rstd}, _attrs, io) => {
  const d = x!.shape[x!.shape.length - 1]!, rows = size(x!.shape) / d;
  const dY = io.read(dy!), X = io.read(x!), G = io.read(gamma!), M = io.read(mean!), R = io.read(rstd!);
  const dx = new Float64Array(X.length), dg = new Float64Array(d), db = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    let mg = 0, mgx = 0;
    for (let j = 0; j < d; j++) {
      const xhat = (X[r * d + j]! - M[r]!) * R[r]!, g = dY[r * d + j]! * G[j]!;
      mg += g / d;
      mgx += g * xhat / d;
      dg[j] += dY[r * d + j]! * xhat;
      db[j] += dY[r * d + j]!;
    }
    for (let j = 0; j < d; j++) {
      const xhat = (X[r * d + j]! - M[r]!) * R[r]!;
      dx[r * d + j] = R[r]! * (dY[r * d + j]! * G[j]! - mg - xhat * mgx);
    }
  }
  return [io.out(x!.shape, dx), io.out([d], dg), io.out([d], db)];
};

const linearBiasGelu: MockKernel = ({x, w, b}, _attrs, io) => {
  const [m, kk] = x!.shape as [number, number], n = w!.shape[1]!;
  const X = io.read(x!), W = io.read(w!), B = io.read(b!);
  const z = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = B[j]!;
      for (let c = 0; c < kk; c++) acc += X[i * kk + c]! * W[c * n + j]!;
      z[i * n + j] = acc;
    }
  }
  return [io.out([m, n], z.map((v) => v * cdf(v))), io.out([m, n], z)];
};

const geluGrad: MockKernel = ({dy, z}, _attrs, io) => {
  const dY = io.read(dy!), Z = io.read(z!);
  return io.out(z!.shape, dY.map((g, i) => g * (cdf(Z[i]!) + Z[i]! * pdf(Z[i]!))));
};

/** The per-row targets p and student log-probabilities log q of IbotDistill. */
function distillRows(io: Io, {student, teacher, center}: Inputs, attrs: Attrs) {
  const [r, k] = student!.shape as [number, number];
  const {studentTemp, teacherTemp} = attrs as unknown as K.IbotDistillAttrs;
  const S = io.read(student!), T = io.read(teacher!), C = io.read(center!);
  const {p} = softmaxRows(T.map((v, i) => (v - C[i % k]!) / teacherTemp), r, k);
  const {p: q, lse} = softmaxRows(S.map((v) => v / studentTemp), r, k);
  return {r, k, S, T, p, q, lse, studentTemp};
}

const ibotDistill: MockKernel = (inputs, attrs, io) => {
  const {r, k, S, T, p, lse, studentTemp} = distillRows(io, inputs, attrs);
  const mask = inputs['rowMask'] ? io.read(inputs['rowMask']) : null;
  const loss = new Float64Array(r), colSum = new Float64Array(k);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < k; j++) colSum[j] += T[i * k + j]!;
    if (mask && !mask[i]) continue;
    for (let j = 0; j < k; j++) loss[i] -= p[i * k + j]! * (S[i * k + j]! / studentTemp - lse[i]!);
  }
  return [io.out([r], loss), io.out([k], colSum)];
};

const ibotDistillGrad: MockKernel = (inputs, attrs, io) => {
  const {r, k, p, q, studentTemp} = distillRows(io, inputs, attrs);
  const dL = io.read(inputs['dLoss']!), mask = inputs['rowMask'] ? io.read(inputs['rowMask']) : null;
  const ds = new Float64Array(r * k);
  for (let i = 0; i < r; i++) {
    if (mask && !mask[i]) continue;
    for (let j = 0; j < k; j++) ds[i * k + j] = dL[i]! * (q[i * k + j]! - p[i * k + j]!) / studentTemp;
  }
  return io.out([r, k], ds);
};

const maskApply: MockKernel = ({tokens, mask, maskToken}, _attrs, io) => {
  const d = tokens!.shape[2]!;
  const X = io.read(tokens!), M = io.read(mask!), T = io.read(maskToken!);
  return io.out(tokens!.shape, X.map((v, i) => (M[Math.floor(i / d)] ? T[i % d]! : v)));
};

const maskApplyGrad: MockKernel = ({dy, mask}, _attrs, io) => {
  const d = dy!.shape[2]!;
  const dY = io.read(dy!), M = io.read(mask!);
  const dToken = new Float64Array(d);
  dY.forEach((v, i) => {
    if (M[Math.floor(i / d)]) dToken[i % d] += v;
  });
  return [io.out(dy!.shape, dY.map((v, i) => (M[Math.floor(i / d)] ? 0 : v))), io.out([d], dToken)];
};

const l2Normalize: MockKernel = ({x}, attrs, io) => {
  const d = x!.shape[x!.shape.length - 1]!, rows = size(x!.shape) / d;
  const {eps} = attrs as unknown as K.L2NormalizeAttrs;
  const X = io.read(x!), y = new Float64Array(X.length), norm = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X[r * d + j]! ** 2;
    norm[r] = Math.sqrt(s);
    for (let j = 0; j < d; j++) y[r * d + j] = X[r * d + j]! / Math.max(norm[r]!, eps);
  }
  return [io.out(x!.shape, y), io.out(x!.shape.slice(0, -1), norm)];
};

const l2NormalizeGrad: MockKernel = ({dy, y, norm}, attrs, io) => {
  const d = y!.shape[y!.shape.length - 1]!, rows = size(y!.shape) / d;
  const {eps} = attrs as unknown as K.L2NormalizeAttrs;
  const dY = io.read(dy!), Y = io.read(y!), N = io.read(norm!), dx = new Float64Array(Y.length);
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let j = 0; j < d; j++) dot += dY[r * d + j]! * Y[r * d + j]!;
    for (let j = 0; j < d; j++) {
      dx[r * d + j] = N[r]! > eps ? (dY[r * d + j]! - Y[r * d + j]! * dot) / N[r]! : dY[r * d + j]! / eps;
    }
  }
  return io.out(y!.shape, dx);
};

const weightNorm: MockKernel = ({v, g}, _attrs, io) => {
  const [k, c] = v!.shape as [number, number];
  const V = io.read(v!), G = io.read(g!), w = new Float64Array(V.length), norm = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += V[i * c + j]! ** 2;
    norm[i] = Math.sqrt(s);
    for (let j = 0; j < c; j++) w[i * c + j] = G[i]! * V[i * c + j]! / norm[i]!;
  }
  return [io.out([k, c], w), io.out([k], norm)];
};

const weightNormGrad: MockKernel = ({dw, v, g, vNorm}, _attrs, io) => {
  const [k, c] = v!.shape as [number, number];
  const dW = io.read(dw!), V = io.read(v!), G = io.read(g!), N = io.read(vNorm!);
  const dv = new Float64Array(V.length), dg = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let dot = 0;
    for (let j = 0; j < c; j++) dot += dW[i * c + j]! * V[i * c + j]!;
    dg[i] = dot / N[i]!;
    for (let j = 0; j < c; j++) {
      dv[i * c + j] = G[i]! / N[i]! * (dW[i * c + j]! - V[i * c + j]! * dot / (N[i]! * N[i]!));
    }
  }
  return [io.out([k, c], dv), io.out([k, 1], dg)];
};

const adamW: MockKernel = (inputs, attrs, io) => {
  const list = Object.values(inputs);
  const n = list.length / 4;
  const a = attrs as unknown as K.AdamWAttrs;
  const ps: TensorInfo[] = [], ms: TensorInfo[] = [], vs: TensorInfo[] = [];
  for (let i = 0; i < n; i++) {
    const p = io.read(list[i]!), g = io.read(list[n + i]!), m = io.read(list[2 * n + i]!);
    const v = io.read(list[3 * n + i]!);
    const t = a.step[i]!, lr = a.lr[i]!;
    for (let j = 0; j < p.length; j++) {
      p[j] = p[j]! * (1 - lr * a.weightDecay[i]!);
      m[j] = a.beta1 * m[j]! + (1 - a.beta1) * g[j]!;
      v[j] = a.beta2 * v[j]! + (1 - a.beta2) * g[j]! * g[j]!;
      p[j] = p[j]! - (lr / (1 - a.beta1 ** t)) * m[j]! / (Math.sqrt(v[j]!) / Math.sqrt(1 - a.beta2 ** t) + a.eps);
    }
    ps.push(io.out(list[i]!.shape, p));
    ms.push(io.out(list[i]!.shape, m));
    vs.push(io.out(list[i]!.shape, v));
  }
  return [...ps, ...ms, ...vs];
};

const ema: MockKernel = (inputs, attrs, io) => {
  const list = Object.values(inputs), n = list.length / 2;
  const {momentum} = attrs as unknown as K.EmaAttrs;
  return list.slice(0, n).map((t, i) => {
    const s = io.read(list[n + i]!);
    return io.out(t.shape, io.read(t).map((x, j) => momentum * x + (1 - momentum) * s[j]!));
  });
};

const clipPerParam: MockKernel = (inputs, attrs, io) => {
  const list = Object.values(inputs);
  const {maxNorm} = attrs as unknown as K.ClipPerParamAttrs;
  const norms: number[] = [];
  const out = list.map((g) => {
    const x = io.read(g);
    const norm = Math.sqrt(x.reduce((a, v) => a + v * v, 0));
    norms.push(norm);
    const coef = maxNorm / (norm + 1e-6);
    return io.out(g.shape, coef < 1 ? x.map((v) => v * coef) : x);
  });
  return [...out, io.out([list.length], norms)];
};

/** The attributes of the last BlockMask call (the mock returns an all-false mask). */
export const blockMaskCalls: K.BlockMaskAttrs[] = [];
const blockMask: MockKernel = (_inputs, attrs, io) => {
  const a = attrs as unknown as K.BlockMaskAttrs;
  blockMaskCalls.push(a);
  return io.outBool([a.batch, a.gridH, a.gridW], new Uint8Array(a.batch * a.gridH * a.gridW));
};

const mocks: Record<string, MockKernel> = {
  [K.FusedAttention]: fusedAttention, [K.FusedAttentionGrad]: fusedAttentionGrad,
  [K.LayerNormFused]: layerNormFused, [K.LayerNormFusedGrad]: layerNormFusedGrad,
  [K.LinearBiasGelu]: linearBiasGelu, [K.GeluGrad]: geluGrad,
  [K.IbotDistill]: ibotDistill, [K.IbotDistillGrad]: ibotDistillGrad,
  [K.BlockMask]: blockMask,
  [K.MaskApply]: maskApply, [K.MaskApplyGrad]: maskApplyGrad,
  [K.L2Normalize]: l2Normalize, [K.L2NormalizeGrad]: l2NormalizeGrad,
  [K.WeightNorm]: weightNorm, [K.WeightNormGrad]: weightNormGrad,
  [K.AdamW]: adamW, [K.Ema]: ema, [K.ClipPerParam]: clipPerParam,
};

/** Registers every mock for `backendName` (tfjs's 'cpu': the mocks read and write its host buffers). */
export function registerMockKernels(backendName = 'cpu'): void {
  for (const name of K.FUSED_KERNEL_NAMES) {
    const fn = mocks[name];
    if (!fn) throw new Error(`no mock for fused kernel '${name}'`);
    registerKernel({
      kernelName: name, backendName,
      kernelFunc: ({inputs, attrs, backend}) =>
        fn(inputs as unknown as Inputs, attrs as Attrs, new Io(backend as unknown as CpuBackend)),
    });
  }
}

/** Removes the mocks again (the GPU script runs every test file in one process). */
export function unregisterMockKernels(backendName = 'cpu'): void {
  for (const name of K.FUSED_KERNEL_NAMES) unregisterKernel(name, backendName);
}
