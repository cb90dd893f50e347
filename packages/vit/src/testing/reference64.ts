// A float64 reference of the official ViT for tests, written from IBOT_SPEC §1 in plain JS loops over PyTorch-shaped
// weights (state-dict layout) and NCHW images: an explicit strided conv, Linear as x·Wᵀ + b, per-pixel 4×4 bicubic
// taps. It shares no code with the tfjs model, so agreement checks layouts as well as arithmetic.

/** A float64 tensor with its (PyTorch) shape. */
export interface Host64 {
  shape: number[];
  data: Float64Array;
}

export interface RefConfig {
  patchSize: number;
  embedDim: number;
  depth: number;
  numHeads: number;
  qkvBias: boolean;
}

/** Named weights in PyTorch layout (a state dict read as float64). */
export type RefWeights = Record<string, {shape: number[]; data: ArrayLike<number>}>;

const EPS = 1e-6;

/** erf to ~1e-15: Maclaurin series for |x| < 3, the erfc continued fraction beyond. */
export function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax, sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))), evaluated bottom-up.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

function w(weights: RefWeights, name: string): ArrayLike<number> {
  const t = weights[name];
  if (!t) throw new Error(`reference64: missing weight ${name}`);
  return t.data;
}

/** y[t, o] = Σ_i x[t, i] · W[o, i] + b[o] for x [T, in], W [out, in] (PyTorch Linear). */
function linear64(x: Float64Array, T: number, inDim: number, W: ArrayLike<number>, b: ArrayLike<number> | null,
                  outDim: number): Float64Array {
  const y = new Float64Array(T * outDim);
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < outDim; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inDim; i++) s += x[t * inDim + i]! * W[o * inDim + i]!;
      y[t * outDim + o] = s;
    }
  }
  return y;
}

function layerNorm64(x: Float64Array, T: number, D: number, g: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(T * D);
  for (let t = 0; t < T; t++) {
    let mean = 0;
    for (let i = 0; i < D; i++) mean += x[t * D + i]!;
    mean /= D;
    let v = 0;
    for (let i = 0; i < D; i++) v += (x[t * D + i]! - mean) ** 2;
    v /= D;
    const r = 1 / Math.sqrt(v + EPS);
    for (let i = 0; i < D; i++) y[t * D + i] = (x[t * D + i]! - mean) * r * g[i]! + b[i]!;
  }
  return y;
}

/** PyTorch's bicubic kernel weight at distance s (A = −0.75). */
function cubic64(s: number): number {
  const A = -0.75, a = Math.abs(s);
  if (a <= 1) return (A + 2) * a ** 3 - (A + 3) * a ** 2 + 1;
  if (a < 2) return A * a ** 3 - 5 * A * a ** 2 + 8 * A * a - 4 * A;
  return 0;
}

/**
 * Bicubic resize of a grid [inH, inW] (align_corners false, clamped taps, no antialiasing) to [outH, outW] with the
 * coordinate scales sh, sw (1/factor when a factor is given, in/out when a size is), computed pixel by pixel with all
 * 16 taps.
 */
export function bicubic2d64(grid: ArrayLike<number>, inH: number, inW: number, outH: number, outW: number, sh: number,
                            sw: number): Float64Array {
  const out = new Float64Array(outH * outW);
  const clamp = (v: number, n: number) => Math.min(Math.max(v, 0), n - 1);
  for (let oy = 0; oy < outH; oy++) {
    const sy = (oy + 0.5) * sh - 0.5, iy = Math.floor(sy);
    for (let ox = 0; ox < outW; ox++) {
      const sx = (ox + 0.5) * sw - 0.5, ix = Math.floor(sx);
      let s = 0;
      for (let ky = iy - 1; ky <= iy + 2; ky++) {
        for (let kx = ix - 1; kx <= ix + 2; kx++) {
          s += cubic64(sy - ky) * cubic64(sx - kx) * grid[clamp(ky, inH) * inW + clamp(kx, inW)]!;
        }
      }
      out[oy * outW + ox] = s;
    }
  }
  return out;
}

/** The position embedding for an h0 × w0 grid from pos_embed [1, 1+N, D] (IBOT_SPEC §1.5) → [1 + h0·w0, D]. */
export function posEmbed64(pos: ArrayLike<number>, N: number, D: number, h0: number, w0: number, square: boolean):
    Float64Array {
  if (h0 * w0 === N && square) return Float64Array.from(pos);
  const g = Math.round(Math.sqrt(N));
  const out = new Float64Array((1 + h0 * w0) * D);
  for (let d = 0; d < D; d++) out[d] = pos[d]!;
  const channel = new Float64Array(g * g);
  for (let d = 0; d < D; d++) {
    for (let j = 0; j < g * g; j++) channel[j] = pos[(1 + j) * D + d]!;
    const r = bicubic2d64(channel, g, g, h0, w0, g / (h0 + 0.1), g / (w0 + 0.1));
    for (let j = 0; j < h0 * w0; j++) out[(1 + j) * D + d] = r[j]!;
  }
  return out;
}

