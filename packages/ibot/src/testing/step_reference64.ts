// A float64 reference of one iBOT training step for tests, written from IBOT_SPEC §2, §4 and §5 in plain JS over
// PyTorch-layout state dicts: the head (MLP, GELU, L2 norm, weight-normalised last layer), the loss with both centres,
// gradients by central finite differences, per-parameter clipping, the last-layer cancellation, one AdamW step from a
// zero state and the EMA. The backbone is @ibotjs/vit's own float64 reference (no code shared with the tfjs model).
import {erf64, vitForward64, type Host64, type RefConfig, type RefWeights} from '../../../vit/src/testing/reference64.js';

export type Weights64 = Record<string, {shape: number[]; data: Float64Array}>;

export interface HeadConfig64 {
  layers: number;
  /** Name prefix, e.g. 'head.'. */
  prefix: string;
}

export interface StepInputs64 {
  vit: RefConfig;
  head: HeadConfig64;
  /** NCHW [G·B, C, S, S] and [L·B, C, s, s], crop-major. */
  globals: Host64;
  locals: Host64 | null;
  /** [G·B, N] 0/1. */
  masks: Uint8Array;
  G: number;
  L: number;
  B: number;
  /** Teacher temperatures at this epoch; student temperature. */
  tau: number;
  tau2: number;
  studentTemp: number;
  /** [K] and [K_p]. */
  center: Float64Array;
  center2: Float64Array;
}

function linear64(x: Float64Array, rows: number, inDim: number, w: ArrayLike<number>, b: ArrayLike<number> | null,
                  outDim: number): Float64Array {
  const out = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i]! * w[o * inDim + i]!;
      out[r * outDim + o] = s;
    }
  }
  return out;
}

/** Head on rows x [R, D] → logits [R, K] through last layer `which` ('last_layer' or 'last_layer2'). */
export function head64(wts: Weights64, cfg: HeadConfig64, x: Float64Array, rows: number, which = 'last_layer'):
    Float64Array {
  let h = x, dim = x.length / Math.max(rows, 1);
  for (let l = 0; l < cfg.layers; l++) {
    const name = cfg.layers === 1 ? `${cfg.prefix}mlp` : `${cfg.prefix}mlp.${2 * l}`;
    const w = wts[`${name}.weight`]!;
    const outDim = w.shape[0]!;
    h = linear64(h, rows, dim, w.data, wts[`${name}.bias`]!.data, outDim);
    if (l + 1 < cfg.layers) h = h.map((z) => 0.5 * z * (1 + erf64(z / Math.SQRT2)));
    dim = outDim;
  }
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += h[r * dim + i]! ** 2;
    const n = Math.max(Math.sqrt(s), 1e-12);
    for (let i = 0; i < dim; i++) h[r * dim + i]! /= n;
  }
  const g = wts[`${cfg.prefix}${which}.weight_g`]!.data, v = wts[`${cfg.prefix}${which}.weight_v`]!;
  const K = v.shape[0]!;
  const weff = new Float64Array(K * dim);
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += v.data[k * dim + i]! ** 2;
    for (let i = 0; i < dim; i++) weff[k * dim + i] = g[k]! * v.data[k * dim + i]! / Math.sqrt(s);
  }
  return linear64(h, rows, dim, weff, null, K);
}

/** H(softmax((t − c)/τt), softmax(s/τs)) for one row. */
function crossEntropy64(s: ArrayLike<number>, so: number, t: ArrayLike<number>, to: number, c: ArrayLike<number>,
                        K: number, taus: number, taut: number): number {
  let mt = -Infinity, ms = -Infinity;
  for (let k = 0; k < K; k++) {
    mt = Math.max(mt, (t[to + k]! - c[k]!) / taut);
    ms = Math.max(ms, s[so + k]! / taus);
  }
  let zt = 0, zs = 0;
  for (let k = 0; k < K; k++) {
    zt += Math.exp((t[to + k]! - c[k]!) / taut - mt);
    zs += Math.exp(s[so + k]! / taus - ms);
  }
  const lse = ms + Math.log(zs);
  let h = 0;
  for (let k = 0; k < K; k++) h -= (Math.exp((t[to + k]! - c[k]!) / taut - mt) / zt) * (s[so + k]! / taus - lse);
  return h;
}

