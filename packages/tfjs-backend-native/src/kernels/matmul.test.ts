// Parity of BatchMatMul and _FusedMatMul with the tfjs cpu backend: odd sizes around the micro-tile edges, all four
// transpose combinations, broadcast batches, empty dimensions, every bias shape and activation, the three ISA paths,
// 1 vs 2 threads, and the gradients of matMul.
//
// Tolerance: tfjs cpu sums 48-term blocks in double and adds the blocks in float32; we accumulate in float32 FMAs.
// For inputs in [-1, 1] the rounding error of a K-term float32 sum grows like sqrt(K) * 2^-24 * |terms| (random
// signs), so atol scales with sqrt(K): 1e-4 up to K = 64, 2.8e-4 at K = 512. That is still ~100x the expected error
// and far below what a wrong index, a missed edge column or a dropped K block would give (O(0.1 .. 10)).
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import type {NativeBackend} from '../backend.js';
import {nativeAddon} from '../index.js';
import {NativeBuffers} from '../testing/native_buffers.js';
import {
  assertClose,
  assertParity,
  assertRanNatively,
  backendUnderTest,
  dotTolerance,
  runOn,
} from '../testing/parity.js';
import {type HostTensor, randomTensor, Rng, seededRng, testSeed, unitTensor} from '../testing/random.js';

const SIZES = [1, 2, 3, 7, 17, 33, 65, 129, 257];

/** Operand shapes for op(a) [.., m, k] and op(b) [.., k, n] under the given transposes. */
function operandShapes(m: number, n: number, k: number, ta: boolean, tb: boolean): [number[], number[]] {
  return [ta ? [k, m] : [m, k], tb ? [n, k] : [k, n]];
}

const MATMUL_KERNELS = ['BatchMatMul', '_FusedMatMul'];

const matMul = (ta: boolean, tb: boolean) => (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, ta, tb);

test('matMul matches cpu on odd sizes with all four transpose combinations', (t) => {
  const rng = seededRng(t);
  assertRanNatively(t, MATMUL_KERNELS, () => {
    for (let trial = 0; trial < 24; trial++) {
      const [m, n, k] = [rng.pick(SIZES), rng.pick(SIZES), rng.pick(SIZES)];
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const [sa, sb] = operandShapes(m, n, k, ta, tb);
          assertParity(t, matMul(ta, tb), [unitTensor(rng, sa), unitTensor(rng, sb)], dotTolerance(k),
                       `m=${m} n=${n} k=${k} tA=${ta} tB=${tb}`);
        }
      }
    }
  });
});

test('matMul matches cpu on a ~500 case and on shapes that span several cache blocks', (t) => {
  const rng = seededRng(t);
  assertRanNatively(t, MATMUL_KERNELS, () => {
    for (const [m, n, k] of [[509, 497, 503], [67, 1031, 389], [1000, 37, 700]] as const) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const [sa, sb] = operandShapes(m, n, k, ta, tb);
        assertParity(t, matMul(ta, tb), [unitTensor(rng, sa), unitTensor(rng, sb)], dotTolerance(k),
                     `m=${m} n=${n} k=${k}`);
      }
    }
  });
});

test('batched matMul matches cpu where its batch indexing is exact (equal, one-sided, rank 2 vs rank 4)', (t) => {
  const rng = seededRng(t);
  const cases: Array<[number[], number[]]> = [
    [[3, 17, 9], [3, 9, 33]],            // equal batches
    [[4, 2, 7, 5], [4, 2, 5, 3]],        // rank 4, equal
    [[7, 5], [2, 3, 5, 6]],              // rank 2 vs rank 4
    [[2, 3, 7, 5], [5, 6]],              // rank 4 vs rank 2
    [[1, 13, 8], [6, 8, 19]],            // batch 1 broadcast
    [[5, 13, 8], [1, 8, 19]],
    [[384, 20, 16], [384, 16, 20]],      // many small matrices: one per task
  ];
  assertRanNatively(t, MATMUL_KERNELS, () => {
    for (const [sa, sb] of cases) {
      assertParity(t, matMul(false, false), [unitTensor(rng, sa), unitTensor(rng, sb)],
                   dotTolerance(sa[sa.length - 1]!), `[${sa}] x [${sb}]`);
    }
    // Transposed operands with a broadcast batch.
    assertParity(t, matMul(true, true), [unitTensor(rng, [4, 9, 17]), unitTensor(rng, [1, 23, 9])], dotTolerance(9),
                 'tA tB batched');
  });
});

