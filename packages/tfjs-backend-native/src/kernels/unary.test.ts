// Parity of the unary kernels with the tfjs cpu backend: every kernel and accepted dtype on random shapes of rank 0-6
// (odd sizes, empty tensors, narrow and wide value ranges), special values (NaN, ±Inf, ±0, huge, denormal, int32
// edges) with the sign of zero results, inputs split across threads, and the same checks on every CPU ISA path
// (generic, AVX2, AVX-512) the machine has.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {nativeAddon} from '../index.js';
import {backendUnderTest} from '../testing/parity.js';
import {randomShape, randomTensor, Rng, testSeed} from '../testing/random.js';
import {check, hostTensor, kernelFn, specialFloats, specialInts} from './elementwise_test_helpers.js';

type Dtype = 'float32' | 'int32' | 'bool';
const F: Dtype[] = ['float32'];
const FI: Dtype[] = ['float32', 'int32'];
const FIB: Dtype[] = ['float32', 'int32', 'bool'];

// Tolerances: the default (rtol 1e-5, atol 1e-6) holds for every kernel. The float32 exp/log/tanh/sigmoid we use are
// a few ulp from tfjs's float64 Math.* (about 1e-7 relative), and Erf evaluates tfjs's approximation in float32
// (about 1e-7 absolute near 0, inside atol).
const kernels: Array<[string, Dtype[], Record<string, number>?]> = [
  ['Neg', FI], ['Square', FI], ['Sqrt', F], ['Rsqrt', F], ['Exp', F], ['Expm1', F], ['Log', F], ['Log1p', F],
  ['Erf', F], ['Tanh', F], ['Abs', FI], ['Sign', FI], ['Relu', FI], ['Relu6', FI], ['Elu', F], ['Selu', F],
  ['LeakyRelu', F, {alpha: 0.1}], ['Step', F, {alpha: -0.3}], ['Sigmoid', F], ['Softplus', F], ['Floor', FI],
  ['Ceil', FI], ['Round', FI], ['Reciprocal', F], ['LogicalNot', FIB], ['IsNan', FIB], ['IsInf', FIB],
  ['IsFinite', FIB], ['Sin', F], ['Cos', F], ['ClipByValue', FI, {clipValueMin: -1.5, clipValueMax: 2.25}],
];

// tfjs cpu's Abs and Square return int32 results through a Float32Array, so |-2^31| and squares past 2^31 stay
// floats there and cannot be int32 values here: those inputs are left out for these two kernels.
function intEdges(name: string): number[] {
  if (name === 'Abs') return specialInts.filter((v) => v !== -2147483648);
  if (name === 'Square') return specialInts.filter((v) => Math.abs(v) <= 46340);
  return specialInts;
}

function runKernelChecks(t: import('ava').ExecutionContext, rng: Rng, name: string, dtypes: Dtype[],
                         attrs: Record<string, number>, ranks: number[]): void {
  const fn = kernelFn(name, ['x'], attrs);
  for (const dtype of dtypes) {
    for (const rank of ranks) {
      const shape = randomShape(rng, rank, rank > 4 ? 4 : 9);
      for (const range of [{min: -3, max: 3}, {min: -100, max: 100}]) {
        check(t, fn, [randomTensor(rng, shape, dtype, dtype === 'bool' ? {} : range)],
              {label: `${name} ${dtype} [${shape}]`, native: name});
      }
    }
    if (dtype === 'float32') check(t, fn, [hostTensor(specialFloats, 'float32')], {label: name, native: name});
    if (dtype === 'int32') check(t, fn, [hostTensor(intEdges(name), 'int32')], {label: name, native: name});
    check(t, fn, [randomTensor(rng, [2, 0, 3], dtype)], {label: `${name} empty`, native: name});
  }
}

for (const [name, dtypes, attrs = {}] of kernels) {
  test(`${name} matches cpu for ${dtypes.join(', ')} on random shapes of rank 0-6 and special values`, (t) => {
    const seed = testSeed();
    t.log(`seed ${seed}`);
    runKernelChecks(t, new Rng(seed), name, dtypes, attrs, [0, 1, 2, 3, 4, 5, 6]);
  });
}

