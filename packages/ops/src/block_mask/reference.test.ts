// The JS block-mask generator: bit-for-bit equal to the BlockMask kernel of the backend under test ('native', or
// 'cuda' in the GPU run) for many (seed, step, attributes); its exact invariants through the observer hooks (every
// rectangle strictly smaller than the grid, the mask is the union of the accepted rectangles, count <= floor(T),
// 'rand' exactly floor(T)); determinism; its helpers (exp, round half to even) and its attribute checks.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {backendUnderTest, useBackend} from '@ibotjs/tfjs-backend-native/testing/parity';
import {type Rng, seededRng} from '@ibotjs/tfjs-backend-native/testing/random';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import type {BlockMaskAttrs} from '../kernel_names.js';

import {blockMaskCrop, blockMaskReference, expSmall, roundHalfEven} from './reference.js';

function kernelMask(attrs: BlockMaskAttrs): Uint8Array {
  const previous = tf.getBackend();
  useBackend(backendUnderTest);
  try {
    const out = tf.engine().runKernel('BlockMask', {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    try {
      return out.dataSync() as Uint8Array;
    } finally {
      out.dispose();
    }
  } finally {
    useBackend(previous);
  }
}

const u32 = (rng: Rng) => Math.floor(rng.next() * 4294967296);

/** Random attributes over the whole accepted range: grids 0..30, 1..4 ratios with variations, both shapes. */
function randomAttrs(rng: Rng): BlockMaskAttrs {
  const k = rng.int(1, 4);
  const ratios: number[] = [], ratioVars: number[] = [];
  for (let i = 0; i < k; i++) {
    const r = rng.pick([0, 0.1, 0.3, 0.5, 1, rng.next()]);
    ratios.push(r);
    ratioVars.push(rng.next() < 0.4 ? 0 : rng.next() * Math.min(r, 1 - r));
  }
  return {batch: rng.int(0, 40), gridH: rng.int(0, 30), gridW: rng.int(0, 30), ratios, ratioVars,
          shape: rng.next() < 0.75 ? 'block' : 'rand', seed: u32(rng), step: u32(rng)};
}

test(`the JS reference equals the ${backendUnderTest} BlockMask kernel bit for bit`, (t) => {
  const rng = seededRng(t);
  const cases: BlockMaskAttrs[] = [];
  for (let i = 0; i < 300; i++) cases.push(randomAttrs(rng));
  // The training settings with many crops: global 14x14, local 6x6, the released recipe, extreme seeds and steps.
  for (const [h, ratios, ratioVars] of [[14, [0.3], [0]], [6, [0.3], [0]], [14, [0, 0.3], [0, 0.2]],
                                        [14, [0.1], [0]], [14, [0.5], [0]]] as const) {
    for (const [seed, step] of [[0, 0], [0xffffffff, 0xffffffff], [u32(rng), u32(rng)]]) {
      cases.push({batch: 400, gridH: h, gridW: h, ratios: [...ratios], ratioVars: [...ratioVars], shape: 'block',
                  seed: seed!, step: step!});
    }
  }
  let crops = 0;
  const differences: string[] = [];
  for (const attrs of cases) {
    const want = blockMaskReference(attrs), got = kernelMask(attrs);
    crops += attrs.batch;
    const bad = want.findIndex((x, i) => x !== got[i]);
    if (got.length !== want.length || bad >= 0) {
      differences.push(`${JSON.stringify(attrs)}: length ${got.length} vs ${want.length}, first difference at ${bad}`);
    }
  }
  t.deepEqual(differences, []);
  t.log(`${cases.length} attribute sets, ${crops} crops compared`);
});

test('every rectangle is strictly smaller than the grid and the mask is their union; count <= floor(T)', (t) => {
  const rng = seededRng(t);
  let rects = 0, largest = 0;
  for (let i = 0; i < 200; i++) {
    const attrs = {...randomAttrs(rng), shape: 'block' as const, batch: 10};
    const cells = attrs.gridH * attrs.gridW;
    const union = new Uint8Array(attrs.batch * cells);
    const targets: number[] = [];
    const mask = blockMaskReference(attrs, {
      crop: (b, ratio, target) => {
        t.true(ratio >= 0 && ratio <= 1);
        targets[b] = target;
      },
      rectangle: (b, top, left, h, w) => {
        rects++;
        largest = Math.max(largest, h * w);
        if (!(h >= 1 && w >= 1 && h < attrs.gridH && w < attrs.gridW && top >= 0 && left >= 0 &&
              top + h <= attrs.gridH && left + w <= attrs.gridW)) {
          t.fail(`rectangle ${h}x${w} at (${top}, ${left}) on ${attrs.gridH}x${attrs.gridW}`);
        }
        for (let r = top; r < top + h; r++) {
          const row = b * cells + r * attrs.gridW;
          union.fill(1, row + left, row + left + w);
        }
      },
    });
    t.deepEqual(mask, union, 'the mask is exactly the union of the accepted rectangles');
    for (let b = 0; b < attrs.batch; b++) {
      const count = mask.subarray(b * cells, (b + 1) * cells).reduce((a, x) => a + x, 0);
      if (count > Math.floor(targets[b]!)) t.fail(`crop ${b}: ${count} cells > floor(${targets[b]})`);
    }
  }
  t.log(`${rects} rectangles checked, the largest ${largest} cells`);
  t.true(rects > 1000);
});

test('rand masks exactly floor(T) cells, clamped to the grid', (t) => {
  const rng = seededRng(t);
  for (let i = 0; i < 200; i++) {
    const attrs = {...randomAttrs(rng), shape: 'rand' as const};
    const cells = attrs.gridH * attrs.gridW;
    const targets: number[] = [];
    const mask = blockMaskReference(attrs, {crop: (b, _r, target) => (targets[b] = target)});
    for (let b = 0; b < attrs.batch; b++) {
      const count = mask.subarray(b * cells, (b + 1) * cells).reduce((a, x) => a + x, 0);
      t.is(count, Math.min(cells, Math.floor(targets[b]!)));
    }
  }
});

test('crop b depends on (seed, step, b) only', (t) => {
  const rng = seededRng(t);
  const attrs: BlockMaskAttrs = {batch: 30, gridH: 14, gridW: 14, ratios: [0, 0.3], ratioVars: [0, 0.2],
                                 shape: 'block', seed: u32(rng), step: u32(rng)};
  const all = blockMaskReference(attrs);
  for (const b of [0, 7, 29]) t.deepEqual(blockMaskCrop(attrs, b), all.subarray(b * 196, (b + 1) * 196));
  t.deepEqual(blockMaskReference({...attrs, batch: 5}), all.subarray(0, 5 * 196));
  t.notDeepEqual(blockMaskReference({...attrs, step: (attrs.step + 1) >>> 0, ratios: [0.3], ratioVars: [0]}),
                 blockMaskReference({...attrs, ratios: [0.3], ratioVars: [0]}));
});

test('expSmall matches Math.exp to 1e-14 relative on [-2, 2]; roundHalfEven is Python\'s round', (t) => {
  let worst = 0;
  for (let i = 0; i <= 100000; i++) {
    const x = -2 + (4 * i) / 100000;
    worst = Math.max(worst, Math.abs(expSmall(x) / Math.exp(x) - 1));
  }
  t.log(`worst relative error ${worst.toExponential(2)}`);
  t.true(worst < 1e-14);
  const cases: Array<[number, number]> = [[0, 0], [0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [2.4999999999999996, 2],
                                          [2.5000000000000004, 3], [7.49, 7], [7.51, 8], [12, 12]];
  for (const [x, want] of cases) t.is(roundHalfEven(x), want, `round(${x})`);
});

test('bad attributes throw an Error naming BlockMask', (t) => {
  const ok: BlockMaskAttrs = {batch: 2, gridH: 14, gridW: 14, ratios: [0.3], ratioVars: [0], shape: 'block', seed: 1,
                              step: 2};
  const bad: Array<[Partial<BlockMaskAttrs>, RegExp]> = [
    [{batch: -1}, /batch must be a non-negative integer/],
    [{gridH: 1.5}, /gridH must be a non-negative integer/],
    [{ratios: []}, /ratios must have 1 to 16 entries/],
    [{ratios: new Array(17).fill(0.1), ratioVars: new Array(17).fill(0)}, /ratios must have 1 to 16 entries/],
    [{ratioVars: [0, 0]}, /ratioVars must have as many entries as ratios/],
    [{ratios: [0.3], ratioVars: [0.4]}, /must lie in \[0, 1\]/],
    [{ratios: [NaN]}, /must lie in \[0, 1\]/],
    [{ratios: [1.1]}, /must lie in \[0, 1\]/],
    [{ratioVars: [-0.1]}, /must lie in \[0, 1\]/],
    [{shape: 'square' as 'block'}, /shape must be 'block' or 'rand'/],
    [{seed: -1}, /seed must be an unsigned 32-bit integer/],
    [{step: 2 ** 32}, /step must be an unsigned 32-bit integer/],
    [{gridH: 2 ** 20, gridW: 2 ** 20, batch: 0}, /too large/],
  ];
  for (const [over, message] of bad) {
    t.throws(() => blockMaskReference({...ok, ...over}), {message: new RegExp(`^BlockMask: .*${message.source}`)},
             JSON.stringify(over));
  }
});
