// iBOT's multi-crop augmentation (IBOT_SPEC §5.1, DataAugmentationiBOT): per crop, RandomResizedCrop (bicubic) →
// horizontal flip (p 0.5) → colour jitter (p 0.8, random order) → grayscale (p 0.2) → Gaussian blur (per-crop p) →
// solarise (per-crop p) → normalise. Sampling (CropParams) is separate from applying them so tests can check each.
import {Rng, RngStream} from '../rng.js';
import {gaussianBlur} from './blur.js';
import {adjustBrightness, adjustContrast, adjustHue, adjustSaturation, hflip, solarize, toGrayscale} from './color.js';
import type {FloatImage} from './image.js';
import {cropImage, resizeBicubic, type Box} from './resize.js';

export interface JitterStrength {
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
}

/** ColorJitter(0.4, 0.4, 0.2, 0.1) of the official recipe. */
export const IBOT_JITTER: JitterStrength = {brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1};
export const DEFAULT_RATIO: readonly [number, number] = [3 / 4, 4 / 3];
export const DEFAULT_BLUR_RADIUS: readonly [number, number] = [0.1, 2.0];
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

/** A training crop: RandomResizedCrop to size × size and the random photometric transforms. */
export interface RandomCropSpec {
  kind: 'random';
  /** Output side in pixels. */
  size: number;
  /** Range of the crop's area as a fraction of the image's. */
  scale: readonly [number, number];
  /** Range of the crop's aspect ratio w/h (sampled log-uniformly); default [3/4, 4/3]. */
  ratio?: readonly [number, number];
  flipProb?: number; // default 0.5
  jitterProb?: number; // default 0.8
  jitter?: JitterStrength; // default IBOT_JITTER
  grayscaleProb?: number; // default 0.2
  blurProb: number;
  /** Range of the blur's standard deviation in output pixels; default [0.1, 2.0]. */
  blurRadius?: readonly [number, number];
  solarizeProb: number;
}

/** An evaluation view: resize the shorter side to `resize` (default `size`), bicubic, then centre-crop size × size. */
export interface CenterCropSpec {
  kind: 'center';
  size: number;
  resize?: number;
}

export type CropSpec = RandomCropSpec | CenterCropSpec;

/** Everything random about one crop, drawn before any pixel is touched. */
export interface CropParams {
  box: Box;
  flip: boolean;
  /** null when jitter is not applied (probability 1 − jitterProb). `order`: 0 brightness, 1 contrast, 2 saturation, 3 hue. */
  jitter: null | {order: number[]; brightness: number | null; contrast: number | null; saturation: number | null; hue: number | null};
  grayscale: boolean;
  /** Blur standard deviation, or null for no blur. */
  blurSigma: number | null;
  solarize: boolean;
}

export interface MultiCropOptions {
  /** Global crops: `count` (default 2) crops of `size` px with area scale `scale` (default [0.14, 1], the code's default). */
  global: {count?: number; size: number; scale?: readonly [number, number]};
  /** Local crops (default none): `count` crops of `size` px, scale default [0.05, 0.4]. */
  local?: {count: number; size: number; scale?: readonly [number, number]};
}

/**
 * The crops of iBOT's DataAugmentationiBOT, in the order the model sees them: global 1 (blur 1.0, no solarise), globals
 * 2..G (blur 0.1, solarise 0.2), then the local crops (blur 0.5, no solarise). For 28×28 grey images, e.g.
 * `{global: {size: 28, scale: [0.4, 1]}, local: {count: 6, size: 12, scale: [0.05, 0.4]}}`.
 */
export function multiCropRecipe(options: MultiCropOptions): RandomCropSpec[] {
  const {global, local} = options;
  const gCount = global.count ?? 2;
  if (!Number.isInteger(gCount) || gCount < 1) throw new Error(`multiCropRecipe: global.count must be an integer ≥ 1, got ${gCount}`);
  const gScale = global.scale ?? [0.14, 1];
  const crops: RandomCropSpec[] = [];
  for (let g = 0; g < gCount; g++) {
    crops.push({kind: 'random', size: global.size, scale: gScale, blurProb: g === 0 ? 1.0 : 0.1, solarizeProb: g === 0 ? 0 : 0.2});
  }
  const lCount = local?.count ?? 0;
  if (!Number.isInteger(lCount) || lCount < 0) throw new Error(`multiCropRecipe: local.count must be an integer ≥ 0, got ${lCount}`);
  for (let l = 0; l < lCount; l++) {
    crops.push({kind: 'random', size: local!.size, scale: local!.scale ?? [0.05, 0.4], blurProb: 0.5, solarizeProb: 0});
  }
  for (const c of crops) checkCropSpec(c);
  return crops;
}

