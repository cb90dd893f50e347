// `ibot attention` in-process on a random ViT: two small PNGs (grey at the model's size, RGB of another size), a JPEG,
// a corrupt file and a missing one; the PNGs written (names, format, size, channels), the masks (0/255 only, DINO's
// kept mass against the attention recomputed here), unreadable files reported with a non-zero exit; an RGB run;
// --from-data and --image-size; errors.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {attentionMaps, thresholdMask} from '@ibotjs/eval';
import {backendUnderTest} from '@ibotjs/tfjs-backend-native/testing/parity';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';
import sharp from 'sharp';

import {openEvalSource} from './eval_backbone.js';
import {runIbot as run, testDevice, TINY_TRAIN_FLAGS} from './testing/run_ibot.js';

const SOURCE = ['--baseline', 'random', '--data', 'synthetic:20', '--held-out', '5', '--device', backendUnderTest];
const HEADS = 3; // fmnist-vit-tiny: 3 heads, patch 4, 28 px, 1 channel

/** A grey 28×28 image: a bright square on a dark ground, with a gradient. */
function greyPixels(): Uint8Array {
  const px = new Uint8Array(28 * 28);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) px[y * 28 + x] = x > 8 && x < 20 && y > 5 && y < 22 ? 230 : 4 * x;
  return px;
}

async function rawGrey(path: string): Promise<{data: Uint8Array; width: number; height: number; channels: number}> {
  // sharp decodes to sRGB unless told to keep one channel.
  const {data, info} = await sharp(path).toColourspace('b-w').raw().toBuffer({resolveWithObject: true});
  if (info.channels !== 1) throw new Error(`${path}: read ${info.channels} channels`);
  return {data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels};
}

