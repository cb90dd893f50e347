// Pixel operations of the iBOT/DINO augmentation on float HWC images in [0, 1], in place: flip, the four colour-jitter
// adjustments (torchvision's definitions), grayscale (ITU-R 601-2 luma, as PIL's convert('L')) and solarise (PIL's rule).
// For 1-channel images saturation, hue and grayscale are no-ops: a grey image has no chroma to change.
import type {FloatImage} from './image.js';

const LUMA = [0.299, 0.587, 0.114] as const;

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Mirrors left–right. */
export function hflip(img: FloatImage): void {
  const {data, height, width, channels: c} = img;
  for (let y = 0; y < height; y++) {
    const row = y * width * c;
    for (let x = 0; x < width >> 1; x++) {
      const a = row + x * c, b = row + (width - 1 - x) * c;
      for (let ch = 0; ch < c; ch++) {
        const t = data[a + ch]!;
        data[a + ch] = data[b + ch]!;
        data[b + ch] = t;
      }
    }
  }
}

/** x ← clamp(f·x): blends with black. */
export function adjustBrightness(img: FloatImage, factor: number): void {
  const d = img.data;
  for (let i = 0; i < d.length; i++) d[i] = clamp01(d[i]! * factor);
}

/** x ← clamp(f·x + (1 − f)·m), m = mean luma of the whole image. */
export function adjustContrast(img: FloatImage, factor: number): void {
  const {data, channels: c} = img;
  const pixels = img.height * img.width;
  let sum = 0;
  if (c === 1) for (let i = 0; i < pixels; i++) sum += data[i]!;
  else for (let p = 0; p < pixels; p++) sum += LUMA[0] * data[p * c]! + LUMA[1] * data[p * c + 1]! + LUMA[2] * data[p * c + 2]!;
  const offset = (1 - factor) * (sum / pixels);
  for (let i = 0; i < data.length; i++) data[i] = clamp01(factor * data[i]! + offset);
}

/** x ← clamp(f·x + (1 − f)·luma(pixel)); no-op for 1 channel. */
export function adjustSaturation(img: FloatImage, factor: number): void {
  const {data, channels: c} = img;
  if (c === 1) return;
  checkRgb(img, 'adjustSaturation');
  for (let p = 0; p < data.length; p += 3) {
    const offset = (1 - factor) * (LUMA[0] * data[p]! + LUMA[1] * data[p + 1]! + LUMA[2] * data[p + 2]!);
    for (let ch = 0; ch < 3; ch++) data[p + ch] = clamp01(factor * data[p + ch]! + offset);
  }
}

/** Rotates hue by `shift` turns (in [−0.5, 0.5]) through HSV; no-op for 1 channel. */
export function adjustHue(img: FloatImage, shift: number): void {
  const {data, channels: c} = img;
  if (c === 1) return;
  checkRgb(img, 'adjustHue');
  for (let p = 0; p < data.length; p += 3) {
    const r = data[p]!, g = data[p + 1]!, b = data[p + 2]!;
    const max = Math.max(r, g, b), min = Math.min(r, g, b), chroma = max - min;
    if (chroma === 0) continue; // grey pixel: hue undefined and irrelevant
    let h: number;
    if (max === r) h = (g - b) / chroma;
    else if (max === g) h = 2 + (b - r) / chroma;
    else h = 4 + (r - g) / chroma;
    h = h / 6 + shift;
    h -= Math.floor(h); // [0, 1)
    const s = chroma / max, v = max;
    const h6 = h * 6, sector = Math.floor(h6) % 6, f = h6 - Math.floor(h6);
    const pp = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    const [nr, ng, nb] =
      sector === 0 ? [v, t, pp] : sector === 1 ? [q, v, pp] : sector === 2 ? [pp, v, t] : sector === 3 ? [pp, q, v] : sector === 4 ? [t, pp, v] : [v, pp, q];
    data[p] = nr;
    data[p + 1] = ng;
    data[p + 2] = nb;
  }
}

/** Replaces every channel by the pixel's luma (channel count kept, as RandomGrayscale does); no-op for 1 channel. */
export function toGrayscale(img: FloatImage): void {
  const {data, channels: c} = img;
  if (c === 1) return;
  checkRgb(img, 'toGrayscale');
  for (let p = 0; p < data.length; p += 3) {
    const l = LUMA[0] * data[p]! + LUMA[1] * data[p + 1]! + LUMA[2] * data[p + 2]!;
    data[p] = data[p + 1] = data[p + 2] = l;
  }
}

/** PIL's solarize(threshold = 128) on [0, 1] values: x ≥ 128/255 becomes 1 − x. */
export const SOLARIZE_THRESHOLD = 128 / 255;
export function solarize(img: FloatImage, threshold = SOLARIZE_THRESHOLD): void {
  const d = img.data;
  for (let i = 0; i < d.length; i++) if (d[i]! >= threshold) d[i] = 1 - d[i]!;
}

function checkRgb(img: FloatImage, op: string): void {
  if (img.channels !== 3) throw new Error(`${op}: needs 1 or 3 channels, got ${img.channels}`);
}
