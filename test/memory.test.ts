// Memory discipline of the native backend: tf.memory() and the addon's own byte counters return to their baseline
// after tidy/dispose, and 200 training iterations of a small MLP grow neither.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {nativeAddon} from '@ibotjs/tfjs-backend-native';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

function snapshot() {
  const m = tf.memory();
  const n = nativeAddon().memory();
  return {tensors: m.numTensors, dataIds: tf.engine().backend.numDataIds(), bytes: m.numBytes,
          hostBytes: n.hostBytes, hostBuffers: n.hostBuffers};
}

test.serial('tidy and dispose return tensors and native bytes to the baseline', (t) => {
  const before = snapshot();
  tf.tidy(() => {
    const a = tf.randomNormal([33, 17]);
    const b = tf.randomNormal([17]);
    tf.div(tf.mul(tf.add(a, b), tf.sub(a, b)), tf.add(tf.abs(b), 1));
    tf.sum(tf.reshape(a, [17, 33]));
  });
  const x = tf.tensor([1, 2, 3]);
  const y = tf.reshape(x, [3, 1]);  // aliases x's buffer
  x.dispose();
  t.false(y.isDisposed);
  t.deepEqual(Array.from(y.dataSync()), [1, 2, 3], 'an alias outlives the tensor it was made from');
  y.dispose();
  t.deepEqual(snapshot(), before);
});

test.serial('200 forward+backward iterations of a small MLP leak nothing', (t) => {
  const w1 = tf.variable(tf.randomNormal([20, 32], 0, 0.3));
  const b1 = tf.variable(tf.zeros([32]));
  const w2 = tf.variable(tf.randomNormal([32, 5], 0, 0.3));
  const x = tf.randomNormal([16, 20]);
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0], 'int32'), 5);
  const opt = tf.train.sgd(0.05);
  const step = () => {
    const loss = opt.minimize(() => {
      const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
      return tf.losses.softmaxCrossEntropy(labels, tf.matMul(h, w2)) as tf.Scalar;
    }, true)!;
    const v = loss.dataSync()[0]!;
    loss.dispose();
    return v;
  };
  // The first steps create the optimizer's state; the baseline is taken after them.
  const first = step();
  step();
  const before = snapshot();
  let last = first;
  for (let i = 0; i < 200; i++) last = step();
  const after = snapshot();
  t.deepEqual(after, before);
  t.true(last < first, `the loss went down (${first} -> ${last}), so the steps did real work`);
  tf.dispose([w1, b1, w2, x, labels]);
  opt.dispose();
});

test.serial('freed host buffers are reused from the cache and can be released', (t) => {
  const addon = nativeAddon();
  addon.releaseCache();
  const big = tf.zeros([1024, 1024]);  // 4 MiB: cached on free
  big.dispose();
  const cached = addon.memory().hostCachedBytes;
  t.true(cached >= 4 * 1024 * 1024, `the 4 MiB buffer went to the cache (${cached} bytes cached)`);
  const again = tf.ones([1024, 1024]);
  t.true(addon.memory().hostCachedBytes < cached, 'a tensor of the same size takes it back');
  t.is(tf.sum(again).dataSync()[0], 1024 * 1024, 'and the reused buffer holds the new values');
  again.dispose();
  addon.releaseCache();
  t.is(addon.memory().hostCachedBytes, 0);
});
