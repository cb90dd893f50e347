// `ibot attention IMAGE...`: the last block's [CLS] attention of each head of a run's backbone (or a random ViT) on
// image files or held-out images of the data (IBOT_SPEC §6.7): per image, a heat map and DINO's thresholded mask per
// head and the image with the mean map blended over it, as PNG files.
import {mkdirSync} from 'node:fs';
import {basename, extname, join} from 'node:path';

import {attentionMaps, ATTENTION_DEFAULT_THRESHOLD, thresholdMask, upsampleNearest} from '@ibotjs/eval';
import type {ViT} from '@ibotjs/vit';
import * as tf from '@tensorflow/tfjs-core';
import sharp, {type Sharp} from 'sharp';

import {overlay, toGrey, writePng} from './attention_png.js';
import {type EvalSource, type EvalSourceOptions, openEvalSource} from './eval_backbone.js';
import type {Io} from './train_command.js';

export interface AttentionOptions extends EvalSourceOptions {
  /** Side of the square the images are resized to (default: the model's imgSize); a multiple of the patch size. */
  imageSize?: number;
  /** DINO's --threshold: the mask keeps the patches holding this top fraction of each head's mass (default 0.6). */
  threshold?: number;
  /** Where the PNGs go (default ./attention). */
  outDir?: string;
  /** Also take the first n held-out images of the source's data, named sample<i>-label<k>. */
  fromData?: number;
}

export interface AttentionResult {
  /** Per image processed: its name and the files written. */
  written: Array<{name: string; files: string[]}>;
  /** Per input that could not be used: what it was and why. */
  failed: Array<{input: string; reason: string}>;
}

/** One input: its name in the output files and how to get its pixels, resized: bytes [size, size, channels]. */
interface Input {
  label: string;
  name: string;
  load: () => Promise<Uint8Array>;
}

async function rawBytes(pipeline: Sharp, channels: 1 | 3): Promise<Uint8Array> {
  const {data, info} = await pipeline.raw().toBuffer({resolveWithObject: true});
  if (info.channels !== channels) throw new Error(`decoded to ${info.channels} channels, expected ${channels}`);
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

function fileInput(path: string, size: number, channels: 1 | 3): Input {
  return {
    label: path,
    name: basename(path, extname(path)),
    async load() {
      // failOn 'warning': a truncated file is an error, not a half-grey image. Stretched to the square, as DINO's
      // transforms.Resize((size, size)) does.
      let pipeline = sharp(path, {failOn: 'warning'}).removeAlpha().resize(size, size, {fit: 'fill'});
      pipeline = channels === 3 ? pipeline.toColourspace('srgb') : pipeline.greyscale();
      return rawBytes(pipeline, channels);
    },
  };
}

function sampleBytes(image: Uint8Array | Float32Array): Uint8Array {
  if (image instanceof Uint8Array) return image;
  return Uint8Array.from(image, (v) => Math.round(255 * Math.min(1, Math.max(0, v))));
}

function dataInputs(src: EvalSource, n: number, size: number, channels: 1 | 3): Input[] {
  const ds = src.data.heldOut;
  if (n > ds.size) throw new Error(`ibot attention: --from-data ${n}: the held-out split has only ${ds.size} images`);
  return Array.from({length: n}, (_, i) => ({
    label: `held-out image ${i}`,
    name: `sample${i}-label${ds.labelOf(i)}`,
    async load() {
      const s = await ds.get(i);
      const bytes = sampleBytes(s.image);
      if (s.height === size && s.width === size) return bytes;
      let pipeline = sharp(bytes, {raw: {width: s.width, height: s.height, channels: s.channels as 1 | 3}}).resize(size, size, {fit: 'fill'});
      pipeline = channels === 3 ? pipeline.toColourspace('srgb') : pipeline.greyscale(); // sharp would otherwise give RGB
      return rawBytes(pipeline, channels);
    },
  }));
}

/** Bytes [size, size, C] → the normalised image [1, size, size, C]. */
function normalise(bytes: Uint8Array, size: number, channels: number, norm: {mean: number[]; std: number[]}): tf.Tensor4D {
  const x = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const c = i % channels;
    x[i] = (bytes[i]! / 255 - norm.mean[c]!) / norm.std[c]!;
  }
  return tf.tensor4d(x, [1, size, size, channels]);
}

