// BatchMatMul's gradient override against float64 finite differences: every transpose combination, batchless and
// broadcast batches (including the multi-axis broadcasts tfjs-core 4.22's own gradient gets wrong).
import '../testing/setup.js';

import {BatchMatMul, getGradient, matMul, type Tensor} from '@tensorflow/tfjs-core';
import test, {type ExecutionContext} from 'ava';

import {nativeKernels} from '../register_all_kernels.js';
import {assertGradMatchesReference64} from '../testing/gradcheck.js';
import {backendUnderTest} from '../testing/parity.js';
import {broadcastableShape, randomShape, randomTensor, Rng, seededRng} from '../testing/random.js';
import {batchMatMulGradConfig} from './BatchMatMul_grad.js';

const TRANSPOSES: ReadonlyArray<[boolean, boolean]> = [[false, false], [false, true], [true, false], [true, true]];

function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({length: r}, (_, i) => {
    const da = a[a.length - r + i] ?? 1, db = b[b.length - r + i] ?? 1;
    return da === 1 ? db : da;
  });
}

/** The flat index into `shape` (right-aligned to `out`, size-1 dims broadcast) of out's multi-index `idx`. */
function broadcastOffset(idx: readonly number[], shape: readonly number[]): number {
  let off = 0;
  shape.forEach((d, i) => (off = off * d + (d === 1 ? 0 : idx[idx.length - shape.length + i]!)));
  return off;
}

/** Float64 reference of matMul(a, b, transposeA, transposeB) with broadcast batch dims, flattened row-major. */
function matMul64(a: Float64Array, aShape: readonly number[], b: Float64Array, bShape: readonly number[],
                  tA: boolean, tB: boolean): Float64Array {
  const ra = aShape.length, rb = bShape.length;
  const m = tA ? aShape[ra - 1]! : aShape[ra - 2]!, k = tA ? aShape[ra - 2]! : aShape[ra - 1]!;
  const n = tB ? bShape[rb - 2]! : bShape[rb - 1]!;
  const batchA = aShape.slice(0, -2), batchB = bShape.slice(0, -2), batch = broadcastShapes(batchA, batchB);
  const P = batch.reduce((x, y) => x * y, 1);
  const out = new Float64Array(P * m * n);
  const idx = batch.map(() => 0);
  for (let p = 0; p < P; p++) {
    let rest = p;
    for (let d = batch.length - 1; d >= 0; d--) {
      idx[d] = rest % batch[d]!;
      rest = Math.floor(rest / batch[d]!);
    }
    const oa = broadcastOffset(idx, batchA) * m * k, ob = broadcastOffset(idx, batchB) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) {
          s += a[oa + (tA ? l * m + i : i * k + l)]! * b[ob + (tB ? j * k + l : l * n + j)]!;
        }
        out[(p * m + i) * n + j] = s;
      }
    }
  }
  return out;
}

/** a's and b's shapes for logical [..., m, k] x [..., k, n] under the given transposes. */
function operandShapes(batchA: number[], batchB: number[], m: number, k: number, n: number, tA: boolean, tB: boolean):
    [number[], number[]] {
  return [[...batchA, ...(tA ? [k, m] : [m, k])], [...batchB, ...(tB ? [n, k] : [k, n])]];
}

/**
 * tfjs cpu's BatchMatMul indexes an operand's batch by (flat output batch index) % (operand batch size), which is
 * right only when the operand's batch is the output's trailing batch dims after leading 1s ([5] or [1, 5] against
 * [2, 5]; not [2, 1] against [2, 5]). The reference run on 'cpu' is limited to such shapes.
 */
function cpuKernelBroadcastsRight(batch: readonly number[], out: readonly number[]): boolean {
  const padded = [...Array<number>(out.length - batch.length).fill(1), ...batch];
  const first = padded.findIndex((d) => d !== 1);
  return first < 0 || padded.slice(first).every((d, i) => d === out[first + i]);
}

function cpuCanRun(batchA: number[], batchB: number[]): boolean {
  const out = broadcastShapes(batchA, batchB);
  return cpuKernelBroadcastsRight(batchA, out) && cpuKernelBroadcastsRight(batchB, out);
}

