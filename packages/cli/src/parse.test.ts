// The flag value parsers: accepted spellings, and a clear rejection of everything else.
import test from 'ava';
import {InvalidArgumentError} from 'commander';

import {
  parseBoolean, parseChoice, parseCountOrFraction, parseInteger, parseNumber, parseNumberList, parseNumberOrList, parsePair,
} from './parse.js';
import {flagName, parseNormalize} from './train_flags.js';

const rejects = (t: import('ava').ExecutionContext, fn: () => unknown, message: RegExp) =>
  t.throws(fn, {instanceOf: InvalidArgumentError, message});

test('integers: bounds, no fractions, no junk', (t) => {
  t.is(parseInteger('12'), 12);
  t.is(parseInteger('0'), 0);
  t.is(parseInteger('5', 1), 5);
  rejects(t, () => parseInteger('0', 1), /integer ≥ 1, got '0'/);
  rejects(t, () => parseInteger('1.5'), /integer/);
  rejects(t, () => parseInteger('12abc'), /integer/);
  rejects(t, () => parseInteger(''), /integer/);
  rejects(t, () => parseInteger('-3'), /integer ≥ 0/);
  rejects(t, () => parseInteger('1e30'), /integer/);
});

test('numbers, booleans, lists and pairs', (t) => {
  t.is(parseNumber('5e-4'), 5e-4);
  t.is(parseNumber('-0.5'), -0.5);
  rejects(t, () => parseNumber('abc'), /expected a number/);
  rejects(t, () => parseNumber('Infinity'), /expected a number/);
  rejects(t, () => parseNumber(' '), /expected a number/);
  t.true(parseBoolean('true'));
  t.true(parseBoolean('YES'));
  t.false(parseBoolean('0'));
  t.false(parseBoolean('off'));
  rejects(t, () => parseBoolean('maybe'), /true or false/);
  t.deepEqual(parseNumberList('0,0.3'), [0, 0.3]);
  rejects(t, () => parseNumberList('0,,1'), /comma-separated/);
  rejects(t, () => parseNumberList('0,x'), /comma-separated/);
  t.deepEqual(parsePair('0.4,1'), [0.4, 1]);
  rejects(t, () => parsePair('0.4'), /two comma-separated/);
  rejects(t, () => parsePair('0.1,0.2,0.3'), /two comma-separated/);
  t.is(parseNumberOrList('0.3'), 0.3);
  t.deepEqual(parseNumberOrList('0,0.3'), [0, 0.3]);
});

test('choices, held-out sizes and normalisation', (t) => {
  const arch = parseChoice(['tiny', 'small'] as const);
  t.is(arch('small'), 'small');
  rejects(t, () => arch('huge'), /one of tiny, small, got 'huge'/);
  t.is(parseCountOrFraction('2000'), 2000);
  t.is(parseCountOrFraction('0.1'), 0.1);
  for (const bad of ['0', '1.5', '-1', 'x', '']) rejects(t, () => parseCountOrFraction(bad), /count ≥ 1 or a fraction/);
  t.is(parseNormalize('imagenet'), 'imagenet');
  t.is(parseNormalize('dataset'), 'dataset');
  t.deepEqual(parseNormalize('0.286:0.353'), {mean: [0.286], std: [0.353]});
  t.deepEqual(parseNormalize('0.5,0.5,0.5:0.2,0.2,0.2'), {mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2]});
  rejects(t, () => parseNormalize('0.5,0.5:0.2'), /MEAN:STD/);
  rejects(t, () => parseNormalize('imagenette'), /MEAN:STD/);
});

test('flag names are the kebab-case of the config fields', (t) => {
  t.is(flagName('batchSize'), 'batch-size');
  t.is(flagName('centerMomentum2'), 'center-momentum2');
  t.is(flagName('lr'), 'lr');
  t.is(flagName('warmupTeacherPatchTemp'), 'warmup-teacher-patch-temp');
});