interface Tokens {
  x: Float64Array;  // [T, D] for one image
  T: number;
}

/** Patch conv (explicit, kernel = stride = p) + mask token + CLS + position embedding, for image b. */
function prepare64(weights: RefWeights, cfg: RefConfig, img: Host64, b: number, mask?: ArrayLike<number>): Tokens {
  const [, C, H, W] = img.shape as [number, number, number, number];
  const p = cfg.patchSize, D = cfg.embedDim, h0 = Math.floor(H / p), w0 = Math.floor(W / p), n = h0 * w0;
  const conv = w(weights, 'patch_embed.proj.weight'), bias = w(weights, 'patch_embed.proj.bias');
  const posT = weights['pos_embed']!;
  const N = posT.shape[1]! - 1;
  const pos = posEmbed64(posT.data, N, D, h0, w0, H === W);
  const x = new Float64Array((1 + n) * D);
  const cls = w(weights, 'cls_token');
  for (let d = 0; d < D; d++) x[d] = cls[d]! + pos[d]!;
  for (let r = 0; r < h0; r++) {
    for (let c = 0; c < w0; c++) {
      const tok = r * w0 + c;
      const masked = mask ? mask[b * n + tok]! !== 0 : false;
      for (let d = 0; d < D; d++) {
        let s: number;
        if (masked) {
          s = w(weights, 'masked_embed')[d]!;
        } else {
          s = bias[d]!;
          for (let ch = 0; ch < C; ch++) {
            for (let py = 0; py < p; py++) {
              for (let px = 0; px < p; px++) {
                s += conv[((d * C + ch) * p + py) * p + px]! * img.data[((b * C + ch) * H + r * p + py) * W + c * p + px]!;
              }
            }
          }
        }
        x[(1 + tok) * D + d] = s + pos[(1 + tok) * D + d]!;
      }
    }
  }
  return {x, T: 1 + n};
}

/** Attention of block i on normed tokens h [T, D]: output [T, D] (before proj) and probabilities [heads, T, T]. */
function attention64(weights: RefWeights, cfg: RefConfig, i: number, h: Float64Array, T: number):
    {y: Float64Array; probs: Float64Array} {
  const D = cfg.embedDim, H = cfg.numHeads, dh = D / H;
  const qkv = linear64(h, T, D, w(weights, `blocks.${i}.attn.qkv.weight`),
                       cfg.qkvBias ? w(weights, `blocks.${i}.attn.qkv.bias`) : null, 3 * D);
  const probs = new Float64Array(H * T * T);
  const merged = new Float64Array(T * D);
  const scale = dh ** -0.5;
  // Column layout of qkv: [q | k | v], head h at h·dh within each third.
  const at = (t: number, part: number, head: number, j: number) => qkv[t * 3 * D + part * D + head * dh + j]!;
  for (let hd = 0; hd < H; hd++) {
    for (let a = 0; a < T; a++) {
      const row = new Float64Array(T);
      let mx = -Infinity;
      for (let c = 0; c < T; c++) {
        let s = 0;
        for (let j = 0; j < dh; j++) s += at(a, 0, hd, j) * at(c, 1, hd, j);
        row[c] = s * scale;
        mx = Math.max(mx, row[c]!);
      }
      let z = 0;
      for (let c = 0; c < T; c++) z += (row[c] = Math.exp(row[c]! - mx));
      for (let c = 0; c < T; c++) probs[(hd * T + a) * T + c] = row[c]! / z;
      for (let j = 0; j < dh; j++) {
        let s = 0;
        for (let c = 0; c < T; c++) s += probs[(hd * T + a) * T + c]! * at(c, 2, hd, j);
        merged[a * D + hd * dh + j] = s;
      }
    }
  }
  return {y: merged, probs};
}

function block64(weights: RefWeights, cfg: RefConfig, i: number, x: Float64Array, T: number): Float64Array {
  const D = cfg.embedDim, pre = `blocks.${i}`;
  const h1 = layerNorm64(x, T, D, w(weights, `${pre}.norm1.weight`), w(weights, `${pre}.norm1.bias`));
  const a = attention64(weights, cfg, i, h1, T).y;
  const proj = linear64(a, T, D, w(weights, `${pre}.attn.proj.weight`), w(weights, `${pre}.attn.proj.bias`), D);
  const x1 = x.map((v, j) => v + proj[j]!);
  const h2 = layerNorm64(x1, T, D, w(weights, `${pre}.norm2.weight`), w(weights, `${pre}.norm2.bias`));
  const hidden = weights[`${pre}.mlp.fc1.weight`]!.shape[0]!;
  const f1 = linear64(h2, T, D, w(weights, `${pre}.mlp.fc1.weight`), w(weights, `${pre}.mlp.fc1.bias`), hidden)
                 .map((z) => 0.5 * z * (1 + erf64(z / Math.SQRT2)));
  const f2 = linear64(f1, T, hidden, w(weights, `${pre}.mlp.fc2.weight`), w(weights, `${pre}.mlp.fc2.bias`), D);
  return x1.map((v, j) => v + f2[j]!);
}

