// Bicubic resampling of a crop box, with Pillow's semantics (the resampler torchvision uses on PIL images): cubic kernel
// with a = −0.5, support widened by the scale factor when shrinking (antialiasing), weights renormalised at the box edges
// (pixels outside the box are never read). Written here rather than with sharp: it runs synchronously on float data in
// the worker (no uint8 round trip, no per-crop native call for 28-px images), and its kernel is the one torchvision uses.
import type {FloatImage} from './image.js';

const A = -0.5;
const SUPPORT = 2;

function cubic(x: number): number {
  x = Math.abs(x);
  if (x < 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * A;
  return 0;
}

/** Per output pixel: the first input index and the normalised weights over [first, first + count). */
interface Taps {
  first: Int32Array; // [out]
  count: Int32Array; // [out]
  weights: Float32Array; // [out, maxTaps]
  maxTaps: number;
}

function computeTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = SUPPORT * filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize), count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize);
    let sum = 0;
    for (let x = lo; x < hi; x++) {
      const w = cubic((x - centre + 0.5) / filterScale);
      weights[o * maxTaps + x - lo] = w;
      sum += w;
    }
    if (sum !== 0) for (let x = lo; x < hi; x++) weights[o * maxTaps + x - lo]! /= sum;
    first[o] = lo;
    count[o] = hi - lo;
  }
  return {first, count, weights, maxTaps};
}

/** A box in source pixels: rows [top, top + height), columns [left, left + width). */
export interface Box {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * Resizes the box of `src` to outHeight × outWidth with Pillow-style bicubic resampling; the result is clamped to [0, 1]
 * (Pillow clamps to the byte range; bicubic overshoots at edges).
 */
export function resizeBicubic(src: FloatImage, box: Box, outHeight: number, outWidth: number): FloatImage {
  const {data, width: srcWidth, channels: c} = src;
  const {top, left, height: bh, width: bw} = box;
  if (!(top >= 0 && left >= 0 && bh >= 1 && bw >= 1 && top + bh <= src.height && left + bw <= srcWidth)) {
    throw new Error(`resizeBicubic: box ${JSON.stringify(box)} is not inside the ${src.height}×${srcWidth} image`);
  }
  // Horizontal pass over the box's rows: [bh, outWidth, C].
  const tx = computeTaps(bw, outWidth);
  const mid = new Float32Array(bh * outWidth * c);
  for (let y = 0; y < bh; y++) {
    const rowBase = ((top + y) * srcWidth + left) * c;
    for (let o = 0; o < outWidth; o++) {
      const f = tx.first[o]!, n = tx.count[o]!, wBase = o * tx.maxTaps;
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tx.weights[wBase + k]! * data[rowBase + (f + k) * c + ch]!;
        mid[(y * outWidth + o) * c + ch] = acc;
      }
    }
  }
  // Vertical pass: [outHeight, outWidth, C].
  const ty = computeTaps(bh, outHeight);
  const out = new Float32Array(outHeight * outWidth * c);
  const rowLen = outWidth * c;
  for (let o = 0; o < outHeight; o++) {
    const f = ty.first[o]!, n = ty.count[o]!, wBase = o * ty.maxTaps;
    const outBase = o * rowLen;
    for (let k = 0; k < n; k++) {
      const w = ty.weights[wBase + k]!;
      const inBase = (f + k) * rowLen;
      for (let i = 0; i < rowLen; i++) out[outBase + i]! += w * mid[inBase + i]!;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, out[i]!));
  return {data: out, height: outHeight, width: outWidth, channels: c};
}

/** A copy of the box of `src`. */
export function cropImage(src: FloatImage, box: Box): FloatImage {
  const {top, left, height: bh, width: bw} = box;
  const c = src.channels;
  if (!(top >= 0 && left >= 0 && bh >= 1 && bw >= 1 && top + bh <= src.height && left + bw <= src.width)) {
    throw new Error(`cropImage: box ${JSON.stringify(box)} is not inside the ${src.height}×${src.width} image`);
  }
  const out = new Float32Array(bh * bw * c);
  for (let y = 0; y < bh; y++) {
    const from = ((top + y) * src.width + left) * c;
    out.set(src.data.subarray(from, from + bw * c), y * bw * c);
  }
  return {data: out, height: bh, width: bw, channels: c};
}
