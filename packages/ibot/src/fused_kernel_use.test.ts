// The training step runs on the fused kernels where the backend has them: every kernel of @ibotjs/ops' fused set is
// called during a short run on the backend under test, and the signature kernels of the stock-op composites that
// the fused ones replace (softmax for attention, erf for GELU, rsqrt for layer norm) are never called. Until a
// leftover stand-in in @ibotjs/vit was found, the backbone ran its attention, layer norms and MLP GELUs as
// composites while every op-level test passed; this test fails if any op falls back to its composite again.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {FUSED_KERNEL_NAMES} from '@ibotjs/ops';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {IbotTrainer} from './trainer.js';
import {tinyConfig} from './testing/tiny_config.js';

const COMPOSITE_SIGNATURES = ['Softmax', 'Erf', 'Rsqrt'];

test(`a training run on '${tf.getBackend()}' calls every fused kernel and none of the composites' signature kernels`,
     async (t) => {
  // Masks on every global crop (ratio 0.2-0.4), so the masked-patch kernels run at every step.
  const trainer = await IbotTrainer.create(tinyConfig({predRatio: 0.3, predRatioVar: 0.1, epochs: 1}));
  try {
    const info = await tf.profile(async () => {
      const result = await trainer.train();
      t.is(result.status, 'done');
      return [];
    });
    const called = new Set(info.kernels.map((k) => k.name));
    t.deepEqual(FUSED_KERNEL_NAMES.filter((name) => !called.has(name)), [], 'fused kernels never called');
    t.deepEqual(COMPOSITE_SIGNATURES.filter((name) => called.has(name)), [], 'composite kernels called');
  } finally {
    await trainer.dispose();
  }
});
