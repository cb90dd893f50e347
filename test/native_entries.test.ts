// Every native entry rejects bad arguments with a JS Error (never a crash): no arguments, garbage of every kind, and
// a freed tensor handle. Family tests check the specific shape and dtype rules of each entry.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {nativeAddon} from '@ibotjs/tfjs-backend-native';
import test from 'ava';

// Entries that legitimately take no arguments.
const noArgs = new Set(['info', 'buildInfo', 'memory', 'synchronize', 'timerStart', 'releaseCache']);

const garbage: unknown[][] = [
  [],
  [undefined],
  [null, null, null, null],
  [{}, [1, 2], {}, [3], {}, [2]],
  [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
  ['x', 'y', 'z'],
  [[-1], [1.5], [Number.NaN], [Infinity]],
];

test('every native entry throws an Error naming itself for garbage arguments', (t) => {
  const addon = nativeAddon() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const names = Object.keys(addon).filter((k) => typeof addon[k] === 'function' && !noArgs.has(k));
  t.true(names.length > 10, `the addon exports ${names.length} entries`);
  for (const name of names) {
    for (const args of garbage) {
      if (name === 'setCpuIsa' || name === 'setNumThreads' || name === 'setAllowTf32') continue;  // tested below
      const err = t.throws(() => addon[name]!(...args), {instanceOf: Error}, `${name}(${args.length} args)`);
      if (err) t.true(err.message.length > 0, `${name} gives a message`);
    }
  }
});

test('entries refuse a freed handle and a handle of the wrong kind', (t) => {
  const addon = nativeAddon();
  const h = addon.alloc(0, 0, 4);
  addon.free(h);
  t.throws(() => addon.readSync(h), {message: /already freed/});
  t.throws(() => addon.Add(h, [4], h, [4], h, [4]), {message: /^Add: .*already freed/});
  t.throws(() => addon.free(h), {message: /already freed/}, 'a double free is reported, not ignored');
  const timer = {} as never;
  t.throws(() => addon.readSync(timer), {message: /tensor handle/});
});

test('thread, ISA and TF32 controls validate their arguments', (t) => {
  const addon = nativeAddon();
  t.throws(() => addon.setNumThreads(0), {message: /threads/});
  t.throws(() => addon.setNumThreads(1.5 as number), {message: /integer/});
  t.throws(() => addon.setCpuIsa('sse9' as 'avx2'), {message: /isa/});
  t.throws(() => addon.setAllowTf32('yes' as unknown as boolean), {message: /boolean/});
  const threads = addon.info().cpu.threads;
  addon.setNumThreads(1);
  t.is(addon.info().cpu.threads, 1);
  addon.setNumThreads(threads);
  t.is(addon.info().cpu.threads, threads);
});