test.serial('attention maps, masks and overlays of two PNGs and a JPEG; a corrupt and a missing file are reported and fail the run at the end', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-attn-'));
  try {
    const grey = join(dir, 'grey.png'), rgb = join(dir, 'colour.png'), jpeg = join(dir, 'photo.jpg'), bad = join(dir, 'broken.png');
    const out = join(dir, 'maps');
    await sharp(greyPixels(), {raw: {width: 28, height: 28, channels: 1}}).png().toFile(grey);
    await sharp({create: {width: 30, height: 20, channels: 3, background: {r: 200, g: 30, b: 90}}}).png().toFile(rgb);
    const gradient = Uint8Array.from({length: 24 * 40 * 3}, (_, i) => (i * 7) % 256); // [24, 40, 3]
    await sharp(gradient, {raw: {width: 40, height: 24, channels: 3}}).jpeg().toFile(jpeg);
    writeFileSync(bad, 'not a png at all');

    const missing = join(dir, 'missing.png');
    const r = await run('attention', grey, bad, rgb, missing, jpeg, ...SOURCE, '--out-dir', out);
    t.is(r.code, 1, r.err);
    t.regex(r.err, new RegExp(`ibot attention: ${bad}: cannot read the image: `));
    t.regex(r.err, new RegExp(`ibot attention: ${missing}: cannot read the image: .*missing`));
    t.regex(r.err, /ibot: error: ibot attention: 2 of 5 images could not be read \(.*broken\.png, .*missing\.png\)/);
    const lines = r.out.trim().split('\n');
    t.deepEqual(lines.map((l) => l.split(':')[0]), ['grey', 'colour', 'photo'], r.out);
    const want = (name: string) => [...Array.from({length: HEADS}, (_, h) => [`${name}-attn-head${h}.png`, `${name}-mask-head${h}.png`]).flat(), `${name}-overlay.png`];
    t.deepEqual(lines[0]!.slice('grey: '.length).split(' '), want('grey').map((f) => join(out, f)));
    t.deepEqual(readdirSync(out).sort(), [...want('grey'), ...want('colour'), ...want('photo')].sort());
    for (const f of readdirSync(out)) {
      const m = await sharp(join(out, f)).metadata();
      t.is(m.format, 'png', f);
      t.deepEqual([m.width, m.height], [28, 28], f);
      t.is(m.channels, f.endsWith('overlay.png') ? 3 : 1, f);
    }

    // The attention recomputed here from the same random ViT, normalisation and pixels.
    const src = await openEvalSource({baseline: 'random', data: 'synthetic:20', heldOut: 5, device: testDevice}, 'test');
    const px = greyPixels();
    const x = tf.tensor4d(Float32Array.from(px, (v) => (v / 255 - src.norm.mean[0]!) / src.norm.std[0]!), [1, 28, 28, 1]);
    const attn = attentionMaps(src.vit!, x);
    const maps = attn.dataSync();
    tf.dispose([x, attn]);
    src.vit!.dispose();
    for (let h = 0; h < HEADS; h++) {
      const mask = await rawGrey(join(out, `grey-mask-head${h}.png`));
      t.true(mask.data.every((v) => v === 0 || v === 255), `head ${h}: mask values other than 0 and 255`);
      // One value per 4×4 patch (nearest upsampling), read at each patch's top-left pixel.
      const kept: number[] = [], dropped: number[] = [];
      for (let i = 0; i < 7; i++) {
        for (let j = 0; j < 7; j++) {
          for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) t.is(mask.data[(4 * i + dy) * 28 + 4 * j + dx], mask.data[4 * i * 28 + 4 * j]);
          (mask.data[4 * i * 28 + 4 * j] === 255 ? kept : dropped).push(maps[h * 49 + i * 7 + j]!);
        }
      }
      const total = [...kept, ...dropped].reduce((a, b) => a + b, 0);
      const keptMass = kept.reduce((a, b) => a + b, 0) / total;
      // DINO's rule: the kept patches are the largest, hold at least 60 % of the mass, and without the smallest of
      // them they would hold less.
      t.true(kept.length > 0 && Math.min(...kept) >= Math.max(0, ...dropped), `head ${h}: kept patches are not the largest`);
      t.true(keptMass >= 0.6 - 1e-6, `head ${h}: kept mass ${keptMass}`);
      t.true(keptMass - Math.min(...kept) / total < 0.6 + 1e-6, `head ${h}: kept mass ${keptMass} without its smallest patch still ≥ 0.6`);
      // The heat map is the same map scaled to 0..255: its brightest patch is the largest attention.
      const heat = await rawGrey(join(out, `grey-attn-head${h}.png`));
      const argmax = (a: ArrayLike<number>, at: (k: number) => number) => Array.from({length: 49}, (_, k) => k).reduce((b, k) => (at(k) > at(b) ? k : b), 0);
      t.is(argmax(heat.data, (k) => heat.data[4 * Math.floor(k / 7) * 28 + 4 * (k % 7)]!), argmax(maps, (k) => maps[h * 49 + k]!));
      t.is(Math.max(...heat.data), 255);
      t.is(Math.min(...heat.data), 0);
    }
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.serial('an RGB run: a grey PNG is read as RGB and normalised per channel; the masks are the threshold rule on its attention', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-attn-'));
  try {
    const runDir = join(dir, 'run'), grey = join(dir, 'grey.png'), out = join(dir, 'maps');
    const trained = await run('train', ...TINY_TRAIN_FLAGS, '--in-chans', '3', '--data', 'synthetic:20', '--held-out', '5',
                              '--device', backendUnderTest, '--epochs', '1', '--max-steps-per-epoch', '1', '--output', runDir);
    t.is(trained.code, 0, trained.err);
    await sharp(greyPixels(), {raw: {width: 28, height: 28, channels: 1}}).png().toFile(grey);
    const r = await run('attention', grey, '--output', runDir, '--device', backendUnderTest, '--out-dir', out);
    t.is(r.code, 0, r.err);

    const src = await openEvalSource({output: runDir, device: testDevice}, 'test');
    t.is(src.norm.mean.length, 3);
    const px = greyPixels();
    const x = tf.tensor4d(Float32Array.from({length: 28 * 28 * 3}, (_, i) => (px[Math.floor(i / 3)]! / 255 - src.norm.mean[i % 3]!) / src.norm.std[i % 3]!),
                          [1, 28, 28, 3]);
    const attn = attentionMaps(src.vit!, x); // [1, 2, 7, 7]
    const masks = thresholdMask(attn, 0.6);
    tf.dispose([x, attn]);
    src.vit!.dispose();
    for (let h = 0; h < 2; h++) {
      const mask = await rawGrey(join(out, `grey-mask-head${h}.png`));
      const got = Array.from({length: 49}, (_, k) => mask.data[4 * Math.floor(k / 7) * 28 + 4 * (k % 7)]! / 255);
      t.deepEqual(got, [...masks.subarray(h * 49, (h + 1) * 49)], `head ${h}`);
    }
    const overlay = await sharp(join(out, 'grey-overlay.png')).metadata();
    t.deepEqual([overlay.width, overlay.height, overlay.channels], [28, 28, 3]);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.serial('--from-data names held-out samples by index and label; --image-size 32 gives 32×32 maps', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-attn-'));
  try {
    const r = await run('attention', ...SOURCE, '--from-data', '2', '--image-size', '32', '--threshold', '0.3', '--out-dir', dir);
    t.is(r.code, 0, r.err);
    t.regex(r.err, /32×32 images, 3 heads, threshold 0.3/);
    const names = r.out.trim().split('\n').map((l) => l.split(':')[0]);
    t.is(names.length, 2);
    for (const [i, name] of names.entries()) {
      t.regex(name!, new RegExp(`^sample${i}-label\\d$`));
      const m = await sharp(join(dir, `${name}-mask-head0.png`)).metadata();
      t.deepEqual([m.width, m.height], [32, 32]);
      t.true(existsSync(join(dir, `${name}-overlay.png`)));
    }
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.serial('--help lists the flags; errors: no images, pixels baseline, image size not a multiple of the patch, threshold out of range, too many samples', async (t) => {
  const help = await run('attention', '--help');
  t.is(help.code, 0);
  for (const flag of ['--output', '--baseline', '--key', '--image-size', '--threshold', '--out-dir', '--from-data']) t.true(help.out.includes(flag), flag);
  const none = await run('attention', ...SOURCE);
  t.is(none.code, 1);
  t.regex(none.err, /give image files, or --from-data <n>/);
  const pixels = await run('attention', 'x.png', '--baseline', 'pixels');
  t.is(pixels.code, 1);
  t.regex(pixels.err, /--baseline.*'pixels' is invalid/);
  const size = await run('attention', ...SOURCE, '--from-data', '1', '--image-size', '30', '--out-dir', join(tmpdir(), 'ibot-attn-unused'));
  t.is(size.code, 1);
  t.regex(size.err, /--image-size must be a multiple of the patch size 4, got 30/);
  const th = await run('attention', 'x.png', ...SOURCE, '--threshold', '1.5');
  t.is(th.code, 1);
  t.regex(th.err, /--threshold.*expected a number in \[0, 1\], got '1.5'/);
  const many = await run('attention', ...SOURCE, '--from-data', '6');
  t.is(many.code, 1);
  t.regex(many.err, /--from-data 6: the held-out split has only 5 images/);
});
