import test from 'ava';
import {spawn} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {setTimeout as sleep} from 'node:timers/promises';
import {toFloatImage} from './augment/image.js';
import {augmentImage, multiCropRecipe, normalizeInto} from './augment/multicrop.js';
import {createLoader, LoaderError, type Batch, type LoaderOptions} from './loader.js';
import {SyntheticDataset} from './synthetic.js';
import {countingDataset, failingDataset, testSeed} from './testing/fixtures.js';

const crops = multiCropRecipe({global: {size: 12, scale: [0.3, 1]}, local: {count: 2, size: 6, scale: [0.05, 0.4]}});
const mean = [0.4, 0.5, 0.6];
const std = [0.2, 0.25, 0.3];

async function collect(options: LoaderOptions, epoch = 0, fromBatch = 0): Promise<Batch[]> {
  const loader = await createLoader(options);
  try {
    const out: Batch[] = [];
    for await (const b of loader.epoch(epoch, {fromBatch})) out.push(b);
    return out;
  } finally {
    await loader.close();
  }
}

test('the same batches in the same order for 0, 1 and 2 workers; each equals the augmentation recomputed directly', async (t) => {
  const seed = testSeed(t);
  const dataset = new SyntheticDataset({size: 23, height: 14, width: 15, channels: 3, seed});
  const options = {dataset, batchSize: 5, crops, mean, std, seed};
  const runs = await Promise.all([0, 1, 2].map((workers) => collect({...options, workers})));
  t.is(runs[0]!.length, 5); // ceil(23 / 5), the last batch has 3 items
  t.deepEqual(runs[0]!.map((b) => b.labels.length), [5, 5, 5, 5, 3]);
  t.deepEqual(runs[1], runs[0]);
  t.deepEqual(runs[2], runs[0]);
  // Every item exactly once; crop-major NHWC layout; values are the normalised augmentation of (seed, epoch 0, index).
  const seen = runs[0]!.flatMap((b) => Array.from(b.indices)).sort((a, b) => a - b);
  t.deepEqual(seen, Array.from({length: 23}, (_, i) => i));
  for (const b of runs[0]!) {
    t.deepEqual(b.shapes, crops.map((c) => [b.indices.length, c.size, c.size, 3]));
    for (let i = 0; i < b.indices.length; i++) {
      const index = b.indices[i]!;
      t.is(b.labels[i], dataset.labelOf(index));
      const views = augmentImage(toFloatImage(dataset.getSync(index)), crops, seed, 0, index);
      views.forEach((v, k) => {
        const want = new Float32Array(v.data.length);
        normalizeInto(v, mean, std, want, 0);
        t.deepEqual(b.crops[k]!.subarray(i * v.data.length, (i + 1) * v.data.length), want);
      });
    }
  }
});

test('epochs reshuffle and re-augment; shuffle: false keeps order; dropLast drops the short batch; fromBatch resumes', async (t) => {
  const seed = testSeed(t);
  const dataset = new SyntheticDataset({size: 23, height: 10, width: 10, seed});
  const options = {dataset, batchSize: 5, crops, mean: [0.5], std: [0.25], seed, workers: 0};
  const e0 = await collect(options, 0);
  const e1 = await collect(options, 1);
  t.notDeepEqual(e0.map((b) => Array.from(b.indices)), e1.map((b) => Array.from(b.indices)));
  const ordered = await collect({...options, shuffle: false, dropLast: true});
  t.deepEqual(ordered.map((b) => Array.from(b.indices)), [0, 1, 2, 3].map((b) => [0, 1, 2, 3, 4].map((i) => 5 * b + i)));
  const resumed = await collect(options, 1, 3);
  t.deepEqual(resumed, e1.slice(3));
  t.deepEqual(resumed.map((b) => b.index), [3, 4]);
  // The epoch's other iteration API: for await over the loader is epoch 0.
  const loader = await createLoader(options);
  const viaIterator: Batch[] = [];
  for await (const b of loader) viaIterator.push(b);
  t.deepEqual(viaIterator, e0);
  await loader.close();
});

test('prefetch: batches are built ahead while the caller holds one, bounded by `prefetch`; a slow consumer gets each batch once', async (t) => {
  const counter = new SharedArrayBuffer(4);
  const reads = new Int32Array(counter);
  const dataset = countingDataset({size: 40, counter});
  const loader = await createLoader({dataset, batchSize: 4, crops, mean: [0.5], std: [0.25], seed: 1, workers: 2, prefetch: 4});
  t.teardown(() => loader.close());
  const it = loader.epoch(0);
  const first = await it.next();
  t.false(first.done);
  // While we hold batch 0, batches 1..4 are being built in the workers: 5 batches × 4 items read in all, and no more.
  for (let waited = 0; Atomics.load(reads, 0) < 20 && waited < 120_000; waited += 20) await sleep(20);
  t.is(Atomics.load(reads, 0), 20);
  await sleep(300);
  t.is(Atomics.load(reads, 0), 20, 'the loader never runs more than `prefetch` batches ahead');
  const got = [first.value as Batch];
  for (;;) {
    await sleep(15); // a slow training step
    const r = await it.next();
    if (r.done) break;
    got.push(r.value);
  }
  t.deepEqual(got.map((b) => b.index), [...Array(10).keys()]);
  t.deepEqual(got.flatMap((b) => Array.from(b.indices)).sort((a, b) => a - b), [...Array(40).keys()]);
  t.is(Atomics.load(reads, 0), 40);
});

