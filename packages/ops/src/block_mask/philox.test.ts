// The JS Philox4x32-10 against Random123's known-answer vectors (tests/kat_vectors, the three "philox4x32 10" lines),
// and its 32-bit multiply halves against BigInt on random operands.
import test from 'ava';

import {mulhi32, mullo32, philox4x32_10} from './philox.js';

const kat: Array<[number[], [number, number], number[]]> = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff],
   [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
  [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0],
   [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
];

test('philox4x32_10 reproduces the Random123 known-answer vectors', (t) => {
  for (const [ctr, [k0, k1], want] of kat) t.deepEqual(Array.from(philox4x32_10(ctr, k0, k1)), want);
});

test('mulhi32 and mullo32 equal the 64-bit product\'s halves', (t) => {
  const seed = (Math.random() * 2 ** 32) >>> 0;
  t.log(`seed ${seed}`);
  let s = seed;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  const edge = [0, 1, 2, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
  const pairs: Array<[number, number]> = [];
  for (const a of edge) for (const b of edge) pairs.push([a, b]);
  for (let i = 0; i < 20000; i++) pairs.push([next(), next()]);
  const wrong = pairs.find(([a, b]) => {
    const p = BigInt(a) * BigInt(b);
    return mulhi32(a, b) !== Number(p >> 32n) || mullo32(a, b) !== Number(p & 0xffffffffn);
  });
  t.is(wrong, undefined, wrong && `${wrong[0]} * ${wrong[1]}: hi ${mulhi32(...wrong)} lo ${mullo32(...wrong)}`);
});