/** Maps, masks and overlay of one image; returns the files written. */
async function drawOne(vit: ViT, bytes: Uint8Array, name: string, o: {size: number; channels: 1 | 3; threshold: number; outDir: string;
                       norm: {mean: number[]; std: number[]}}): Promise<string[]> {
  const p = vit.config.patchSize, g = o.size / p, n = g * g, heads = vit.config.numHeads;
  const x = normalise(bytes, o.size, o.channels, o.norm);
  let maps: Float32Array, masks: Uint8Array;
  try {
    const attn = attentionMaps(vit, x); // [1, heads, g, g]
    maps = attn.dataSync() as Float32Array;
    masks = thresholdMask(attn, o.threshold);
    attn.dispose();
  } finally {
    x.dispose();
  }
  const files: string[] = [];
  const mean = new Float32Array(n);
  for (let h = 0; h < heads; h++) {
    const map = maps.subarray(h * n, (h + 1) * n);
    for (let i = 0; i < n; i++) mean[i] = mean[i]! + map[i]! / heads;
    const heat = join(o.outDir, `${name}-attn-head${h}.png`);
    await writePng(heat, upsampleNearest(toGrey(map), g, g, p), o.size, o.size, 1);
    const mask = join(o.outDir, `${name}-mask-head${h}.png`);
    const m = masks.subarray(h * n, (h + 1) * n).map((v) => v * 255);
    await writePng(mask, upsampleNearest(m, g, g, p), o.size, o.size, 1);
    files.push(heat, mask);
  }
  const blend = join(o.outDir, `${name}-overlay.png`);
  await writePng(blend, overlay(bytes, o.channels, upsampleNearest(toGrey(mean), g, g, p)), o.size, o.size, 3);
  files.push(blend);
  return files;
}

export async function runAttention(images: readonly string[], o: AttentionOptions, io: Io): Promise<AttentionResult> {
  if (o.baseline === 'pixels') throw new Error('ibot attention: --baseline pixels has no attention; use --baseline random or --output <run>');
  if (images.length === 0 && o.fromData === undefined) throw new Error('ibot attention: give image files, or --from-data <n> for held-out images of the data');
  const threshold = o.threshold ?? ATTENTION_DEFAULT_THRESHOLD;
  if (!(threshold >= 0 && threshold <= 1)) throw new Error(`ibot attention: --threshold must be in [0, 1], got ${threshold}`);
  const src = await openEvalSource(o, 'ibot attention');
  const vit = src.vit!;
  try {
    const p = vit.config.patchSize;
    const size = o.imageSize ?? src.config.imgSize;
    if (!(Number.isInteger(size) && size >= p && size % p === 0)) {
      throw new Error(`ibot attention: --image-size must be a multiple of the patch size ${p}, got ${size}`);
    }
    const channels = src.config.inChans === 3 ? 3 : 1;
    const outDir = o.outDir ?? 'attention';
    const inputs = [...images.map((path) => fileInput(path, size, channels)), ...dataInputs(src, o.fromData ?? 0, size, channels)];
    mkdirSync(outDir, {recursive: true});
    io.stderr.write(`ibot attention: ${src.description}; ${size}×${size} images, ${vit.config.numHeads} heads, threshold ${threshold}\n`);
    // Two files with the same base name (a/x.png, b/x.jpg) would overwrite each other's maps: number the later ones.
    const seen = new Map<string, number>();
    for (const input of inputs) {
      const k = seen.get(input.name) ?? 0;
      seen.set(input.name, k + 1);
      if (k > 0) input.name = `${input.name}-${k + 1}`;
    }
    const result: AttentionResult = {written: [], failed: []};
    for (const input of inputs) {
      let bytes: Uint8Array;
      try {
        bytes = await input.load();
      } catch (e) {
        const reason = (e as Error).message;
        result.failed.push({input: input.label, reason});
        io.stderr.write(`ibot attention: ${input.label}: cannot read the image: ${reason}\n`);
        continue;
      }
      const files = await drawOne(vit, bytes, input.name, {size, channels, threshold, outDir, norm: src.norm});
      result.written.push({name: input.name, files});
      io.stdout.write(`${input.name}: ${files.join(' ')}\n`);
    }
    if (result.failed.length > 0) {
      throw new Error(`ibot attention: ${result.failed.length} of ${inputs.length} images could not be read (${result.failed.map((f) => f.input).join(', ')})`);
    }
    return result;
  } finally {
    vit.dispose();
  }
}