/** Split a [I, T, D] token array into CLS rows [I, D] and patch rows [I·N, D]. */
function splitTokens(tokens: Float64Array, I: number, T: number, D: number): {cls: Float64Array; patch: Float64Array} {
  const cls = new Float64Array(I * D), patch = new Float64Array(I * (T - 1) * D);
  for (let i = 0; i < I; i++) {
    cls.set(tokens.subarray(i * T * D, i * T * D + D), i * D);
    patch.set(tokens.subarray(i * T * D + D, (i + 1) * T * D), i * (T - 1) * D);
  }
  return {cls, patch};
}

export interface TeacherOut64 {
  cls: Float64Array;    // [G·B, K]
  patch: Float64Array;  // [G·B·N, K_p]
  K: number;
  Kp: number;
}

/** The teacher's logits on the unmasked global crops. */
export function teacher64(wts: Weights64, inp: StepInputs64): TeacherOut64 {
  const D = inp.vit.embedDim, I = inp.globals.shape[0]!;
  const tokens = vitForward64(backbone(wts), inp.vit, inp.globals);
  const T = tokens.length / (I * D);
  const {cls, patch} = splitTokens(tokens, I, T, D);
  const c = head64(wts, inp.head, cls, I);
  const p = head64(wts, inp.head, patch, I * (T - 1), patchLayer(wts, inp.head));
  return {cls: c, patch: p, K: c.length / I, Kp: p.length / (I * (T - 1))};
}

function patchLayer(wts: Weights64, cfg: HeadConfig64): string {
  return wts[`${cfg.prefix}last_layer2.weight_v`] ? 'last_layer2' : 'last_layer';
}

function backbone(wts: Weights64): RefWeights {
  const out: RefWeights = {};
  for (const [n, v] of Object.entries(wts)) if (n.startsWith('backbone.')) out[n.slice('backbone.'.length)] = v;
  return out;
}

/** The student loss {cls, patch, loss} (IBOT_SPEC §4.2) against fixed teacher logits. */
export function studentLoss64(wts: Weights64, inp: StepInputs64, teacher: TeacherOut64):
    {cls: number; patch: number; loss: number} {
  const {G, L, B, studentTemp: ts} = inp;
  const D = inp.vit.embedDim, GB = G * B, K = teacher.K, Kp = teacher.Kp;
  const tokens = vitForward64(backbone(wts), inp.vit, inp.globals, inp.masks);
  const T = tokens.length / (GB * D), N = T - 1;
  const {cls, patch} = splitTokens(tokens, GB, T, D);
  let sCls = head64(wts, inp.head, cls, GB);
  if (inp.locals && L > 0) {
    const lt = vitForward64(backbone(wts), inp.vit, inp.locals);
    const Tl = lt.length / (L * B * D);
    const lc = splitTokens(lt, L * B, Tl, D).cls;
    const lcls = head64(wts, inp.head, lc, L * B);
    const all = new Float64Array(sCls.length + lcls.length);
    all.set(sCls);
    all.set(lcls, sCls.length);
    sCls = all;
  }
  const V = G + L;
  let lcls = 0;
  for (let q = 0; q < G; q++) {
    for (let v = 0; v < V; v++) {
      if (v === q) continue;
      let s = 0;
      for (let b = 0; b < B; b++) s += crossEntropy64(sCls, (v * B + b) * K, teacher.cls, (q * B + b) * K, inp.center, K, ts, inp.tau);
      lcls += s / B;
    }
  }
  lcls /= G * (V - 1);
  // Only the masked rows need the head (the others are weighted by 0).
  const rows: number[] = [];
  for (let j = 0; j < GB * N; j++) if (inp.masks[j]) rows.push(j);
  const sel = new Float64Array(rows.length * D);
  rows.forEach((j, r) => sel.set(patch.subarray(j * D, (j + 1) * D), r * D));
  const sPatch = head64(wts, inp.head, sel, rows.length, patchLayer(wts, inp.head));
  const perImage = new Float64Array(GB), counts = new Float64Array(GB);
  rows.forEach((j, r) => {
    const i = Math.floor(j / N);
    perImage[i]! += crossEntropy64(sPatch, r * Kp, teacher.patch, j * Kp, inp.center2, Kp, ts, inp.tau2);
    counts[i]!++;
  });
  let lmim = 0;
  for (let i = 0; i < GB; i++) lmim += perImage[i]! / Math.max(1, counts[i]!);
  lmim /= GB;
  return {cls: lcls, patch: lmim, loss: lcls + lmim};
}