/** Throws a clear error for an impossible crop spec. */
export function checkCropSpec(spec: CropSpec): void {
  const where = `crop spec ${JSON.stringify(spec)}`;
  if (!Number.isInteger(spec.size) || spec.size < 1) throw new Error(`${where}: size must be an integer ≥ 1`);
  if (spec.kind === 'center') {
    if (spec.resize !== undefined && (!Number.isInteger(spec.resize) || spec.resize < spec.size)) {
      throw new Error(`${where}: resize must be an integer ≥ size`);
    }
    return;
  }
  if (spec.kind !== 'random') throw new Error(`${where}: kind must be 'random' or 'center'`);
  const [s0, s1] = spec.scale;
  if (!(s0 > 0 && s0 <= s1 && s1 <= 1)) throw new Error(`${where}: scale must satisfy 0 < min ≤ max ≤ 1`);
  const [r0, r1] = spec.ratio ?? DEFAULT_RATIO;
  if (!(r0 > 0 && r0 <= r1)) throw new Error(`${where}: ratio must satisfy 0 < min ≤ max`);
  const [b0, b1] = spec.blurRadius ?? DEFAULT_BLUR_RADIUS;
  if (!(b0 > 0 && b0 <= b1)) throw new Error(`${where}: blurRadius must satisfy 0 < min ≤ max`);
  for (const key of ['flipProb', 'jitterProb', 'grayscaleProb', 'blurProb', 'solarizeProb'] as const) {
    const p = spec[key];
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new Error(`${where}: ${key} must be in [0, 1]`);
  }
  const j = spec.jitter ?? IBOT_JITTER;
  if (!(j.brightness >= 0 && j.contrast >= 0 && j.saturation >= 0 && j.hue >= 0 && j.hue <= 0.5)) {
    throw new Error(`${where}: jitter strengths must be ≥ 0 (hue ≤ 0.5)`);
  }
}

/** Python's round(): halves go to the even integer (torchvision computes crop sizes with it). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision's RandomResizedCrop.get_params: up to 10 attempts of (area ~ U(scale)·A, log-ratio ~ U(log ratio)); the first
 * box that fits is placed uniformly; otherwise the fallback is a centre crop of the whole image clamped to the ratio range.
 */
export function sampleResizedCropBox(rng: Rng, height: number, width: number, scale: readonly [number, number], ratio: readonly [number, number] = DEFAULT_RATIO): Box {
  const area = height * width;
  const logR0 = Math.log(ratio[0]), logR1 = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniformIn(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniformIn(logR0, logR1));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.below(height - h + 1);
      const left = rng.below(width - w + 1);
      return {top, left, height: h, width: w};
    }
  }
  const inRatio = width / height;
  let w: number, h: number;
  if (inRatio < ratio[0]) {
    w = width;
    h = roundHalfEven(w / ratio[0]);
  } else if (inRatio > ratio[1]) {
    h = height;
    w = roundHalfEven(h * ratio[1]);
  } else {
    w = width;
    h = height;
  }
  return {top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w};
}

/** Draws every random choice of one training crop of a height × width image, in the pipeline's order. */
export function sampleCropParams(rng: Rng, spec: RandomCropSpec, height: number, width: number): CropParams {
  const box = sampleResizedCropBox(rng, height, width, spec.scale, spec.ratio);
  const flip = rng.uniform() < (spec.flipProb ?? 0.5);
  let jitter: CropParams['jitter'] = null;
  if (rng.uniform() < (spec.jitterProb ?? 0.8)) {
    const s = spec.jitter ?? IBOT_JITTER;
    const order = Array.from(rng.permutation(4));
    const factor = (v: number) => (v > 0 ? rng.uniformIn(Math.max(0, 1 - v), 1 + v) : null);
    const brightness = factor(s.brightness), contrast = factor(s.contrast), saturation = factor(s.saturation);
    const hue = s.hue > 0 ? rng.uniformIn(-s.hue, s.hue) : null;
    jitter = {order, brightness, contrast, saturation, hue};
  }
  const grayscale = rng.uniform() < (spec.grayscaleProb ?? 0.2);
  const [b0, b1] = spec.blurRadius ?? DEFAULT_BLUR_RADIUS;
  const blurSigma = rng.uniform() < spec.blurProb ? rng.uniformIn(b0, b1) : null;
  const solarizeOn = rng.uniform() < spec.solarizeProb;
  return {box, flip, jitter, grayscale, blurSigma, solarize: solarizeOn};
}

