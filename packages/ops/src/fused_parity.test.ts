// The fused kernels of the backend under test ('native', or 'cuda' in the GPU script) against the composites of
// stock ops, op by op through the op functions: forward outputs and gradients on the same random inputs, with a
// check that the kernel path really ran the backend's kernels (no cpu fallback). Until the kernel branches are
// merged, every case fails with a message naming the kernels the backend does not register.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {assertRanNatively, backendUnderTest} from '@ibotjs/tfjs-backend-native/testing/parity';
import {Rng, testSeed} from '@ibotjs/tfjs-backend-native/testing/random';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {missingKernels} from './dispatch.js';
import {FUSED_KERNEL_NAMES} from './kernel_names.js';
import {assertSameOutputs, type ParityCase, parityCases, runCase} from './testing/parity_cases.js';

const backend = backendUnderTest;
// One seed for the whole file: the case list (and so the test titles) is built when the file loads.
const seed = testSeed();
const cases = parityCases(new Rng(seed), backend);

function missingMessage(missing: string[]): string {
  return `backend '${backend}' registers no kernel ${missing.map((k) => `'${k}'`).join(', ')}: the fused-kernel ` +
         'path cannot run (the native kernels live in the attention, norm, distill, mask and optim branches)';
}

test(`every fused kernel of the contract is registered for '${backend}'`, (t) => {
  const missing = missingKernels(FUSED_KERNEL_NAMES, backend);
  t.deepEqual(missing, [], missingMessage(missing));
});

for (const c of cases) {
  test(`${c.name}: the ${backend} kernels match the composite (forward and gradients)`, (t) => {
    t.log(`seed ${seed}`);
    const missing = missingKernels(c.kernels, backend);
    if (missing.length > 0) {
      t.fail(missingMessage(missing));
      return;
    }
    let kernel: ReturnType<typeof runCase> = [];
    assertRanNatively(t, c.kernels, () => (kernel = runCase(backend, 'kernel', c)));
    assertSameOutputs(t, c, kernel, runCase(backend, 'composite', c));
  });
}

test(`the default path ('auto') runs the ${backend} kernels`, async (t) => {
  const ran = async (c: ParityCase) => (await tf.profile(() => {
    runCase(backend, 'auto', c);
  })).kernelNames;
  for (const c of cases) {
    const missing = missingKernels(c.kernels, backend);
    if (missing.length > 0) {
      t.fail(`${c.name}: ${missingMessage(missing)}`);
      continue;
    }
    t.true((await ran(c)).includes(c.kernels[0]!), `${c.name}: '${c.kernels[0]}' did not run`);
  }
});