test('two-sided batch broadcasting ([2,1,3,M,K] x [5,1,K,N]) matches cpu on explicitly broadcast operands', (t) => {
  // tfjs cpu indexes batch i of each operand as i % batchSize, which is not NumPy broadcasting when both sides
  // broadcast; the reference therefore broadcasts both operands on cpu first (what TF's BatchMatMulV2 computes).
  const rng = seededRng(t);
  for (const [ta, tb] of [[false, false], [true, true]] as const) {
    const [m, n, k] = [7, 9, 5];
    const [sa, sb] = operandShapes(m, n, k, ta, tb);
    const a = unitTensor(rng, [2, 1, 3, ...sa]), b = unitTensor(rng, [5, 1, ...sb]);
    const want = runOn('cpu', (x, y) => tf.matMul(tf.broadcastTo(x, [2, 5, 3, ...sa]),
                                                  tf.broadcastTo(y, [2, 5, 3, ...sb]), ta, tb), [a, b]);
    assertRanNatively(t, MATMUL_KERNELS, () => {
      const got = runOn(backendUnderTest, matMul(ta, tb), [a, b]);
      assertClose(t, got[0]!, want[0]!, dotTolerance(k), `tA=${ta} tB=${tb}`);
    });
  }
});

test('matMul with empty dimensions: M or N = 0 gives an empty result, K = 0 gives zeros', (t) => {
  const rng = seededRng(t);
  const cases = [[[0, 5], [5, 3]], [[4, 5], [5, 0]], [[4, 0], [0, 3]], [[2, 4, 0], [2, 0, 3]], [[0, 4, 5], [0, 5, 3]]];
  for (const [sa, sb] of cases) {
    assertParity(t, matMul(false, false), [unitTensor(rng, sa!), unitTensor(rng, sb!)], {}, `[${sa}] x [${sb}]`);
  }
  // K = 0 with a bias and an activation: act(bias).
  assertParity(t, (a, b, bias) => tf.fused.matMul({a, b, bias, activation: 'elu'}),
               [unitTensor(rng, [3, 0]), unitTensor(rng, [0, 4]), unitTensor(rng, [4])]);
});

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const;

test('fused matMul matches cpu for every bias shape and activation', (t) => {
  const rng = seededRng(t);
  const [m, n, k] = [37, 41, 29];
  // Per-column biases ride in the GEMM epilogue; [M, N], [M, 1] and batched ones take the broadcast pass.
  const biasShapes = [[n], [], [1], [1, n], [m, n], [m, 1], [2, 1, n], [2, m, n]];
  assertRanNatively(t, MATMUL_KERNELS, () => {
    for (const activation of ACTIVATIONS) {
      for (const biasShape of [null, ...biasShapes]) {
        for (const batched of [false, true]) {
          if (!batched && biasShape && biasShape.length === 3) continue;  // would enlarge the output: cpu path
          const sa = batched ? [2, m, k] : [m, k];
          const inputs = [unitTensor(rng, sa), unitTensor(rng, [k, n])];
          if (biasShape) inputs.push(randomTensor(rng, biasShape, 'float32'));
          const preluShape = rng.next() < 0.5 ? [n] : [m, n];
          if (activation === 'prelu') inputs.push(randomTensor(rng, preluShape, 'float32', {min: -0.5, max: 0.5}));
          assertParity(t, (a, b, ...rest) => {
            const bias = biasShape ? rest.shift() : undefined;
            const preluActivationWeights = activation === 'prelu' ? rest.shift() : undefined;
            return tf.fused.matMul({a, b, bias, activation, preluActivationWeights, leakyreluAlpha: 0.15});
          }, inputs, dotTolerance(k), `${activation} bias [${biasShape}] batched=${batched}`);
        }
      }
    }
  });
});

