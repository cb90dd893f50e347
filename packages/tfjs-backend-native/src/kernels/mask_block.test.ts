// BlockMask on the backend under test: the statistics of the official generator (IBOT_SPEC §9 T1) over many masks,
// its exact invariants (count <= floor(T), 'rand' exactly floor(T), r = 0 empty), and determinism (crop b depends only
// on seed, step, b; not on the batch size or the thread count; CPU == CUDA when the backend under test is 'cuda').
// The bit-for-bit comparison with the JS reference lives with it: packages/ops/src/block_mask/reference.test.ts.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test, {type ExecutionContext} from 'ava';

import {nativeAddon} from '../index.js';
import {backendUnderTest, useBackend} from '../testing/parity.js';
import {type Rng, seededRng} from '../testing/random.js';

interface BlockMaskAttrs {
  batch: number;
  gridH: number;
  gridW: number;
  ratios: number[];
  ratioVars: number[];
  shape: 'block' | 'rand';
  seed: number;
  step: number;
}

/** The BlockMask kernel's output on `backend`, flattened [batch·gridH·gridW]. */
function blockMask(attrs: BlockMaskAttrs, backend = backendUnderTest): Uint8Array {
  const previous = tf.getBackend();
  useBackend(backend);
  try {
    const t = tf.engine().runKernel('BlockMask', {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    try {
      if (t.dtype !== 'bool') throw new Error(`BlockMask returned ${t.dtype}`);
      if (t.shape.join() !== [attrs.batch, attrs.gridH, attrs.gridW].join()) throw new Error(`shape ${t.shape}`);
      return t.dataSync() as Uint8Array;
    } finally {
      t.dispose();
    }
  } finally {
    useBackend(previous);
  }
}

function counts(mask: Uint8Array, cells: number): number[] {
  const out: number[] = [];
  for (let b = 0; b * cells < mask.length; b++) {
    let c = 0;
    for (let i = b * cells; i < (b + 1) * cells; i++) c += mask[i]!;
    out.push(c);
  }
  return out;
}

interface Stats {
  mean: number;
  std: number;
  min: number;
  max: number;
}

function stats(xs: number[]): Stats {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return {mean, std, min: Math.min(...xs), max: Math.max(...xs)};
}

function u32(rng: Rng): number {
  return Math.floor(rng.next() * 4294967296);
}

function attrs(rng: Rng, over: Partial<BlockMaskAttrs>): BlockMaskAttrs {
  return {batch: 1, gridH: 14, gridW: 14, ratios: [0.3], ratioVars: [0], shape: 'block', seed: u32(rng),
          step: u32(rng), ...over};
}

function fmt(s: Stats): string {
  return `mean ${s.mean.toFixed(3)} std ${s.std.toFixed(3)} min ${s.min} max ${s.max}`;
}

/** Fixed-ratio block masks: the official mean within ±tol, count <= floor(T) always, and the maximum the spec says. */
function checkFixedRatio(t: ExecutionContext, grid: number, ratio: number, n: number, officialMean: number,
                         tol: number): number[] {
  const rng = seededRng(t);
  const c = counts(blockMask(attrs(rng, {batch: n, gridH: grid, gridW: grid, ratios: [ratio]})), grid * grid);
  const s = stats(c);
  const cap = Math.floor(ratio * grid * grid);
  t.log(`block r = ${ratio}, ${grid}x${grid}, ${n} masks: ${fmt(s)} (official mean ${officialMean})`);
  t.true(Math.abs(s.mean - officialMean) <= tol, `mean ${s.mean} vs ${officialMean} ± ${tol}`);
  t.true(s.max <= cap, `count <= floor(T) = ${cap}, got max ${s.max}`);
  return c;
}

test('T1 block r = 0.3 on 14x14: mean 57.25, max exactly 58 = floor(58.8), P(58) about 0.58', (t) => {
  const c = checkFixedRatio(t, 14, 0.3, 8000, 57.25, 0.5);
  t.is(Math.max(...c), 58);
  const p58 = c.filter((x) => x === 58).length / c.length;
  t.log(`P(count = 58) = ${p58.toFixed(4)}`);
  t.true(Math.abs(p58 - 0.58) <= 0.05, `P(58) = ${p58}`);
  t.true(Math.min(...c) > 0, 'r = 0.3 never gives an empty mask');
});

test('T1 block r = 0.3 on 6x6 (local crops): mean 9.93, max exactly 10 = floor(10.8)', (t) => {
  const c = checkFixedRatio(t, 6, 0.3, 8000, 9.93, 0.1);
  t.is(Math.max(...c), 10);
});

test('T1 block r = 0.5 on 14x14: mean 97.54, max <= 98', (t) => {
  checkFixedRatio(t, 14, 0.5, 8000, 97.54, 0.5);
});

test('T1 block r = 0.1 on 14x14: mean 17.56, max <= 19', (t) => {
  checkFixedRatio(t, 14, 0.1, 8000, 17.56, 0.5);
});

test('T1 recipe ratios [0, 0.3] vars [0, 0.2]: half empty, mean 28.53 overall and 57.15 among non-empty', (t) => {
  const rng = seededRng(t);
  // The overall std is ~33 cells and the non-empty one ~23: 400k masks put both means' standard errors near 0.05.
  // The spec's values come from 8000 masks (standard errors ~0.37 overall, ~0.36 non-empty). loader.py's algorithm
  // run in CPython on 2 x 100k masks gives 28.70 / 28.79 overall and 57.46 / 57.55 non-empty, so the non-empty
  // reference sits ~0.35 below its true value and a ±0.5 band would fail a correct generator in a noticeable share
  // of runs; ±0.8 (still far tighter than any real change to the ratio draw or the budget rule) keeps it robust.
  const c: number[] = [];
  for (let part = 0; part < 4; part++) {
    const a = attrs(rng, {batch: 100000, ratios: [0, 0.3], ratioVars: [0, 0.2]});
    for (const x of counts(blockMask(a), 196)) c.push(x);
  }
  let sum = 0, nonEmpty = 0, nonEmptySum = 0, max = 0, nonEmptyMin = Infinity;
  for (const x of c) {
    sum += x;
    max = Math.max(max, x);
    if (x > 0) {
      nonEmpty++;
      nonEmptySum += x;
      nonEmptyMin = Math.min(nonEmptyMin, x);
    }
  }
  const mean = sum / c.length, neMean = nonEmptySum / nonEmpty, pEmpty = 1 - nonEmpty / c.length;
  t.log(`recipe, 14x14, ${c.length} masks: overall mean ${mean.toFixed(3)}, max ${max}; ` +
        `P(empty) ${pEmpty.toFixed(4)}; ` +
        `non-empty mean ${neMean.toFixed(3)}, min ${nonEmptyMin}`);
  t.true(Math.abs(mean - 28.53) <= 0.5, `overall mean ${mean}`);
  t.true(Math.abs(pEmpty - 0.5) <= 0.03, `P(empty) ${pEmpty}`);
  t.true(Math.abs(neMean - 57.15) <= 0.8, `non-empty mean ${neMean}`);
  t.true(max <= 98, `count <= floor(0.5·196) = 98, got ${max}`);
});

test('T1 rand r = 0.3: exactly floor(T) = 58 cells every time, every cell equally likely', (t) => {
  const rng = seededRng(t);
  const n = 8000;
  const m = blockMask(attrs(rng, {batch: n, shape: 'rand'}));
  const c = counts(m, 196);
  t.true(c.every((x) => x === 58), `counts ${stats(c).min}..${stats(c).max}`);
  // Each cell is masked with probability 58/196; over 8000 masks its count has std ~41: allow 6 sigma.
  const perCell = new Array<number>(196).fill(0);
  for (let i = 0; i < m.length; i++) perCell[i % 196]! += m[i]!;
  const expect = (n * 58) / 196, sigma = Math.sqrt(n * (58 / 196) * (1 - 58 / 196));
  const worst = Math.max(...perCell.map((x) => Math.abs(x - expect)));
  t.true(worst <= 6 * sigma, `worst cell deviates by ${worst.toFixed(1)} (sigma ${sigma.toFixed(1)})`);
});

test('rand masks exactly floor(r·H·W) cells for random grids and ratios, clamped to the grid', (t) => {
  const rng = seededRng(t);
  for (let k = 0; k < 40; k++) {
    const h = rng.int(1, 20), w = rng.int(1, 20), r = rng.pick([0, 1, rng.next(), rng.next()]);
    const c = counts(blockMask(attrs(rng, {batch: 5, gridH: h, gridW: w, ratios: [r], shape: 'rand'})), h * w);
    const want = Math.min(Math.floor(r * h * w), h * w);
    t.true(c.every((x) => x === want), `${h}x${w} r = ${r}: counts ${c} vs ${want}`);
  }
});

test('ratio 0 gives empty masks (block and rand, scalar and list)', (t) => {
  const rng = seededRng(t);
  for (const shape of ['block', 'rand'] as const) {
    for (const [ratios, ratioVars] of [[[0], [0]], [[0, 0], [0, 0]]]) {
      const m = blockMask(attrs(rng, {batch: 64, ratios: ratios!, ratioVars: ratioVars!, shape}));
      t.true(m.every((x) => x === 0), `${shape} ratios ${ratios}`);
    }
  }
});

test('block masks never exceed floor(T) on random grids, ratios and ratio lists', (t) => {
  const rng = seededRng(t);
  for (let k = 0; k < 60; k++) {
    const h = rng.int(1, 24), w = rng.int(1, 24), r = rng.next() * 0.8, v = rng.next() * Math.min(r, 1 - r);
    const m = blockMask(attrs(rng, {batch: 20, gridH: h, gridW: w, ratios: [r], ratioVars: [0]}));
    const c = counts(m, h * w);
    t.true(Math.max(...c) <= Math.floor(r * h * w), `${h}x${w} r = ${r}: max ${Math.max(...c)}`);
    // With a variation the ratio stays within r ± v, so the count stays below floor((r + v)·H·W).
    const mv = blockMask(attrs(rng, {batch: 20, gridH: h, gridW: w, ratios: [r, 0.1], ratioVars: [v, 0.05]}));
    const cap = Math.floor(Math.max(r + v, 0.15) * h * w);
    t.true(Math.max(...counts(mv, h * w)) <= cap, `${h}x${w} r = ${r} ± ${v}`);
  }
});

test('crop b depends on (seed, step, b) only: not on the batch size, the thread count or the call', (t) => {
  const rng = seededRng(t);
  const base = attrs(rng, {ratios: [0, 0.3], ratioVars: [0, 0.2]});
  const big = blockMask({...base, batch: 200});
  const small = blockMask({...base, batch: 7});
  t.deepEqual(small, big.subarray(0, 7 * 196), 'the first crops of a larger batch are the same');
  t.deepEqual(blockMask({...base, batch: 200}), big, 'repeatable');
  const addon = nativeAddon();
  const threads = addon.info().cpu.threads;
  try {
    addon.setNumThreads(1);
    t.deepEqual(blockMask({...base, batch: 200}), big, 'one thread gives the same masks');
  } finally {
    addon.setNumThreads(threads);
  }
  const fixed = blockMask({...base, batch: 200, ratios: [0.3], ratioVars: [0]});
  const crops = new Set(counts(fixed, 196).map((_, b) => fixed.subarray(b * 196, (b + 1) * 196).join('')));
  t.true(crops.size >= 199, `crops within a batch differ: ${crops.size} distinct of 200`);
});

test('different steps and seeds give different masks', (t) => {
  const rng = seededRng(t);
  const base = attrs(rng, {batch: 32});
  const m = blockMask(base);
  const otherStep = blockMask({...base, step: (base.step + 1) >>> 0});
  const otherSeed = blockMask({...base, seed: (base.seed ^ 1) >>> 0});
  const differing = (a: Uint8Array, b: Uint8Array) =>
      counts(a.map((x, i) => x ^ b[i]!), 196).filter((x) => x > 0).length;
  t.true(differing(m, otherStep) >= 28, `crops changed by the next step: ${differing(m, otherStep)} of 32`);
  t.true(differing(m, otherSeed) >= 28, `crops changed by another seed: ${differing(m, otherSeed)} of 32`);
});

test('edge shapes: empty batch, 1x1 and thin grids, a batch of one', (t) => {
  const rng = seededRng(t);
  t.is(blockMask(attrs(rng, {batch: 0})).length, 0);
  t.is(blockMask(attrs(rng, {batch: 3, gridH: 0, gridW: 5})).length, 0);
  // 1x1: no rectangle can be smaller than the grid, so 'block' never masks; 'rand' with r = 1 masks the cell.
  t.true(blockMask(attrs(rng, {batch: 16, gridH: 1, gridW: 1, ratios: [1]})).every((x) => x === 0));
  t.true(blockMask(attrs(rng, {batch: 16, gridH: 1, gridW: 1, ratios: [1], shape: 'rand'})).every((x) => x === 1));
  // Rectangles are strictly smaller than the grid in both directions: a 1-row grid never gets a block.
  t.true(blockMask(attrs(rng, {batch: 16, gridH: 1, gridW: 30, ratios: [0.5]})).every((x) => x === 0));
  const thin = counts(blockMask(attrs(rng, {batch: 64, gridH: 2, gridW: 30, ratios: [0.4]})), 60);
  t.true(thin.every((x) => x <= 24) && thin.some((x) => x > 0), `2x30: ${stats(thin).min}..${stats(thin).max}`);
});

test('a full-grid union is possible but no single rectangle spans the grid (r = 1 on 4x4 stays below 16)', (t) => {
  // Each rectangle is at most 3x3 on a 4x4 grid; overlapping ones may cover everything, never more than floor(T).
  const rng = seededRng(t);
  const c = counts(blockMask(attrs(rng, {batch: 2000, gridH: 4, gridW: 4, ratios: [1]})), 16);
  t.true(c.every((x) => x <= 16));
  t.true(c.some((x) => x >= 9), 'large unions occur');
});

test('the CUDA kernel writes the CPU kernel\'s masks (when the backend under test is cuda)', (t) => {
  const rng = seededRng(t);
  for (let k = 0; k < 30; k++) {
    const h = rng.int(1, 20), w = rng.int(1, 20);
    const r = rng.next() * 0.6, v = rng.next() * Math.min(r, 0.3);
    const a = attrs(rng, {batch: rng.int(1, 300), gridH: h, gridW: w, ratios: [r, 0.2, 0], ratioVars: [v, 0.1, 0],
                          shape: rng.pick(['block', 'rand'] as const)});
    const got = blockMask(a), want = blockMask(a, 'native');
    const bad = got.findIndex((x, i) => x !== want[i]);
    t.is(bad, -1, `${JSON.stringify(a)}: first difference at ${bad}`);
  }
  if (backendUnderTest === 'native') t.log('backend under test is native: this compares native with itself');
});
