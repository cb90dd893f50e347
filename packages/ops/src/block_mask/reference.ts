// The iBOT mask generator (IBOT_SPEC §3) in JS: the BlockMask kernel's composite when a backend has none, and the
// reference the native kernels are tested against. A line-by-line twin of native/src/kernels/block_mask_impl.h with
// the same Philox stream and the same float64 operations, so it returns the CPU and CUDA kernels' masks bit for bit.
// That header's top comment explains the guarantees (the stream layout, the draw order, why + - * / sqrt and our own
// exp are safe to share). JS numbers are IEEE doubles, JS never fuses a*b+c, and Math.sqrt is the hardware's
// correctly rounded square root in every engine we run on.
import type {BlockMaskAttrs} from '../kernel_names.js';

import {mulhi32, mullo32, philox4x32_10} from './philox.js';

/** Longest ratios list (the native kernels pass it by value). */
export const MAX_RATIOS = 16;
const STREAM_KEY = 0x6d61736b;  // "mask"
const ATTEMPTS = 10;
// ln(0.3) and ln(1/0.3): the log-uniform aspect ratio range.
const LOG_ASPECT_LO = -1.2039728043259361;
const LOG_ASPECT_HI = 1.2039728043259361;
const TWO_POW_32 = 4294967296;

/** Optional hooks into the generator (tests check invariants with them). */
export interface BlockMaskObserver {
  /** Crop `crop` drew `ratio`; its target is T = ratio·gridH·gridW. */
  crop?(crop: number, ratio: number, target: number): void;
  /** A rectangle of h×w cells at (top, left) was accepted for crop `crop` ('block' only). */
  rectangle?(crop: number, top: number, left: number, h: number, w: number): void;
}

/** e^x for |x| <= 2 from + * / only (native: exp_small): (e^(x/8))^8, Taylor series to x^14 in Horner form. */
export function expSmall(x: number): number {
  const r = x * 0.125;
  let t = 1;
  for (let k = 14; k >= 1; k--) t = 1 + (r / k) * t;
  t = t * t;
  t = t * t;
  return t * t;
}

/** Python's round() for x >= 0: nearest integer, ties to even (Math.round would round ties up). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/** One crop's random stream: word i is lane i % 4 of Philox(counter {i / 4 low, high, crop, step}, {seed, key}). */
export class MaskStream {
  private block = 0;
  private lane = 4;
  private readonly buf = new Uint32Array(4);
  private readonly ctr = new Uint32Array(4);

  constructor(private readonly seed: number, step: number, crop: number) {
    this.ctr[2] = crop;
    this.ctr[3] = step;
  }

  nextU32(): number {
    if (this.lane === 4) {
      this.ctr[0] = this.block % TWO_POW_32;
      this.ctr[1] = Math.floor(this.block / TWO_POW_32);
      philox4x32_10(this.ctr, this.seed, STREAM_KEY, this.buf);
      this.block++;
      this.lane = 0;
    }
    return this.buf[this.lane++]!;
  }

  /** u in [0, 1) with 53 random bits, as CPython's random.random(). */
  nextUnit(): number {
    const a = this.nextU32() >>> 5, b = this.nextU32() >>> 6;
    return (a * 67108864 + b) * (1 / 9007199254740992);
  }

  /** random.uniform(lo, hi) = lo + (hi - lo)·u. */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextUnit();
  }

  /** Uniform integer in [0, n), 1 <= n < 2^32: Lemire's multiply-shift with rejection (exactly uniform). */
  below(n: number): number {
    let x = this.nextU32();
    let low = mullo32(x, n);
    if (low < n) {
      const threshold = (TWO_POW_32 - n) % n;
      while (low < threshold) {
        x = this.nextU32();
        low = mullo32(x, n);
      }
    }
    return mulhi32(x, n);
  }

  /** random.randint(lo, hi), both inclusive. */
  randint(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }
}

function fail(message: string): never {
  throw new Error(`BlockMask: ${message}`);
}

function isU32(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}

