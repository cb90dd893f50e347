// The pictures of `ibot attention`: grey-level scaling, the jet ramp and the half-and-half overlay on hand-computed
// pixels; PNGs read back with their channel count and pixels.
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import test from 'ava';
import sharp from 'sharp';

import {jet, overlay, toGrey, writePng} from './attention_png.js';

test('toGrey maps the minimum to 0 and the maximum to 255, linearly; a constant map is all 0', (t) => {
  t.deepEqual([...toGrey(new Float32Array([2, 4, 3, 2.5]))], [0, 255, 128, 64]); // 127.5 and 63.75 rounded
  t.deepEqual([...toGrey(new Float32Array([0.3, 0.3]))], [0, 0]);
});

test('jet runs dark blue → cyan/green → dark red', (t) => {
  t.deepEqual(jet(0), [0, 0, 0.5]);
  t.deepEqual(jet(0.5), [0.5, 1, 0.5]);
  t.deepEqual(jet(1), [0.5, 0, 0]);
  t.deepEqual(jet(0.25), [0, 0.5, 1]);
});

test('overlay is half the image and half the jet colour, for grey and RGB images', (t) => {
  // Grey 100 under level 255 (jet(1) = dark red): r = 50 + 63.75, g = b = 50.
  t.deepEqual([...overlay(new Uint8Array([100]), 1, new Uint8Array([255]))], [114, 50, 50]);
  // RGB (10, 20, 30) under level 0 (jet(0) = dark blue): b = 15 + 63.75.
  t.deepEqual([...overlay(new Uint8Array([10, 20, 30]), 3, new Uint8Array([0]))], [5, 10, 79]);
  t.throws(() => overlay(new Uint8Array(5), 3, new Uint8Array(2)), {message: /holds 5 values, 2 pixels × 3 channels needs 6/});
});

test('writePng keeps one channel for grey and three for RGB, pixels unchanged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-png-'));
  try {
    const grey = new Uint8Array([0, 255, 7, 128, 1, 2]); // [2, 3]
    await writePng(join(dir, 'g.png'), grey, 3, 2, 1);
    const g = await sharp(join(dir, 'g.png')).metadata();
    t.deepEqual([g.width, g.height, g.channels], [3, 2, 1]);
    t.deepEqual([...(await sharp(join(dir, 'g.png')).toColourspace('b-w').raw().toBuffer())], [...grey]);
    const rgb = Uint8Array.from({length: 2 * 3 * 3}, (_, i) => 13 * i);
    await writePng(join(dir, 'c.png'), rgb, 3, 2, 3);
    t.is((await sharp(join(dir, 'c.png')).metadata()).channels, 3);
    t.deepEqual([...(await sharp(join(dir, 'c.png')).raw().toBuffer())], [...rgb]);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});
