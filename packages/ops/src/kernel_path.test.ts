// The ops' kernel path without the native kernels: JS mocks of the fused-kernel contract (testing/mock_kernels.ts)
// are registered on tfjs's 'cpu' backend, and every parity case (testing/parity_cases.ts) must give the same
// outputs and gradients through the kernels (runKernel, the registered gradients and what they save) as through
// the composites. Also: 'auto' picks the kernels when present, the kernel path leaves no tensors behind, and the
// block mask op passes its normalised attributes to the kernel.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {runOn, useBackend} from '@ibotjs/tfjs-backend-native/testing/parity';
import {Rng, testSeed} from '@ibotjs/tfjs-backend-native/testing/random';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {blockMask} from './block_mask_op.js';
import {missingKernels, withFusedImpl} from './dispatch.js';
import {FUSED_KERNEL_NAMES, LayerNormFused} from './kernel_names.js';
import {layerNorm} from './layer_norm.js';
import {blockMaskCalls, registerMockKernels, unregisterMockKernels} from './testing/mock_kernels.js';
import {assertSameOutputs, parityCases, runCase} from './testing/parity_cases.js';

// Registered for this file's tests only: the GPU script runs every test file in one process, and the other files'
// tests on 'cpu' must keep meaning tfjs's own cpu backend.
test.before(() => registerMockKernels('cpu'));
test.after(() => unregisterMockKernels('cpu'));

const seed = testSeed();
// The block mask's composite is the JS generator, tested against the kernel in fused_parity.test.ts.
const cases = parityCases(new Rng(seed), 'cpu').filter((c) => !c.kernels.includes('BlockMask'));

/** Runs fn with 'cpu' (where the mocks are) as the active backend. */
async function onCpu<T>(fn: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  useBackend('cpu');
  try {
    return await fn();
  } finally {
    useBackend(previous);
  }
}

test('the mocks cover the whole contract on cpu', (t) => {
  t.deepEqual(missingKernels(FUSED_KERNEL_NAMES, 'cpu'), []);
});

for (const c of cases) {
  test(`${c.name}: kernel path (JS mock kernels) equals the composite, forward and gradients`, (t) => {
    t.log(`seed ${seed}`);
    assertSameOutputs(t, c, runCase('cpu', 'kernel', c), runCase('cpu', 'composite', c));
  });
}

test('the kernel path leaves no tensors behind: aux outputs (lse, mean, rstd, z, norms) are released', async (t) => {
  await onCpu(() => {
    for (const c of cases) {
      const before = tf.memory().numTensors;
      const xs = c.inputs.map((i) => tf.tensor(i.values, i.shape, i.dtype));
      const outs = withFusedImpl('kernel', () => c.run(...xs));
      tf.dispose([...outs, ...xs]);
      t.is(tf.memory().numTensors, before, `${c.name}: tensors leaked`);
    }
  });
});

test("'auto' takes the kernels when the backend registers them, and the composite when one is missing", async (t) => {
  const x = tf.tensor2d([[1, 2, 3], [4, 5, 7]]), g = tf.ones([3]), b = tf.zeros([3]);
  const kernelsRun = async () => (await tf.profile(() => {
    tf.dispose(layerNorm(x, g, b));
  })).kernelNames;
  t.true((await onCpu(kernelsRun)).includes(LayerNormFused), 'kernel path on cpu with the mocks');
  // Another backend without the mocks: the composite (stock Mean etc.), no error.
  const out = runOn('native', (xx, gg, bb) => layerNorm(xx!, gg!, bb!), [
    {shape: [2, 3], dtype: 'float32', values: Float32Array.from([1, 2, 3, 4, 5, 7])},
    {shape: [3], dtype: 'float32', values: Float32Array.from([1, 1, 1])},
    {shape: [3], dtype: 'float32', values: Float32Array.from([0, 0, 0])},
  ]);
  t.deepEqual(out[0]!.shape, [2, 3]);
  tf.dispose([x, g, b]);
});

test('blockMask hands the kernel its normalised attributes (scalar variation broadcast over the ratios)', async (t) => {
  const mask = await onCpu(() => withFusedImpl('kernel', () => blockMask({
    batch: 3, gridH: 6, gridW: 5, ratio: [0.1, 0.3], ratioVar: 0.05, seed: 42, step: 7,
  })));
  t.deepEqual(mask.shape, [3, 6, 5]);
  t.is(mask.dtype, 'bool');
  t.deepEqual(blockMaskCalls[blockMaskCalls.length - 1], {
    batch: 3, gridH: 6, gridW: 5, ratios: [0.1, 0.3], ratioVars: [0.05, 0.05], shape: 'block', seed: 42, step: 7,
  });
  mask.dispose();
});
