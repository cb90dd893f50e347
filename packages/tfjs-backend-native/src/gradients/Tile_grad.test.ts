// Tile's gradient override against float64 finite differences (ranks 1-5, reps with 1s and 0s), and its shape: one
// Sum whatever the repetitions, where tfjs-core 4.22 runs a slice and an add per repetition.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test, {type ExecutionContext} from 'ava';

import {assertGradMatchesReference64} from '../testing/gradcheck.js';
import {backendUnderTest, useBackend} from '../testing/parity.js';
import {randomShape, randomTensor, Rng, seededRng} from '../testing/random.js';
import {tileGradConfig} from './Tile_grad.js';

/** Float64 reference of tile(x, reps), flattened row-major: out[..., i, ...] = x[..., i mod d, ...]. */
function tile64(x: Float64Array, shape: readonly number[], reps: readonly number[]): Float64Array {
  const outShape = shape.map((d, i) => d * reps[i]!);
  const size = outShape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  for (let o = 0; o < size; o++) {
    let rest = o, src = 0, stride = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      src += (rest % outShape[d]! % shape[d]!) * stride;
      rest = Math.floor(rest / outShape[d]!);
      stride *= shape[d]!;
    }
    out[o] = x[src]!;
  }
  return out;
}

function check(t: ExecutionContext, rng: Rng, shape: number[], reps: number[]): void {
  const x = randomTensor(rng, shape, 'float32', {min: -1, max: 1});
  for (const backend of ['cpu', backendUnderTest]) {
    assertGradMatchesReference64(t, (a: tf.Tensor) => tf.tile(a, reps), ([a]) => tile64(a!, shape, reps), [x],
                                 {backend, seed: rng.int(0, 2 ** 31), label: `tile([${shape}], [${reps}])`});
  }
}

test('the Tile gradient registered is ours', (t) => {
  t.is(tf.getGradient(tf.Tile)?.gradFunc, tileGradConfig.gradFunc);
});

test('Tile gradient matches float64 finite differences (ranks 1-5, reps with 1s and 0s)', (t) => {
  const rng = seededRng(t);
  const fixed: Array<[number[], number[]]> = [
    [[3], [1]], [[3], [4]], [[2, 3], [1, 1]], [[2, 3], [3, 1]], [[2, 3], [1, 3]], [[2, 3], [2, 2]],
    [[2, 3, 4], [1, 1, 3]],   // [B, N, 3D]: merges to [B*N, 3, D]
    [[1, 3, 1], [4, 1, 5]],   // a broadcastTo
    [[2, 1, 3, 2], [2, 3, 1, 2]], [[2, 2, 1, 2, 3], [1, 2, 3, 1, 2]],
    [[3, 2], [0, 2]], [[0, 2], [3, 1]],  // empty output, empty input
  ];
  for (const [shape, reps] of fixed) check(t, rng, shape, reps);
  for (let c = 0; c < 16; c++) {
    const shape = randomShape(rng, rng.int(1, 4), 4);
    check(t, rng, shape, shape.map(() => rng.pick([1, 1, 2, 3])));
  }
});

test('Tile gradient runs one Sum however many repetitions (no slice + add per repetition)', async (t) => {
  useBackend(backendUnderTest);
  const x = tf.randomUniform([2, 3, 4]);
  const reps = [3, 2, 4];  // 24 repetitions: tfjs-core 4.22's gradient runs 24 Slice and 24 Add kernels
  const dy = tf.randomUniform([6, 6, 16]);
  const info = await tf.profile(() => tf.grad((a: tf.Tensor) => tf.tile(a, reps))(x, dy));
  const names = info.kernels.map((k) => k.name);
  t.is(names.filter((n) => n === 'Sum').length, 1, names.join(','));
  t.is(names.filter((n) => n === 'Slice' || n === 'Add').length, 0, names.join(','));
  tf.dispose([x, dy]);
});
