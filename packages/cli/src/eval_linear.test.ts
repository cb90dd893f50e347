// `ibot eval linear` in-process on tiny synthetic data: the raw-pixel baseline (line format, --json, accuracy above
// chance), a random ViT, a 2-block run trained for a few steps (its default pooling, the CLS of the last 2 blocks; seeded), and bad
// input.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {backendUnderTest} from '@ibotjs/tfjs-backend-native/testing/parity';
import test from 'ava';

import {main} from './main.js';

async function run(...argv: string[]): Promise<{code: number; out: string; err: string}> {
  let out = '', err = '';
  const code = await main(argv, {stdout: {write: (s: string) => (out += s)}, stderr: {write: (s: string) => (err += s)}});
  return {code, out, err};
}

const DATA = ['--data', 'synthetic:90', '--held-out', '30', '--device', backendUnderTest];
const PROBE = ['--epochs', '6', '--lrs', '0.03,0.3,3', '--batch-size', '16'];
const LINE = /^linear probe \((.+), (\d+) dims, precomputed centre-view features: no training augmentation; (\d+) train \/ (\d+) val images, (\d+) epochs\): best top-1 (\d+\.\d\d) % \(lr ([\d.e-]+), epoch (\d+)\), top-5 (\d+\.\d\d) %$/;

test.serial('raw pixels: the result line, every lr in --json, accuracy far above chance; a random ViT\'s default pooling', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-linear-'));
  try {
    const json = join(dir, 'linear.json');
    const r = await run('eval', 'linear', '--baseline', 'pixels', ...DATA, ...PROBE, '--json', json);
    t.is(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    t.is(lines.length, 1);
    const m = LINE.exec(lines[0]!);
    t.truthy(m, r.out);
    t.deepEqual(m!.slice(1, 6), ['raw pixels', String(28 * 28), '60', '30', '6']);
    // The synthetic classes differ in their pixels: a linear classifier separates them far above chance (10 %).
    t.true(Number(m![6]) > 50, `top-1 ${m![6]} %`);
    t.regex(r.err, /the training augmentation of IBOT_SPEC §6\.3 is not applied/);
    t.regex(r.err, /epoch 6\/6, best top-1 so far/);
    const saved = JSON.parse(readFileSync(json, 'utf8')) as {
      perLr: {lr: number; scaledLr: number; top1: number; epoch: number}[]; best: {lr: number; top1: number; epoch: number}; history: unknown[];
    };
    t.deepEqual(saved.perLr.map((p) => p.lr), [0.03, 0.3, 3]);
    t.deepEqual(saved.perLr.map((p) => p.scaledLr), [0.03, 0.3, 3].map((lr) => (lr * 16) / 256));
    t.is(saved.history.length, 6);
    t.is(saved.best.top1, Math.max(...saved.perLr.map((p) => p.top1)));
    t.is(saved.best.top1.toFixed(2), m![6]);
    t.is(String(saved.best.lr), m![7]);
    t.is(String(saved.best.epoch), m![8]);
    // A random ViT of the default preset (fmnist-vit-tiny: 192 dims, 4 blocks): its default pooling is the last 4 CLS.
    const random = await run('eval', 'linear', '--baseline', 'random', ...DATA, ...PROBE);
    t.is(random.code, 0, random.err);
    t.deepEqual(LINE.exec(random.out.trimEnd())?.slice(1, 3), ['random ViT, last 4 CLS', String(4 * 192)]);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.serial('a run folder: the teacher of a 2-block run, the CLS of its last 2 blocks by default; errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-linear-'));
  try {
    const out = join(dir, 'run');
    const trained = await run(
      'train', '--depth', '2', '--embed-dim', '16', '--num-heads', '2', '--out-dim', '32', '--patch-out-dim', '32', '--head-hidden-dim', '16',
      '--head-bottleneck-dim', '8', '--local-crops-number', '2', '--batch-size', '8', '--warmup-epochs', '0', '--warmup-teacher-temp-epochs', '0',
      '--no-progress', '--no-knn', '--epochs', '1', '--max-steps-per-epoch', '2', '--output', out, ...DATA);
    t.is(trained.code, 0, trained.err);
    const r = await run('eval', 'linear', '--output', out, ...PROBE, '--device', backendUnderTest);
    t.is(r.code, 0, r.err);
    const m = LINE.exec(r.out.trimEnd());
    t.truthy(m, r.out);
    // The run's own split (cli.json): 60 training and 30 held-out images.
    t.deepEqual(m!.slice(1, 6), ['teacher, last 2 CLS', '32', '60', '30', '6']);
    // Two steps of a 16-dim model give features near chance on these 60 images (k-NN too), so no accuracy bar here
    // (the pixel test has one); the probe is seeded: the same flags give the same line.
    const again = await run('eval', 'linear', '--output', out, ...PROBE, '--device', backendUnderTest);
    t.is(again.out, r.out);
    const pooled = await run('eval', 'linear', '--output', out, ...PROBE, '--key', 'student', '--avgpool', '2', '--n-last-blocks', '1', '--device', backendUnderTest);
    t.is(pooled.code, 0, pooled.err);
    t.regex(pooled.out, /^linear probe \(student, CLS \+ mean patch token, 32 dims,/);

    const tooDeep = await run('eval', 'linear', '--output', out, '--n-last-blocks', '3', '--device', backendUnderTest);
    t.is(tooDeep.code, 1);
    t.regex(tooDeep.err, /ibot eval linear: --n-last-blocks 3 is more than the ViT's 2 blocks/);
    const missing = await run('eval', 'linear');
    t.is(missing.code, 1);
    t.regex(missing.err, /ibot eval linear: give --output <run folder> or --baseline random\|pixels/);
    const badLrs = await run('eval', 'linear', '--baseline', 'pixels', '--lrs', '0.1,-1');
    t.not(badLrs.code, 0);
    t.regex(badLrs.err, /--lrs.*expected comma-separated positive numbers, got '0\.1,-1'/);
    const badEpochs = await run('eval', 'linear', '--baseline', 'pixels', '--epochs', '0');
    t.not(badEpochs.code, 0);
    t.regex(badEpochs.err, /--epochs.*expected an integer ≥ 1, got '0'/);
    const badWd = await run('eval', 'linear', '--baseline', 'pixels', '--weight-decay', '-0.1');
    t.not(badWd.code, 0);
    t.regex(badWd.err, /--weight-decay.*expected a number ≥ 0/);
    const help = await run('eval', 'linear', '--help');
    for (const flag of ['--output', '--baseline', '--epochs', '--batch-size', '--lrs', '--n-last-blocks', '--avgpool', '--weight-decay', '--seed', '--json']) {
      t.true(help.out.includes(flag), `${flag} in eval linear --help`);
    }
    t.regex(help.out.replace(/\s+/g, ' '), /training augmentation \(RandomResizedCrop \+ flip\) is not applied/);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});