test('fused matMul with transposes and a [N] bias matches cpu on odd sizes', (t) => {
  const rng = seededRng(t);
  assertRanNatively(t, MATMUL_KERNELS, () => {
    for (let trial = 0; trial < 12; trial++) {
      const [m, n, k] = [rng.pick(SIZES), rng.pick(SIZES), rng.pick(SIZES)];
      const ta = rng.next() < 0.5, tb = rng.next() < 0.5;
      const activation = rng.pick(ACTIVATIONS.filter((a) => a !== 'prelu'));
      const [sa, sb] = operandShapes(m, n, k, ta, tb);
      assertParity(t, (a, b, bias) => tf.fused.matMul({a, b, bias, transposeA: ta, transposeB: tb, activation}),
                   [unitTensor(rng, sa), unitTensor(rng, sb), unitTensor(rng, [n])], dotTolerance(k),
                   `${m}x${n}x${k} ${activation}`);
    }
  });
});

test('activations propagate NaN and map -0 like the cpu kernels', (t) => {
  // a = [[NaN], [-0], [0], [-1], [1], [7]] times b = [[1]]: each activation sees exactly these values.
  const a: HostTensor = {shape: [6, 1], dtype: 'float32', values: new Float32Array([NaN, -0, 0, -1, 1, 7])};
  const b: HostTensor = {shape: [1, 1], dtype: 'float32', values: new Float32Array([1])};
  for (const activation of ACTIVATIONS.filter((x) => x !== 'prelu')) {
    const fn = (x: tf.Tensor, y: tf.Tensor) => tf.fused.matMul({a: x, b: y, activation, leakyreluAlpha: 0.3});
    const want = runOn('cpu', fn, [a, b])[0]!;
    const got = runOn(backendUnderTest, fn, [a, b])[0]!;
    assertClose(t, got, want, {rtol: 1e-6, atol: 0}, activation);  // NaN only matches NaN
    t.deepEqual(Array.from(got.values, (v) => Object.is(v, -0)), Array.from(want.values, (v) => Object.is(v, -0)),
                `${activation}: signs of zero`);
  }
});

test('exact-erf GELU epilogue (native entry) matches x * (1 + erf(x / sqrt 2)) / 2 on cpu', (t) => {
  const rng = seededRng(t);
  const [m, n, k] = [45, 70, 33];
  const a = unitTensor(rng, [m, k]), b = unitTensor(rng, [k, n]), bias = unitTensor(rng, [n]);
  const want = runOn('cpu', (x, y, z) => {
    const h = tf.add(tf.matMul(x, y), z);
    return tf.mul(tf.mul(h, 0.5), tf.add(1, tf.erf(tf.mul(h, Math.SQRT1_2))));
  }, [a, b, bias])[0]!;
  const got = runOn(backendUnderTest, (x, y, z) => {
    const be = tf.backend() as NativeBackend;
    const info = be.makeOutput([m, n], 'float32');
    be.compute(info, (o) => be.addon.FusedMatMul(be.handle(x), x.shape, be.handle(y), y.shape, false, false,
                                                 be.handle(z), z.shape, 7, null, null, 0, o, [m, n]));
    return tf.engine().makeTensorFromTensorInfo(info);
  }, [a, b, bias])[0]!;
  // erf_f32 is a few ulp from libm; tf.erf on cpu uses a 1e-7-accurate approximation.
  assertClose(t, got, want, {rtol: 1e-4, atol: 2e-4});
});