function norm64(weights: RefWeights, cfg: RefConfig, x: Float64Array, T: number): Float64Array {
  return layerNorm64(x, T, cfg.embedDim, w(weights, 'norm.weight'), w(weights, 'norm.bias'));
}

/** All tokens after the final norm, [B, 1+N, D] flattened, for NCHW images [B, C, H, W] and an optional mask [B, h0, w0]. */
export function vitForward64(weights: RefWeights, cfg: RefConfig, img: Host64, mask?: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let b = 0; b < img.shape[0]!; b++) {
    let {x, T} = prepare64(weights, cfg, img, b, mask);
    for (let i = 0; i < cfg.depth; i++) x = block64(weights, cfg, i, x, T);
    out.push(...norm64(weights, cfg, x, T));
  }
  return Float64Array.from(out);
}

/** The last n blocks' outputs through the final norm: n arrays [B, 1+N, D]. */
export function intermediateLayers64(weights: RefWeights, cfg: RefConfig, img: Host64, n: number): Float64Array[] {
  const outs: number[][] = Array.from({length: n}, () => []);
  for (let b = 0; b < img.shape[0]!; b++) {
    let {x, T} = prepare64(weights, cfg, img, b);
    for (let i = 0; i < cfg.depth; i++) {
      x = block64(weights, cfg, i, x, T);
      const k = n - (cfg.depth - i);
      if (k >= 0) outs[k]!.push(...norm64(weights, cfg, x, T));
    }
  }
  return outs.map((o) => Float64Array.from(o));
}

/** The last block's attention probabilities, [B, heads, 1+N, 1+N] flattened. */
export function lastSelfAttention64(weights: RefWeights, cfg: RefConfig, img: Host64): Float64Array {
  const out: number[] = [];
  const last = cfg.depth - 1;
  for (let b = 0; b < img.shape[0]!; b++) {
    let {x, T} = prepare64(weights, cfg, img, b);
    for (let i = 0; i < last; i++) x = block64(weights, cfg, i, x, T);
    const h = layerNorm64(x, T, cfg.embedDim, w(weights, `blocks.${last}.norm1.weight`),
                          w(weights, `blocks.${last}.norm1.bias`));
    out.push(...attention64(weights, cfg, last, h, T).probs);
  }
  return Float64Array.from(out);
}

/** The spec's input rule f(shape; a, b, c, s): x[j] = s·sin(a + b·j) + c·cos(0.5·j) (IBOT_SPEC §9). */
export function specInput(shape: number[], a: number, b: number, c = 0, s = 1): Host64 {
  const n = shape.reduce((x, y) => x * y, 1);
  return {shape, data: Float64Array.from({length: n}, (_, j) => s * Math.sin(a + b * j) + c * Math.cos(0.5 * j))};
}

/**
 * The spec's parameter-fill rule (IBOT_SPEC §9) over parameters in the official order, index π from 0:
 * value[j] = 0.2·sin(1.3π + 0.7 + 0.9j), and 1 + 0.1·sin(...) for 1-D LayerNorm weights.
 */
export function specFill(params: readonly {name: string; torchShape: number[]}[]): Record<string, {shape: number[]; data: Float32Array}> {
  const out: Record<string, {shape: number[]; data: Float32Array}> = {};
  params.forEach(({name, torchShape}, pi) => {
    const n = torchShape.reduce((x, y) => x * y, 1);
    const isNorm = torchShape.length === 1 && /(^|\.)norm\d?\.weight$/.test(name);
    const data = Float32Array.from({length: n}, (_, j) => {
      const s = Math.sin(1.3 * pi + 0.7 + 0.9 * j);
      return isNorm ? 1 + 0.1 * s : 0.2 * s;
    });
    out[name] = {shape: torchShape.slice(), data};
  });
  return out;
}

/** NCHW float64 → NHWC float32 (the model's input layout). */
export function nchwToNhwc(img: Host64): {shape: number[]; values: Float32Array} {
  const [B, C, H, W] = img.shape as [number, number, number, number];
  const out = new Float32Array(B * H * W * C);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) out[((b * H + y) * W + x) * C + c] = img.data[((b * C + c) * H + y) * W + x]!;
      }
    }
  }
  return {shape: [B, H, W, C], values: out};
}
