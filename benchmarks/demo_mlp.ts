// pnpm demo — the quick tour: trains the same small MLP classifier with plain tfjs code on 'native' and on tfjs 'cpu'
// and prints the loss curve and the speed of each. (The iBOT trainer replaces this as the main job.)
import '@tensorflow/tfjs-backend-cpu';
import '@ibotjs/tfjs-backend-native';

import * as tf from '@tensorflow/tfjs-core';

import {useBackend} from './lib/harness.js';
import {describeMachine} from './lib/machine.js';

const inputDim = 784, hidden = 512, classes = 10, batch = 256, steps = 30;

// A fixed random "teacher" labels random inputs, so the task is learnable and identical on every backend.
function makeData(): {x: tf.Tensor2D; y: tf.Tensor2D} {
  return tf.tidy(() => {
    const x = tf.randomNormal([batch * 4, inputDim], 0, 1, 'float32', 1) as tf.Tensor2D;
    const teacher = tf.randomNormal([inputDim, classes], 0, 1, 'float32', 2);
    const labels = tf.argMax(tf.matMul(x, teacher), 1);
    return {x, y: tf.cast(tf.oneHot(labels as tf.Tensor1D, classes), 'float32') as tf.Tensor2D};
  });
}

function train(backend: string): {lossFirst: number; lossLast: number; stepsPerSec: number} {
  const {x, y} = makeData();
  const w1 = tf.variable(tf.randomNormal([inputDim, hidden], 0, Math.sqrt(2 / inputDim), 'float32', 3));
  const b1 = tf.variable(tf.zeros([hidden]));
  const w2 = tf.variable(tf.randomNormal([hidden, classes], 0, Math.sqrt(1 / hidden), 'float32', 4));
  const b2 = tf.variable(tf.zeros([classes]));
  const opt = tf.train.sgd(0.1);
  const lossAt = (step: number) => () => {
    const start = (step % 4) * batch;
    const xb = tf.slice(x, [start, 0], [batch, inputDim]);
    const yb = tf.slice(y, [start, 0], [batch, classes]);
    const h = tf.relu(tf.add(tf.matMul(xb, w1), b1));
    const logits = tf.add(tf.matMul(h, w2), b2);
    return tf.losses.softmaxCrossEntropy(yb, logits) as tf.Scalar;
  };
  let lossFirst = 0, lossLast = 0;
  opt.minimize(lossAt(0));  // warm-up step (first-use allocations), not timed
  const t0 = performance.now();
  for (let step = 0; step < steps; step++) {
    const loss = opt.minimize(lossAt(step), true)!;
    const v = loss.dataSync()[0]!;
    loss.dispose();
    if (step === 0) lossFirst = v;
    lossLast = v;
    if (step % 10 === 0 || step === steps - 1) console.log(`  ${backend} step ${step}: loss ${v.toFixed(4)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([x, y, w1, b1, w2, b2]);
  opt.dispose();
  return {lossFirst, lossLast, stepsPerSec: steps / seconds};
}

console.log(describeMachine());
console.log(`\nMLP ${inputDim}-${hidden}-${classes}, batch ${batch}, SGD, ${steps} steps per backend\n`);
const results: Record<string, ReturnType<typeof train>> = {};
for (const backend of ['native', 'cpu']) {
  await useBackend(backend);
  results[backend] = train(backend);
}
const n = results['native']!, c = results['cpu']!;
console.log(`\nnative: ${n.stepsPerSec.toFixed(1)} steps/s, loss ${n.lossFirst.toFixed(3)} -> ${n.lossLast.toFixed(3)}`);
console.log(`cpu:    ${c.stepsPerSec.toFixed(2)} steps/s, loss ${c.lossFirst.toFixed(3)} -> ${c.lossLast.toFixed(3)}`);
console.log(`native is ${(n.stepsPerSec / c.stepsPerSec).toFixed(1)}x faster than tfjs cpu on this machine`);