test('errors: a failing item rejects next() with its index (in-thread and in workers); a crashed worker rejects too', async (t) => {
  for (const workers of [0, 2]) {
    const dataset = failingDataset({size: 30, failAt: [13]});
    const loader = await createLoader({dataset, batchSize: 4, crops, mean: [0.5], std: [0.25], seed: 2, workers, shuffle: false});
    const it = loader.epoch(0);
    const seen: number[] = [];
    const error = await t.throwsAsync(
      (async () => {
        for (;;) {
          const r = await it.next();
          if (r.done) return;
          seen.push(r.value.index);
        }
      })(),
      {instanceOf: LoaderError},
    );
    t.is(error?.index, 13, `workers ${workers}`);
    t.regex(error!.message, /item 13 \(batch 3 of epoch 0\): fixture: item 13 is broken/);
    t.deepEqual(seen, [0, 1, 2]);
    t.true((await it.next()).done, 'the iteration ends after an error');
    // The loader itself stays usable: a new epoch starts (and fails at the same item again).
    await t.throwsAsync(async () => {
      for await (const _ of loader.epoch(1)) void _;
    }, {message: /item 13/});
    await loader.close();
  }
  const crashing = await createLoader({
    dataset: failingDataset({size: 30, failAt: [5], mode: 'exit'}),
    batchSize: 4, crops, mean: [0.5], std: [0.25], seed: 2, workers: 1, shuffle: false,
  });
  await t.throwsAsync(async () => {
    for await (const _ of crashing.epoch(0)) void _;
  }, {instanceOf: LoaderError, message: /loader worker 0 exited unexpectedly \(code 3\)/});
  await crashing.close();
});

test('bad options and unopenable datasets are clear errors', async (t) => {
  const dataset = new SyntheticDataset({size: 10});
  const base = {dataset, batchSize: 4, crops, mean: [0.5], std: [0.25], seed: 1};
  await t.throwsAsync(createLoader({...base, batchSize: 0}), {message: /batchSize must be/});
  await t.throwsAsync(createLoader({...base, mean: [0.5, 0.5, 0.5]}), {message: /need 1 values each \(the images have 1 channels\)/});
  await t.throwsAsync(createLoader({...base, crops: []}), {message: /crops is empty/});
  await t.throwsAsync(createLoader({...base, batchSize: 11, dropLast: true}), {message: /make no full batch/});
  const fourChannels = {...dataset, channels: 4, get: dataset.get.bind(dataset), labelOf: dataset.labelOf.bind(dataset)};
  await t.throwsAsync(createLoader({...base, dataset: fourChannels}), {message: /1 or 3 channels, the dataset has 4/});
  const local = {...dataset, get: dataset.get.bind(dataset), labelOf: dataset.labelOf.bind(dataset), description: null};
  await t.throwsAsync(createLoader({...base, dataset: local, workers: 1}), {message: /workers > 0 needs a dataset with a description/});
  await t.throwsAsync(createLoader({...base, dataset: {kind: 'idx', images: '/nonexistent/images.gz', labels: '/nonexistent/labels.gz'}, workers: 1}), {
    message: /cannot read \/nonexistent\/images\.gz/,
  });
  const loader = await createLoader(base);
  const it = loader.epoch(0);
  t.throws(() => loader.epoch(1), {message: /epoch 0 is still being iterated/});
  await it.return!();
  t.throws(() => loader.epoch(0, {fromBatch: 4}), {message: /fromBatch must be an integer in \[0, 3\]/});
  await loader.close();
});

test('close(): a pending next() ends, later iteration is refused, close is idempotent', async (t) => {
  const dataset = new SyntheticDataset({size: 200, height: 28, width: 28});
  const loader = await createLoader({dataset, batchSize: 50, crops, mean: [0.5], std: [0.25], seed: 4, workers: 2});
  const it = loader.epoch(0);
  const pending = it.next();
  await loader.close();
  const r = await pending;
  t.true(r.done === true || r.value.index === 0, 'a pending next() resolves (done, or the batch that was already there)');
  t.true((await it.next()).done);
  t.throws(() => loader.epoch(0), {message: /loader is closed/});
  await loader.close();
});

/** Runs a module in a fresh Node process with the test's loaders; resolves with its exit code (null if it had to be killed). */
async function runScript(t: {teardown(fn: () => Promise<void>): void}, body: string): Promise<{code: number | null; output: string}> {
  const dir = await mkdtemp(join(tmpdir(), 'ibotjs-loader-'));
  t.teardown(() => rm(dir, {recursive: true, force: true}));
  const file = join(dir, 'script.mjs');
  const index = pathToFileURL(join(import.meta.dirname, 'index.ts')).href;
  await writeFile(file, `import * as data from ${JSON.stringify(index)};\n${body}\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, file], {stdio: ['ignore', 'pipe', 'pipe']});
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    // A generous liveness limit, not a timing assertion: a loader that holds the process open never exits by itself.
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({code, output});
    });
  });
}

test('no hanging process: a loader left open after a partial epoch, or closed mid-epoch, lets Node exit', async (t) => {
  const setup = `
const dataset = new data.SyntheticDataset({size: 64});
const crops = data.multiCropRecipe({global: {size: 12}, local: {count: 2, size: 6}});
const loader = await data.createLoader({dataset, batchSize: 8, crops, mean: [0.5], std: [0.25], seed: 1, workers: 2});
const it = loader.epoch(0);
const first = await it.next();
console.log('batch', first.value.index);`;
  const leftOpen = await runScript(t, `${setup}\nawait it.return();\nconsole.log('left open');`);
  t.is(leftOpen.code, 0, leftOpen.output);
  t.regex(leftOpen.output, /batch 0\nleft open/);
  const closed = await runScript(t, `${setup}\nawait loader.close();\nconsole.log('closed');`);
  t.is(closed.code, 0, closed.output);
  t.regex(closed.output, /closed/);
});