/** Applies sampled parameters: crop + bicubic resize to spec.size, then flip, jitter, grayscale, blur, solarise. */
export function applyCropParams(src: FloatImage, spec: RandomCropSpec, params: CropParams): FloatImage {
  const img = resizeBicubic(src, params.box, spec.size, spec.size);
  if (params.flip) hflip(img);
  if (params.jitter !== null) {
    const j = params.jitter;
    for (const op of j.order) {
      if (op === 0 && j.brightness !== null) adjustBrightness(img, j.brightness);
      else if (op === 1 && j.contrast !== null) adjustContrast(img, j.contrast);
      else if (op === 2 && j.saturation !== null) adjustSaturation(img, j.saturation);
      else if (op === 3 && j.hue !== null) adjustHue(img, j.hue);
    }
  }
  if (params.grayscale) toGrayscale(img);
  if (params.blurSigma !== null) gaussianBlur(img, params.blurSigma);
  if (params.solarize) solarize(img);
  return img;
}

/** The evaluation view: shorter side resized to `resize` (torchvision Resize(int)), then a centred size × size crop. */
export function centerCrop(src: FloatImage, spec: CenterCropSpec): FloatImage {
  const target = spec.resize ?? spec.size;
  const {height: h, width: w} = src;
  const [rh, rw] = h <= w ? [target, Math.trunc((target * w) / h)] : [Math.trunc((target * h) / w), target];
  if (rh < spec.size || rw < spec.size) throw new Error(`centerCrop: a ${h}×${w} image resized to ${rh}×${rw} is smaller than the ${spec.size} crop`);
  const resized = rh === h && rw === w ? src : resizeBicubic(src, {top: 0, left: 0, height: h, width: w}, rh, rw);
  const top = roundHalfEven((rh - spec.size) / 2), left = roundHalfEven((rw - spec.size) / 2);
  return cropImage(resized, {top, left, height: spec.size, width: spec.size});
}

/** The RNG of crop `crop` of dataset item `index` in `epoch`: independent of batching and of the worker count. */
export function cropRng(seed: number, epoch: number, index: number, crop: number): Rng {
  return new Rng(seed, epoch, index, RngStream.crop + crop);
}

/** Augments one image into every crop (unnormalised, values in [0, 1]). */
export function augmentImage(src: FloatImage, crops: readonly CropSpec[], seed: number, epoch: number, index: number): FloatImage[] {
  return crops.map((spec, k) =>
    spec.kind === 'center' ? centerCrop(src, spec) : applyCropParams(src, spec, sampleCropParams(cropRng(seed, epoch, index, k), spec, src.height, src.width)),
  );
}

/** Writes (x − mean[c]) / std[c] of `img` into `out` at `offset` (NHWC batch slot). */
export function normalizeInto(img: FloatImage, mean: readonly number[], std: readonly number[], out: Float32Array, offset: number): void {
  const {data, channels: c} = img;
  const inv = std.map((s) => 1 / s);
  for (let i = 0; i < data.length; i += c) {
    for (let ch = 0; ch < c; ch++) out[offset + i + ch] = (data[i + ch]! - mean[ch]!) * inv[ch]!;
  }
}

/** Checks mean/std against the channel count (clear errors instead of NaNs). */
export function checkNormalization(mean: readonly number[], std: readonly number[], channels: number): void {
  if (mean.length !== channels || std.length !== channels) {
    throw new Error(`normalisation: mean [${mean.join(', ')}] and std [${std.join(', ')}] need ${channels} values each (the images have ${channels} channels)`);
  }
  if (!std.every((s) => s > 0) || !mean.every((m) => Number.isFinite(m))) throw new Error(`normalisation: std must be > 0 and mean finite`);
}
