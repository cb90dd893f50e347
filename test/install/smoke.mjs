// Runs where test/install/run.mjs installed the packed packages with npm: what a user's first program does after
// `npm install @ibotjs/tfjs-backend-native @tensorflow/tfjs-core`, then an import of every other installed @ibotjs
// package. Prints `ok - ...` / `not ok - ...` per check, then info().
import {readdirSync} from 'node:fs';

import {info} from '@ibotjs/tfjs-backend-native';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

let failures = 0;
function check(ok, name, detail = '') {
  if (!ok) failures++;
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}${detail ? ` (${detail})` : ''}`);
}

// Fresh inputs every run (seed printed); odd sizes so no kernel path is a multiple of a vector width.
const seed = Date.now() >>> 0;
let s = seed;
function random() {  // mulberry32
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1;
}
const [M, K, N] = [67, 129, 45];
const a = Float32Array.from({length: M * K}, random);
const b = Float32Array.from({length: K * N}, random);

async function matMulOn(backend) {
  await tf.setBackend(backend);
  const y = tf.tidy(() => tf.matMul(tf.tensor2d(a, [M, K]), tf.tensor2d(b, [K, N])));
  const values = await y.data();
  y.dispose();
  return {backend: tf.getBackend(), values};
}

await tf.ready();
check(tf.getBackend() === 'native' || tf.getBackend() === 'cuda',
      'importing the package makes a native backend the default', tf.getBackend());
const native = await matMulOn('native');
check(native.backend === 'native', "tf.setBackend('native') works");
const cpu = await matMulOn('cpu');
let maxDiff = 0;
for (let i = 0; i < native.values.length; i++) maxDiff = Math.max(maxDiff, Math.abs(native.values[i] - cpu.values[i]));
// Products of values in [-1, 1] summed over K = 129 terms in float32: rounding error is ~1e-5 at most.
check(native.values.length === M * N && maxDiff <= 1e-4, `matMul [${M},${K}]x[${K},${N}] on native matches tfjs cpu`,
      `max |diff| ${maxDiff.toExponential(2)}, seed ${seed}`);
const i = info();
check(i.binary.includes('/node_modules/@ibotjs/native/prebuilds/'), 'the prebuilt binary was loaded', i.binary);
check(i.backends.includes('native'), "info() lists the 'native' backend", i.backends.join(', '));
check(i.binarySource === 'prebuild', 'info() says the binary is the prebuild', i.binarySource);
// Every package that was packed and installed loads from its tarball (its `exports`, `files` and dependencies are
// complete): the list comes from node_modules, so a new workspace package is covered without editing this file.
for (const dir of readdirSync(new URL('./node_modules/@ibotjs/', import.meta.url)).sort()) {
  const name = `@ibotjs/${dir}`;
  try {
    const m = await import(name);
    check(Object.keys(m).length > 0, `${name} imports from its tarball`, `${Object.keys(m).length} exports`);
  } catch (e) {
    check(false, `${name} imports from its tarball`, String(e?.message ?? e).split('\n')[0]);
  }
}
console.log(`info() = ${JSON.stringify(i, null, 2)}`);
process.exit(failures > 0 ? 1 : 0);