/** New centres (IBOT_SPEC §4.3) from the raw teacher logits. */
export function centres64(inp: StepInputs64, teacher: TeacherOut64, m: number, m2: number):
    {center: Float64Array; center2: Float64Array} {
  const GB = inp.G * inp.B, K = teacher.K, Kp = teacher.Kp, rowsP = teacher.patch.length / Kp;
  const center = inp.center.map((c, k) => {
    let s = 0;
    for (let r = 0; r < GB; r++) s += teacher.cls[r * K + k]!;
    return m * c + (1 - m) * s / GB;
  });
  const center2 = inp.center2.map((c, k) => {
    let s = 0;
    for (let r = 0; r < rowsP; r++) s += teacher.patch[r * Kp + k]!;
    return m2 * c + (1 - m2) * s / rowsP;
  });
  return {center, center2};
}

/** ∂loss/∂θ for every name in `names` by central differences (h relative to the value's scale). */
export function gradients64(wts: Weights64, names: readonly string[], loss: (w: Weights64) => number, h = 1e-6):
    Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const n of names) {
    const p = wts[n]!.data, g = new Float64Array(p.length);
    for (let j = 0; j < p.length; j++) {
      const x = p[j]!;
      p[j] = x + h;
      const up = loss(wts);
      p[j] = x - h;
      const down = loss(wts);
      p[j] = x;
      g[j] = (up - down) / (2 * h);
    }
    out.set(n, g);
  }
  return out;
}

/** Per-parameter clipping (IBOT_SPEC §5.5): returns the clipped gradients and which were clipped. */
export function clip64(grads: Map<string, Float64Array>, clip: number): {grads: Map<string, Float64Array>; clipped: string[]} {
  const out = new Map<string, Float64Array>(), clipped: string[] = [];
  for (const [n, g] of grads) {
    const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
    const f = clip / (norm + 1e-6);
    if (f < 1) clipped.push(n);
    out.set(n, f < 1 ? g.map((x) => x * f) : g.slice());
  }
  return {grads: out, clipped};
}

/** One AdamW step from a zero state (t = 1): p(1 − lr·wd) − lr·m̂/(√v̂ + eps). */
export function adamwFirstStep64(p: Float64Array, g: Float64Array, lr: number, wd: number, beta1: number, beta2: number,
                                 eps: number): Float64Array {
  return p.map((x, j) => {
    const m = (1 - beta1) * g[j]!, v = (1 - beta2) * g[j]! ** 2;
    const mh = m / (1 - beta1), vh = v / (1 - beta2);
    return x * (1 - lr * wd) - lr * mh / (Math.sqrt(vh) + eps);
  });
}

export function toWeights64(dict: Record<string, {shape: number[]; data: ArrayLike<number>}>): Weights64 {
  const out: Weights64 = {};
  for (const [n, v] of Object.entries(dict)) out[n] = {shape: v.shape.slice(), data: Float64Array.from(v.data)};
  return out;
}
