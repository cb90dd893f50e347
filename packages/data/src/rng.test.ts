import test from 'ava';
import {Rng, philox4x32} from './rng.js';
import {testSeed} from './testing/fixtures.js';

const hex = (a: Uint32Array) => Array.from(a, (x) => x.toString(16).padStart(8, '0')).join(' ');

test('philox4x32-10 matches the Random123 known-answer vectors', (t) => {
  const out = new Uint32Array(4);
  philox4x32([0, 0, 0, 0], [0, 0], out);
  t.is(hex(out), '6627e8d5 e169c58d bc57ac4c 9b00dbd8');
  philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], out);
  t.is(hex(out), '408f276d 41c83b0e a20bc7c6 6d5451fd');
  philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], out);
  t.is(hex(out), 'd16cfe09 94fdcceb 5001e420 24126ea1');
});

test('a stream is a pure function of (seed, epoch, index, stream); neighbouring streams differ', (t) => {
  const seed = testSeed(t);
  const draw = (sd: number, e: number, i: number, s: number) => {
    const r = new Rng(sd, e, i, s);
    return Array.from({length: 9}, () => r.nextU32());
  };
  t.deepEqual(draw(seed, 2, 5, 7), draw(seed, 2, 5, 7));
  for (const other of [draw(seed, 3, 5, 7), draw(seed, 2, 6, 7), draw(seed, 2, 5, 8), draw(seed + 1, 2, 5, 7)]) {
    t.notDeepEqual(other, draw(seed, 2, 5, 7));
  }
});

test('uniform() is in [0, 1) with the right mean and variance; below(n) is uniform; permutation is a permutation', (t) => {
  const rng = new Rng(testSeed(t), 0, 0, 0);
  const n = 200_000;
  let sum = 0, sumSq = 0, outside = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    if (!(u >= 0 && u < 1)) outside++;
    sum += u;
    sumSq += u * u;
  }
  t.is(outside, 0);
  // Standard errors: mean 1/sqrt(12 n) ≈ 6.5e-4; allow 6 of them.
  t.true(Math.abs(sum / n - 0.5) < 0.004, `mean ${sum / n}`);
  t.true(Math.abs(sumSq / n - sum ** 2 / n ** 2 - 1 / 12) < 0.003, `variance ${sumSq / n - (sum / n) ** 2}`);
  const k = 7, counts = new Array<number>(k).fill(0);
  for (let i = 0; i < 70_000; i++) counts[rng.below(k)]!++;
  // Each count ~ Binomial(70000, 1/7): sd ≈ 92; allow 6 sd.
  for (const c of counts) t.true(Math.abs(c - 10_000) < 550, `counts ${counts}`);
  const p = rng.permutation(1000);
  t.deepEqual(Array.from(p).sort((a, b) => a - b), Array.from({length: 1000}, (_, i) => i));
  t.throws(() => rng.below(0), {message: /below/});
  t.throws(() => new Rng(-1), {message: /seed/});
  t.throws(() => new Rng(1, 2 ** 32), {message: /epoch/});
});