const hasNativeBatchMatMul = nativeKernels.some((k) => k.kernelName === BatchMatMul);

function checkCase(t: ExecutionContext, rng: Rng, batchA: number[], batchB: number[],
                   m: number, k: number, n: number, backends: readonly string[]): void {
  for (const [tA, tB] of TRANSPOSES) {
    const [aShape, bShape] = operandShapes(batchA, batchB, m, k, n, tA, tB);
    const inputs = [randomTensor(rng, aShape, 'float32', {min: -1, max: 1}),
                    randomTensor(rng, bShape, 'float32', {min: -1, max: 1})];
    for (const backend of backends) {
      assertGradMatchesReference64(
          t, (a: Tensor, b: Tensor) => matMul(a, b, tA, tB),
          ([a, b]) => matMul64(a!, aShape, b!, bShape, tA, tB), inputs,
          {backend, seed: rng.int(0, 2 ** 31), label: `matMul([${aShape}], [${bShape}], ${tA}, ${tB})`});
    }
  }
}

test('the BatchMatMul gradient registered is ours (it replaces tfjs-core 4.22\'s)', (t) => {
  t.is(getGradient(BatchMatMul)?.gradFunc, batchMatMulGradConfig.gradFunc);
});

test('BatchMatMul gradient: no batch, equal batches, batchless and broadcast operands, all transposes', (t) => {
  const rng = seededRng(t);
  const cases: Array<[number[], number[]]> = [
    [[], []],           // [m, k] x [k, n]
    [[3], [3]],         // equal batches
    [[2, 3], [2, 3]],
    [[4], []],          // [B, m, k] x [k, n]: b's gradient takes the folded single-GEMM path
    [[2, 3], []],
    [[1, 1], []],
    [[], [4]],          // batchless a
    [[1], [5]],         // size-1 batch broadcast
    [[5], [1]],
    [[2, 5], [5]],      // trailing-dims broadcast
    [[5], [2, 5]],
    [[3, 1, 2], [2]],
    [[0], []],          // empty batch
  ];
  for (const [batchA, batchB] of cases) {
    checkCase(t, rng, batchA, batchB, rng.int(1, 5), rng.int(1, 5), rng.int(1, 5), ['cpu', backendUnderTest]);
  }
  // Degenerate inner and outer sizes.
  checkCase(t, rng, [2], [], 3, 0, 4, ['cpu', backendUnderTest]);
  checkCase(t, rng, [2], [2], 0, 3, 1, ['cpu', backendUnderTest]);
});

test('BatchMatMul gradient on random shapes and broadcast batches', (t) => {
  const rng = seededRng(t);
  for (let c = 0; c < 24; c++) {
    const batch = randomShape(rng, rng.int(0, 3), 3);
    const [batchA, batchB] = rng.next() < 0.5 ? [batch, broadcastableShape(rng, batch)] :
                                                [broadcastableShape(rng, batch), batch];
    // Multi-axis broadcasts need the native kernel: tfjs cpu's BatchMatMul computes them wrongly (see above).
    const backends = cpuCanRun(batchA, batchB) ? ['cpu', backendUnderTest] :
        hasNativeBatchMatMul ? [backendUnderTest] : [];
    checkCase(t, rng, batchA, batchB, rng.int(1, 4), rng.int(1, 4), rng.int(1, 4), backends);
  }
});

// [2,1,3,4] x [5,4,6] broadcasts a over axis 1 and b over axis 0. tfjs cpu's BatchMatMul returns a tensor with half
// its values for it (its flat-batch modulo indexing), so this runs only once the native BatchMatMul is registered.
(hasNativeBatchMatMul ? test : test.skip)(
    'BatchMatMul gradient with multi-axis broadcast batches (needs the native kernel: tfjs cpu mis-computes them)',
    (t) => {
      const rng = seededRng(t);
      t.false(cpuCanRun([2, 1], [5]));
      for (const [batchA, batchB] of [[[2, 1], [5]], [[2, 1], [1, 5]], [[1, 3], [2, 1]], [[4, 1, 2], [3, 1]]]) {
        checkCase(t, rng, batchA!, batchB!, 3, 4, 6, [backendUnderTest]);
      }
    });