/** Throws an Error naming the bad attribute; the native binding applies the same rules. */
export function checkBlockMaskAttrs(attrs: BlockMaskAttrs): void {
  const {batch, gridH, gridW, ratios, ratioVars, shape, seed, step} = attrs;
  for (const [name, v] of [['batch', batch], ['gridH', gridH], ['gridW', gridW]] as const) {
    if (!Number.isInteger(v) || v < 0) fail(`${name} must be a non-negative integer, got ${v}`);
  }
  if (batch > 0xffffffff || gridH * gridW > 0xffffffff) {
    fail(`[${batch}, ${gridH}, ${gridW}] is too large (batch and gridH·gridW must be below 2^32)`);
  }
  if (!Array.isArray(ratios) || ratios.length < 1 || ratios.length > MAX_RATIOS) {
    fail(`ratios must have 1 to ${MAX_RATIOS} entries`);
  }
  if (!Array.isArray(ratioVars) || ratioVars.length !== ratios.length) {
    fail(`ratioVars must have as many entries as ratios (${ratios.length})`);
  }
  ratios.forEach((r, k) => {
    const v = ratioVars[k]!;
    if (!Number.isFinite(r) || !Number.isFinite(v) || !(v >= 0) || !(r - v >= 0) || !(r + v <= 1)) {
      fail(`ratios[${k}] ± ratioVars[${k}] must lie in [0, 1] with ratioVars >= 0, got ${r} ± ${v}`);
    }
  });
  if (shape !== 'block' && shape !== 'rand') fail(`shape must be 'block' or 'rand', got '${String(shape)}'`);
  if (!isU32(seed)) fail(`seed must be an unsigned 32-bit integer, got ${seed}`);
  if (!isU32(step)) fail(`step must be an unsigned 32-bit integer, got ${step}`);
}

/** IBOT_SPEC §3.2: U(r - v, r + v) per entry (r when v = 0), then one entry uniformly when there are several. */
function drawRatio(ratios: readonly number[], vars: readonly number[], rng: MaskStream): number {
  const values = ratios.map((r, i) => (vars[i]! > 0 ? rng.uniform(r - vars[i]!, r + vars[i]!) : r));
  return values.length === 1 ? values[0]! : values[rng.below(values.length)]!;
}

/** IBOT_SPEC §3.3 into mask [H·W] (all zeros on entry). */
function fillBlock(mask: Uint8Array, H: number, W: number, target: number, rng: MaskStream,
                   onRect: (top: number, left: number, h: number, w: number) => void): void {
  const side = Math.floor(Math.min(H, W) / 3);
  const lo = side * side;
  let count = 0;
  while (count < target) {
    const budget = target - count;
    let added = 0;
    for (let attempt = 0; attempt < ATTEMPTS && added === 0; attempt++) {
      const area = rng.uniform(lo, budget);
      const aspect = expSmall(rng.uniform(LOG_ASPECT_LO, LOG_ASPECT_HI));
      const h = roundHalfEven(Math.sqrt(area * aspect));
      const w = roundHalfEven(Math.sqrt(area / aspect));
      if (!(w < W && h < H)) continue;
      const top = rng.randint(0, H - h);
      const left = rng.randint(0, W - w);
      let fresh = h * w;
      for (let i = top; i < top + h; i++) {
        for (let j = left; j < left + w; j++) fresh -= mask[i * W + j]!;
      }
      if (fresh > 0 && fresh <= budget) {
        for (let i = top; i < top + h; i++) mask.fill(1, i * W + left, i * W + left + w);
        onRect(top, left, h, w);
        added = fresh;
      }
    }
    if (added === 0) break;
    count += added;
  }
}

/** IBOT_SPEC §3.4: exactly floor(T) cells (clamped to [0, n]), a uniform subset by Floyd's algorithm. */
function fillRand(mask: Uint8Array, n: number, target: number, rng: MaskStream): void {
  const t = Math.floor(target);
  if (!(t > 0)) return;
  const m = Math.min(t, n);
  for (let j = n - m; j < n; j++) {
    const k = rng.below(j + 1);
    mask[mask[k] ? j : k] = 1;
  }
}

/** Crop `crop`'s mask [gridH·gridW] (0/1, row-major); attrs must have passed checkBlockMaskAttrs. */
export function blockMaskCrop(attrs: BlockMaskAttrs, crop: number, observer?: BlockMaskObserver): Uint8Array {
  const {gridH: H, gridW: W} = attrs;
  const mask = new Uint8Array(H * W);
  const rng = new MaskStream(attrs.seed, attrs.step, crop);
  const ratio = drawRatio(attrs.ratios, attrs.ratioVars, rng);
  const target = ratio * H * W;  // left to right, as loader.py's `ratio * H * W`
  observer?.crop?.(crop, ratio, target);
  if (attrs.shape === 'rand') {
    fillRand(mask, H * W, target, rng);
  } else {
    fillBlock(mask, H, W, target, rng, (top, left, h, w) => observer?.rectangle?.(crop, top, left, h, w));
  }
  return mask;
}

/**
 * The BlockMask kernel in JS: masks [batch, gridH, gridW] flattened row-major, 1 = masked. Crop b's mask depends only
 * on (seed, step, b, the other attributes), never on the batch size. Equal to the native kernels' output bit for bit.
 */
export function blockMaskReference(attrs: BlockMaskAttrs, observer?: BlockMaskObserver): Uint8Array {
  checkBlockMaskAttrs(attrs);
  const cells = attrs.gridH * attrs.gridW;
  const out = new Uint8Array(attrs.batch * cells);
  for (let b = 0; b < attrs.batch; b++) out.set(blockMaskCrop(attrs, b, observer), b * cells);
  return out;
}