test('unary kernels with other attributes, and large inputs split across threads', (t) => {
  const rng = new Rng(testSeed());
  for (const alpha of [0, 0.2, -1.7, 1e-3]) {
    check(t, kernelFn('LeakyRelu', ['x'], {alpha}), [randomTensor(rng, [33, 3])], {native: 'LeakyRelu'});
    check(t, kernelFn('Step', ['x'], {alpha}), [randomTensor(rng, [33, 3])], {native: 'Step'});
  }
  // Fractional bounds on int32 compare as numbers and store truncated, as in tfjs; equal bounds; infinite bounds.
  for (const [lo, hi] of [[-2.5, 3.7], [1, 1], [-Infinity, 0.5], [0.1, 0.2], [-1e10, 1e10]]) {
    const fn = kernelFn('ClipByValue', ['x'], {clipValueMin: lo, clipValueMax: hi});
    check(t, fn, [randomTensor(rng, [101])], {native: 'ClipByValue'});
    check(t, fn, [randomTensor(rng, [101], 'int32')], {native: 'ClipByValue'});
    check(t, fn, [hostTensor(specialFloats, 'float32')], {native: 'ClipByValue'});
  }
  for (const name of ['Exp', 'Tanh', 'Sigmoid', 'Relu', 'Softplus', 'Round']) {
    check(t, kernelFn(name, ['x']), [randomTensor(rng, [100003], 'float32', {min: -20, max: 20})], {native: name});
  }
  check(t, kernelFn('Neg', ['x']), [randomTensor(rng, [70001], 'int32', {min: -1e9, max: 1e9})], {native: 'Neg'});
});

test('rounding kernels match cpu on halves, where banker\'s rounding and signed zeros matter', (t) => {
  const halves = [];
  for (let k = -20; k <= 20; k++) halves.push(k + 0.5, k + 0.25, -(k + 0.5));
  halves.push(8388607.5, -8388607.5, 16777215, 0.49999997, -0.49999997);
  for (const name of ['Round', 'Floor', 'Ceil', 'Sign', 'Relu', 'Neg', 'Abs']) {
    check(t, kernelFn(name, ['x']), [hostTensor(halves, 'float32')], {label: name, native: name});
  }
});

test('every CPU ISA path (generic, AVX2, AVX-512) matches cpu', (t) => {
  if (backendUnderTest !== 'native') {
    t.pass('ISA paths are a CPU matter');
    return;
  }
  const addon = nativeAddon();
  const best = addon.info().cpu.bestIsa;
  const seed = testSeed();
  t.log(`seed ${seed}, best ISA ${best}`);
  const tried: string[] = [];
  try {
    for (const isa of ['generic', 'avx2', 'avx512'] as const) {
      if (!addon.setCpuIsa(isa)) continue;
      t.is(addon.info().cpu.isa, isa);
      tried.push(isa);
      const rng = new Rng(seed);
      for (const [name, dtypes, attrs = {}] of kernels) runKernelChecks(t, rng, name, dtypes, attrs, [1, 3]);
      // The binary, cast, select and add_n loops live in the same per-ISA code.
      const x = randomTensor(rng, [1031]), y = randomTensor(rng, [1031]);
      for (const name of ['Add', 'Maximum', 'SquaredDifference', 'Less', 'FloorDiv']) {
        check(t, kernelFn(name, ['a', 'b']), [x, y], {label: `${isa} ${name}`, native: name});
      }
      check(t, kernelFn('Cast', ['x'], {dtype: 'int32'}), [hostTensor(specialFloats, 'float32')], {native: 'Cast'});
      check(t, (a, b, c) => tf.addN([a!, b!, c!]), [x, y, x], {native: 'AddN'});
    }
  } finally {
    addon.setCpuIsa(best);
  }
  t.is(addon.info().cpu.isa, best);
  t.true(tried.includes('generic'), 'the generic path always exists');
  t.log(`ISA paths tested: ${tried.join(', ')}`);
});