test.serial('every ISA path (generic, avx2, avx512) matches cpu on odd sizes', (t) => {
  const rng = seededRng(t);
  const addon = nativeAddon();
  const best = addon.info().cpu.bestIsa;
  const isas = (['generic', 'avx2', 'avx512'] as const).filter((i) => addon.setCpuIsa(i));
  t.log(`ISA paths available here: ${isas.join(', ')}`);
  try {
    for (const isa of isas) {
      addon.setCpuIsa(isa);
      t.is(addon.info().cpu.isa, isa);
      for (let trial = 0; trial < 6; trial++) {
        const [m, n, k] = [rng.pick(SIZES), rng.pick(SIZES), rng.pick(SIZES)];
        const ta = trial % 2 === 1, tb = trial % 3 === 1;
        const [sa, sb] = operandShapes(m, n, k, ta, tb);
        const fn = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
            tf.fused.matMul({a, b, bias, transposeA: ta, transposeB: tb, activation: 'relu'});
        assertParity(t, fn,
                     [unitTensor(rng, sa), unitTensor(rng, sb), unitTensor(rng, [n])], dotTolerance(k),
                     `${isa} ${m}x${n}x${k}`);
      }
      assertParity(t, matMul(false, true), [unitTensor(rng, [24, 13, 11]), unitTensor(rng, [24, 19, 11])],
                   dotTolerance(11), `${isa} batched`);
    }
  } finally {
    addon.setCpuIsa(best);
  }
});

test.serial('1 and 2 threads give bitwise identical products', (t) => {
  const rng = seededRng(t);
  const addon = nativeAddon();
  const threads = addon.info().cpu.threads;
  const cases: Array<[number[], number[], boolean, boolean]> = [
    [[257, 129], [129, 65], false, false],
    [[300, 511], [300, 200], true, false],  // the row blocks differ with the thread count
    [[64, 197, 64], [64, 197, 64], false, true],
    [[65, 700], [700, 33], false, false],     // two K blocks, row blocks shared over a packed B
    [[9, 600], [600, 120], false, false],     // one row block: the columns are split across threads
  ];
  try {
    for (const [sa, sb, ta, tb] of cases) {
      const inputs = [unitTensor(rng, sa), unitTensor(rng, sb)];
      addon.setNumThreads(1);
      const one = runOn(backendUnderTest, matMul(ta, tb), inputs)[0]!;
      addon.setNumThreads(2);
      const two = runOn(backendUnderTest, matMul(ta, tb), inputs)[0]!;
      t.deepEqual(two.shape, one.shape);
      t.true(Buffer.from(two.values.buffer).equals(Buffer.from(one.values.buffer)), `[${sa}] x [${sb}]`);
    }
  } finally {
    addon.setNumThreads(threads);
  }
});

test('gradients of matMul (all transposes, batched) and of the fused op match cpu', (t) => {
  const rng = seededRng(t);
  const cases: Array<[number[], number[], boolean, boolean]> = [
    [[17, 9], [9, 13], false, false],
    [[9, 17], [9, 13], true, false],
    [[17, 9], [13, 9], false, true],
    [[3, 9, 17], [3, 13, 9], true, true],
  ];
  for (const [sa, sb, ta, tb] of cases) {
    const a = unitTensor(rng, sa), b = unitTensor(rng, sb);
    const [ra, rb] = [sa.length, sb.length];
    const outShape = [...sa.slice(0, -2), ta ? sa[ra - 1]! : sa[ra - 2]!, tb ? sb[rb - 2]! : sb[rb - 1]!];
    const w = unitTensor(rng, outShape);
    const loss = (z: tf.Tensor) => (p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), z));
    assertParity(t, (x, y, z) => tf.grads(loss(z))([x, y]),
                 [a, b, w], dotTolerance(64), `grad [${sa}] x [${sb}] tA=${ta} tB=${tb}`);
  }
  // The fused op's gradient with a bias and relu.
  assertParity(t, (x, y, bias, z) => tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) =>
      tf.sum(tf.mul(tf.fused.matMul({a: p, b: q, bias: r, activation: 'relu'}), z)))([x, y, bias]),
      [unitTensor(rng, [21, 11]), unitTensor(rng, [11, 15]), unitTensor(rng, [15]), unitTensor(rng, [21, 15])],
      dotTolerance(64), 'fused grad');
});

test('int32 matMul runs on the cpu fallback with cpu results', (t) => {
  const rng = new Rng(testSeed());
  assertParity(t, matMul(false, false), [randomTensor(rng, [5, 7], 'int32'), randomTensor(rng, [7, 3], 'int32')]);
});

