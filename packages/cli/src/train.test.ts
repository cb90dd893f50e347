// `ibot train` end to end with a tiny model on the backend under test: a few steps on synthetic images, then the
// same run resumed for one more epoch, then `ibot eval knn` on its checkpoint; and the default data (the embedded
// Fashion-MNIST split). Each run ends with the k-NN line; the run folder holds the config, the per-step log,
// checkpoints, the loss curve and the k-NN result.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {backendUnderTest} from '@ibotjs/tfjs-backend-native/testing/parity';
import test from 'ava';
import sharp from 'sharp';

import {readJsonl} from './jsonl_log.js';
import {runIbot as run} from './testing/run_ibot.js';

/** A model small enough for a few steps in seconds on 2 cores. */
const TINY = [
  '--depth', '1', '--embed-dim', '16', '--num-heads', '2', '--out-dim', '32', '--patch-out-dim', '32', '--head-hidden-dim', '16',
  '--head-bottleneck-dim', '8', '--local-crops-number', '2', '--batch-size', '8', '--warmup-epochs', '0',
  '--warmup-teacher-temp-epochs', '0', '--device', backendUnderTest, '--no-progress', '--eval-batch-size', '512',
];


const KNN_LINE = /^k-NN accuracy \(teacher CLS, k = 20, T = 0\.07; (\d+) reference \/ (\d+) held-out images\): top-1 (\d+\.\d\d) %, top-5 (\d+\.\d\d) %$/m;

test.serial('a few steps on synthetic images, resumed for another epoch, each ending with the k-NN line; eval knn agrees', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-train-'));
  try {
    const out = join(dir, 'run');
    const first = await run('train', ...TINY, '--data', 'synthetic:40', '--epochs', '1', '--max-steps-per-epoch', '3', '--output', out);
    t.is(first.code, 0, first.err);
    const m = KNN_LINE.exec(first.out);
    t.truthy(m, first.out);
    t.is(Number(m![1]) + Number(m![2]), 40);
    t.is(Number(m![2]), 8); // --held-out default 0.2
    for (const f of ['config.json', 'cli.json', 'log.jsonl', 'loss.png', 'knn.json', 'checkpoints/latest']) t.true(existsSync(join(out, f)), f);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {depth: number; embedDim: number; data: unknown};
    t.is(config.depth, 1);
    t.is(config.embedDim, 16);
    t.deepEqual(config.data, {kind: 'synthetic', size: 40, height: 28, width: 28, channels: 1, numClasses: 10, seed: 0});
    let log = readJsonl(join(out, 'log.jsonl'));
    const steps = () => log.filter((r) => r.type === 'step');
    t.deepEqual(steps().map((r) => r['globalStep']), [0, 1, 2]);
    for (const s of steps()) {
      for (const k of ['loss', 'cls', 'patch', 'lr', 'imagesPerSec']) t.is(typeof s[k], 'number', k);
      t.true(Number.isFinite(s['loss'] as number));
    }
    t.deepEqual(log.filter((r) => r.type === 'knn').length, 1);
    t.deepEqual(log.at(-1)!['event'], 'done');
    const png = await sharp(join(out, 'loss.png')).metadata();
    t.is(png.format, 'png');
    const knn = JSON.parse(readFileSync(join(out, 'knn.json'), 'utf8')) as {top1: number; k: number};
    t.is(knn.k, 20);
    t.is(knn.top1.toFixed(2), m![3]);

    // --resume reads the run's settings back; only the new epoch count is given.
    const second = await run('train', '--output', out, '--resume', '--epochs', '2', '--no-progress');
    t.is(second.code, 0, second.err);
    t.regex(second.err, /resuming at epoch 1, step 0 \(global step 3\)/);
    t.regex(second.out, KNN_LINE);
    log = readJsonl(join(out, 'log.jsonl'));
    t.deepEqual(steps().map((r) => r['globalStep']), [0, 1, 2, 3, 4, 5]);

    // `ibot eval knn` on the run's latest checkpoint: the same split, normalisation and teacher give the same k = 20
    // result as the end of training, from checkpoint weights alone.
    const ev = await run('eval', 'knn', '--output', out, '--knn-k', '5,20', '--device', backendUnderTest, '--eval-batch-size', '512');
    t.is(ev.code, 0, ev.err);
    const lines = ev.out.trimEnd().split('\n');
    t.is(lines.length, 2);
    t.regex(lines[0]!, /k = 5,/);
    t.is(lines[1], KNN_LINE.exec(second.out)![0]);
    const student = await run('eval', 'knn', '--output', out, '--key', 'student', '--knn-k', '20', '--device', backendUnderTest);
    t.is(student.code, 0, student.err);
    t.regex(student.out, /^k-NN accuracy \(student CLS, k = 20/);
    const none = await run('eval', 'knn', '--output', join(dir, 'nowhere'));
    t.is(none.code, 1);
    t.regex(none.err, /ibot: error: the run config .*nowhere.*config\.json: no such file/);
    const missing = await run('eval', 'knn');
    t.is(missing.code, 1);
    t.regex(missing.err, /ibot eval knn: give --output <run folder> or --baseline random\|pixels/);
    const both = await run('eval', 'knn', '--output', out, '--baseline', 'pixels');
    t.is(both.code, 1);
    t.regex(both.err, /give either --output \(a run\) or --baseline, not both/);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.serial('the default data: the embedded Fashion-MNIST split, trained on and held out for k-NN', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-train-'));
  try {
    const r = await run('train', ...TINY, '--epochs', '1', '--max-steps-per-epoch', '2', '--held-out', '1000', '--no-progress', '--output', join(dir, 'run'));
    t.is(r.code, 0, r.err);
    t.regex(r.err, /embedded Fashion-MNIST \(10k test split\): 9000 training images, 1000 held out for evaluation/);
    const m = KNN_LINE.exec(r.out);
    t.truthy(m, r.out);
    t.deepEqual([m![1], m![2]], ['9000', '1000']);
    // Even two steps of a 1-block model give features far better than chance (10 %) on Fashion-MNIST.
    t.true(Number(m![3]) > 30, `top-1 ${m![3]} %`);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.serial('eval knn baselines: raw pixels and a random ViT, without a run folder', async (t) => {
  const common = ['--data', 'synthetic:90', '--held-out', '30', '--knn-k', '5', '--device', backendUnderTest];
  const pixels = await run('eval', 'knn', '--baseline', 'pixels', ...common);
  t.is(pixels.code, 0, pixels.err);
  t.regex(pixels.err, /raw pixels, device \w+, synthetic images \(90\): 60 training images, 30 held out/);
  const px = /^k-NN accuracy \(raw pixels, k = 5, T = 0.07; 60 reference \/ 30 held-out images\): top-1 ([\d.]+) %/.exec(pixels.out);
  t.truthy(px, pixels.out);
  const random = await run('eval', 'knn', '--baseline', 'random', ...common);
  t.is(random.code, 0, random.err);
  t.regex(random.err, /a randomly initialised ViT-tiny\/4 \(seed 0\)/);
  t.regex(random.out, /^k-NN accuracy \(random ViT CLS, k = 5, T = 0.07; 60 reference \/ 30 held-out images\): top-1 [\d.]+ %/);
  // The synthetic classes differ in their pixels (colour and pattern): raw pixels separate them well above chance (10 %).
  t.true(Number(px![1]) > 30, `pixels top-1 ${px![1]} %`);
});
