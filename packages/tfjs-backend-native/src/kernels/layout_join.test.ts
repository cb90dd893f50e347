// Parity of the joining and splitting kernels (Concat, Pack, Unpack, SplitV) with the tfjs cpu backend: random shapes
// of rank 0-6, any number of inputs, empty pieces, negative axes, float32/int32/bool, large pieces split over threads.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {assertParity, type TensorFn} from '../testing/parity.js';
import {type HostTensor, randomShape, randomTensor, seededRng} from '../testing/random.js';

const dtypes = ['float32', 'int32', 'bool'] as const;
const exact = {rtol: 0, atol: 0};

test('Concat matches cpu for 1-7 inputs of rank 1-6 along random (negative) axes, empty inputs included', (t) => {
  const rng = seededRng(t);
  for (let rank = 1; rank <= 6; rank++) {
    for (let trial = 0; trial < 8; trial++) {
      const dtype = dtypes[trial % 3]!;
      const base = randomShape(rng, rank, rank > 4 ? 4 : 6);
      const axis = rng.int(0, rank - 1);
      const inputs: HostTensor[] = Array.from({length: rng.int(1, 7)}, () => {
        const shape = base.slice();
        shape[axis] = rng.next() < 0.15 ? 0 : rng.int(1, 5);
        return randomTensor(rng, shape, dtype);
      });
      const given = rng.next() < 0.5 ? axis : axis - rank;
      assertParity(t, (...xs) => tf.concat(xs, given), inputs, exact,
                   `axis ${given} shapes ${inputs.map((i) => `[${i.shape}]`).join(' ')}`);
    }
  }
});

test('Concat of large inputs along axis 0 and along the last axis splits the copy over threads', (t) => {
  const rng = seededRng(t);
  const a = randomTensor(rng, [300, 257]), b = randomTensor(rng, [211, 257]);
  assertParity(t, (x, y) => tf.concat([x!, y!], 0), [a, b], exact);
  const c = randomTensor(rng, [300, 3]);
  assertParity(t, (x, y) => tf.concat([x!, y!, x!], 1), [a, c], exact);
});

test('Concat of inputs with different dtypes runs the cpu kernel and matches it', (t) => {
  const rng = seededRng(t);
  const a = randomTensor(rng, [2, 3], 'int32'), b = randomTensor(rng, [2, 2], 'float32');
  assertParity(t, (x, y) => tf.engine().runKernel('Concat', [x!, y!] as unknown as tf.NamedTensorMap,
                                                  {axis: 1}) as tf.Tensor,
               [a, b], exact);
});

test('Pack matches cpu for 1-6 inputs of rank 0-5 along random (negative) axes', (t) => {
  const rng = seededRng(t);
  for (let rank = 0; rank <= 5; rank++) {
    for (let trial = 0; trial < 6; trial++) {
      const shape = randomShape(rng, rank, 5);
      if (rank > 0 && rng.next() < 0.1) shape[0] = 0;
      const dtype = dtypes[trial % 3]!;
      const inputs = Array.from({length: rng.int(1, 6)}, () => randomTensor(rng, shape, dtype));
      const axis = rng.int(-(rank + 1), rank);
      assertParity(t, (...xs) => tf.stack(xs, axis), inputs, exact, `[${shape}] x${inputs.length} axis ${axis}`);
    }
  }
});

test('Unpack matches cpu for rank 1-6 along random (negative) axes', (t) => {
  const rng = seededRng(t);
  for (let rank = 1; rank <= 6; rank++) {
    for (let trial = 0; trial < 6; trial++) {
      const shape = randomShape(rng, rank, rank > 4 ? 4 : 6);
      const axis = rng.int(-rank, rank - 1);
      const x = randomTensor(rng, shape, dtypes[trial % 3]!);
      assertParity(t, (a) => tf.unstack(a!, axis), [x], exact, `[${shape}] axis ${axis}`);
    }
  }
});

test('SplitV matches cpu for counts and size lists (with -1 and 0 sizes) of rank 1-6', (t) => {
  const rng = seededRng(t);
  for (let rank = 1; rank <= 6; rank++) {
    for (let trial = 0; trial < 8; trial++) {
      const shape = randomShape(rng, rank, rank > 4 ? 4 : 8);
      const axis = rng.int(0, rank - 1);
      const dim = shape[axis]!;
      let splits: number | number[];
      if (trial % 2 === 0) {
        const divisors = Array.from({length: dim}, (_, i) => i + 1).filter((d) => dim % d === 0);
        splits = rng.pick(divisors);
      } else {
        const sizes: number[] = [];
        let left = dim;
        while (left > 0 && sizes.length < 5) {
          const s = rng.int(0, left);
          sizes.push(s);
          left -= s;
        }
        sizes.push(left);
        // Not at index 0: tfjs's prepareSplitSize then counts the -1 itself in the total and rejects the split.
        if (sizes.length > 1 && rng.next() < 0.5) sizes[rng.int(1, sizes.length - 1)] = -1;
        splits = sizes;
      }
      const x = randomTensor(rng, shape, dtypes[trial % 3]!);
      const given = rng.next() < 0.5 ? axis : axis - rank;
      const fn: TensorFn = (a) => tf.split(a!, Array.isArray(splits) ? splits.slice() : splits, given);
      assertParity(t, fn, [x], exact, `[${shape}] splits ${JSON.stringify(splits)} axis ${given}`);
    }
  }
});

test('splitting into one piece, packing one tensor and concatenating one input alias the input', (t) => {
  tf.tidy(() => {
    const x = tf.tensor([[1, 2], [3, 4]]);
    t.is(tf.split(x, 1, 0)[0]!.dataId, x.dataId);
    t.is(tf.stack([x], 1).dataId, x.dataId);
    t.is(tf.concat([x, tf.zeros([0, 2])], 0).dataId, x.dataId);
    t.is(tf.unstack(tf.reshape(x, [1, 4]))[0]!.dataId, x.dataId);
  });
});