test('the native BatchMatMul and FusedMatMul entries reject bad arguments with an Error', (t) => {
  const addon = nativeAddon();
  const bufs = new NativeBuffers();
  const f32 = (shape: number[]) => bufs.f32(shape);
  const i32 = (n: number) => bufs.alloc('int32', n);
  try {
    const a = f32([4, 3]), b = f32([3, 5]), out = f32([4, 5]), bias = f32([5]), bad = f32([7]);
    const mm = addon.BatchMatMul.bind(addon) as (...args: unknown[]) => void;
    const fused = addon.FusedMatMul.bind(addon) as (...args: unknown[]) => void;
    // The valid calls work, so every throw below is about the one thing that was changed.
    t.notThrows(() => mm(a, [4, 3], b, [3, 5], false, false, out, [4, 5]));
    t.notThrows(() => fused(a, [4, 3], b, [3, 5], false, false, bias, [5], 1, null, null, 0.2, out, [4, 5]));
    const badCalls: Array<[string, () => void]> = [
      ['too few arguments', () => mm(a, [4, 3], b, [3, 5], false, false, out)],
      ['not a handle', () => mm({}, [4, 3], b, [3, 5], false, false, out, [4, 5])],
      ['shape disagrees with the buffer', () => mm(a, [4, 4], b, [3, 5], false, false, out, [4, 5])],
      ['rank 1', () => mm(a, [12], b, [3, 5], false, false, out, [4, 5])],
      ['inner dimensions differ', () => mm(a, [4, 3], b, [5, 3], false, false, out, [4, 5])],
      ['inner dimensions differ (transposed)', () => mm(a, [4, 3], b, [3, 5], true, false, out, [4, 5])],
      ['batches do not broadcast', () => mm(f32([2, 4, 3]), [2, 4, 3], f32([3, 3, 5]), [3, 3, 5], false, false,
                                            f32([3, 4, 5]), [3, 4, 5])],
      ['wrong output shape', () => mm(a, [4, 3], b, [3, 5], false, false, f32([20]), [5, 4])],
      ['int32 operand', () => mm(i32(12), [4, 3], b, [3, 5], false, false, out, [4, 5])],
      ['transposeA not a boolean', () => mm(a, [4, 3], b, [3, 5], 0, false, out, [4, 5])],
      ['activation code out of range', () => fused(a, [4, 3], b, [3, 5], false, false, null, null, 8, null, null, 0,
                                                   out, [4, 5])],
      ['negative activation code', () => fused(a, [4, 3], b, [3, 5], false, false, null, null, -1, null, null, 0, out,
                                               [4, 5])],
      ['prelu without weights', () => fused(a, [4, 3], b, [3, 5], false, false, null, null, 5, null, null, 0, out,
                                            [4, 5])],
      ['weights without prelu', () => fused(a, [4, 3], b, [3, 5], false, false, null, null, 1, bias, [5], 0, out,
                                            [4, 5])],
      ['bias does not broadcast', () => fused(a, [4, 3], b, [3, 5], false, false, bad, [7], 0, null, null, 0, out,
                                              [4, 5])],
      ['bias would enlarge the output', () => fused(a, [4, 3], b, [3, 5], false, false, f32([2, 1, 5]), [2, 1, 5], 0,
                                                    null, null, 0, out, [4, 5])],
      ['int32 bias', () => fused(a, [4, 3], b, [3, 5], false, false, i32(5), [5], 0, null, null, 0, out, [4, 5])],
      ['leakyAlpha not a number', () => fused(a, [4, 3], b, [3, 5], false, false, null, null, 4, null, null, 'x', out,
                                              [4, 5])],
    ];
    const freed = bufs.freed('float32', 12);
    badCalls.push(['freed handle', () => mm(freed, [4, 3], b, [3, 5], false, false, out, [4, 5])]);
    for (const [what, call] of badCalls) {
      const e = t.throws(call, undefined, what);
      if (e) t.regex(e.message, /MatMul/, `${what}: the message names the op`);
    }
  } finally {
    bufs.releaseAll();
  }
});
