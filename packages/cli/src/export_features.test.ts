// `ibot export-features` in-process on synthetic images: raw pixels to safetensors (names, shapes, dtypes, metadata,
// values against the images normalised here), a random ViT's mean patch tokens to .npy (against the ViT called here),
// atomic writes leaving no temporary files, and errors.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {toFloatImage} from '@ibotjs/data';
import {decodeNpy} from '@ibotjs/eval';
import {loadSafetensors} from '@ibotjs/ibot';
import {backendUnderTest, worstMismatch} from '@ibotjs/tfjs-backend-native/testing/parity';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {type EvalSource, openEvalSource} from './eval_backbone.js';
import {runIbot as run, testDevice, TINY_TRAIN_FLAGS} from './testing/run_ibot.js';

const DATA = ['--data', 'synthetic:30', '--held-out', '10', '--device', backendUnderTest];

/** The held-out images normalised here with the source's statistics: [10, 28, 28, 1]. */
async function heldOutImages(src: EvalSource): Promise<{x: Float32Array; labels: number[]}> {
  const ds = src.data.heldOut;
  const x = new Float32Array(ds.size * 784);
  const labels: number[] = [];
  for (let i = 0; i < ds.size; i++) {
    const img = toFloatImage(await ds.get(i));
    for (let p = 0; p < 784; p++) x[i * 784 + p] = (img.data[p]! - src.norm.mean[0]!) / src.norm.std[0]!;
    labels.push(ds.labelOf(i));
  }
  return {x, labels};
}

test.serial('raw pixels to one safetensors file: both splits, F32 features and I32 labels, metadata, values', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-export-'));
  try {
    const out = join(dir, 'sub', 'px.safetensors');
    const r = await run('export-features', '--baseline', 'pixels', ...DATA, '--out', out);
    t.is(r.code, 0, r.err);
    t.is(r.out, `wrote ${out}: train.features [20, 784] F32, train.labels [20] I32, held-out.features [10, 784] F32, held-out.labels [10] I32\n`);
    t.deepEqual(readdirSync(join(dir, 'sub')), ['px.safetensors']); // no temporary file left behind
    const {tensors, metadata} = loadSafetensors(out);
    t.deepEqual([...tensors.keys()], ['train.features', 'train.labels', 'held-out.features', 'held-out.labels']);
    t.deepEqual([...tensors.values()].map((v) => v.dtype), ['F32', 'I32', 'F32', 'I32']);
    t.is(metadata['model'], 'raw pixels');
    t.is(metadata['avgpool'], '0');
    t.is(metadata['l2'], 'false');
    t.is(metadata['image_size'], '28');
    t.regex(metadata['source']!, /^raw pixels, device \w+, synthetic images \(30\): 20 training images, 10 held out/);

    const src = await openEvalSource({baseline: 'pixels', data: 'synthetic:30', heldOut: 10, device: testDevice}, 'test');
    t.deepEqual(JSON.parse(metadata['normalization']!), src.norm);
    const want = await heldOutImages(src);
    t.is(worstMismatch(tensors.get('held-out.features')!.data, want.x, {rtol: 1e-6, atol: 1e-6}), null);
    t.deepEqual([...tensors.get('held-out.labels')!.data], want.labels);
    t.deepEqual([...tensors.get('train.labels')!.data], Array.from({length: 20}, (_, i) => src.data.train.labelOf(i)));
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.serial('a random ViT\'s L2-normalised mean patch tokens of the held-out split to .npy files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-export-'));
  try {
    const prefix = join(dir, 'rnd');
    const r = await run('export-features', '--baseline', 'random', ...DATA, '--split', 'held-out', '--avgpool', '1', '--l2', '--format', 'npy', '--out', prefix);
    t.is(r.code, 0, r.err);
    t.is(r.out, `wrote ${prefix}-held-out-features.npy: [10, 192] float32\nwrote ${prefix}-held-out-labels.npy: [10] int32\n`);
    t.deepEqual(readdirSync(dir).sort(), ['rnd-held-out-features.npy', 'rnd-held-out-labels.npy']);
    const feats = decodeNpy(readFileSync(`${prefix}-held-out-features.npy`));
    const labels = decodeNpy(readFileSync(`${prefix}-held-out-labels.npy`));
    t.is(feats.dtype, '<f4');
    t.deepEqual(feats.shape, [10, 192]);

    // The same random ViT (seeded), called here: mean of the final-normed patch tokens, divided by its norm.
    const src = await openEvalSource({baseline: 'random', data: 'synthetic:30', heldOut: 10, device: testDevice}, 'test');
    const {x, labels: wantLabels} = await heldOutImages(src);
    t.deepEqual(labels, {dtype: '<i4', shape: [10], data: Int32Array.from(wantLabels)});
    const want = tf.tidy(() => {
      const tokens = src.vit!.getIntermediateLayers(tf.tensor4d(x, [10, 28, 28, 1]), 1)[0]!; // [10, 50, 192]
      const mean = tf.mean(tf.slice(tokens, [0, 1, 0], [10, 49, 192]), 1);
      return tf.div(mean, tf.norm(mean, 'euclidean', 1, true)).dataSync();
    });
    src.vit!.dispose();
    t.is(worstMismatch(feats.data, want, {rtol: 1e-4, atol: 1e-5}), null);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.serial('on a run folder: the teacher\'s CLS features by default into <run>/features.safetensors, the student\'s with --key; ibot attention too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-export-'));
  try {
    const runDir = join(dir, 'run');
    const trained = await run('train', ...TINY_TRAIN_FLAGS, ...DATA, '--epochs', '1', '--max-steps-per-epoch', '2', '--output', runDir);
    t.is(trained.code, 0, trained.err);
    const r = await run('export-features', '--output', runDir, '--device', backendUnderTest);
    t.is(r.code, 0, r.err);
    const out = join(runDir, 'features.safetensors');
    t.regex(r.out, new RegExp(`^wrote ${out}: train.features \\[20, 16\\] F32, train.labels \\[20\\] I32, held-out.features \\[10, 16\\] F32`));
    const {tensors, metadata} = loadSafetensors(out);
    t.regex(metadata['source']!, /^teacher of \S+ \(epoch 1, step 2\)/);
    t.like(JSON.parse(metadata['model']!), {embedDim: 16, depth: 1, numHeads: 2, patchSize: 4, imgSize: 28, inChans: 1});

    // The run's teacher and normalisation (from its checkpoint), called here on the held-out images: the final-normed CLS.
    const src = await openEvalSource({output: runDir, device: testDevice}, 'test');
    const {x} = await heldOutImages(src);
    const want = tf.tidy(() => src.vit!.forward(tf.tensor4d(x, [10, 28, 28, 1]), {returnAllTokens: false, training: false}).dataSync());
    src.vit!.dispose();
    t.is(worstMismatch(tensors.get('held-out.features')!.data, want, {rtol: 1e-4, atol: 1e-5}), null);

    const student = await run('export-features', '--output', runDir, '--key', 'student', '--split', 'held-out', '--out', join(dir, 's.safetensors'), '--device', backendUnderTest);
    t.is(student.code, 0, student.err);
    const s = loadSafetensors(join(dir, 's.safetensors'));
    t.regex(s.metadata['source']!, /^student of /);
    t.deepEqual([...s.tensors.keys()], ['held-out.features', 'held-out.labels']);
    t.not(worstMismatch(s.tensors.get('held-out.features')!.data, want, {rtol: 1e-4, atol: 1e-5}), null, 'student features differ from the teacher\'s');

    const attn = await run('attention', '--output', runDir, '--from-data', '1', '--out-dir', join(dir, 'maps'), '--device', backendUnderTest);
    t.is(attn.code, 0, attn.err);
    t.regex(attn.err, /ibot attention: teacher of \S+ \(epoch 1, step 2\).*; 28×28 images, 2 heads, threshold 0.6/);
    t.deepEqual(readdirSync(join(dir, 'maps')).length, 2 * 2 + 1);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.serial('--help lists the flags; errors: no source, both sources, unknown format or split', async (t) => {
  const help = await run('export-features', '--help');
  t.is(help.code, 0);
  for (const flag of ['--output', '--baseline', '--key', '--split', '--avgpool', '--l2', '--format', '--out']) t.true(help.out.includes(flag), flag);
  const none = await run('export-features', ...DATA);
  t.is(none.code, 1);
  t.regex(none.err, /ibot export-features: give --output <run folder> or --baseline random\|pixels/);
  const both = await run('export-features', '--output', 'x', '--baseline', 'pixels', ...DATA);
  t.is(both.code, 1);
  t.regex(both.err, /give either --output \(a run\) or --baseline, not both/);
  const format = await run('export-features', '--baseline', 'pixels', '--format', 'csv');
  t.is(format.code, 1);
  t.regex(format.err, /--format.*'csv' is invalid/);
  const split = await run('export-features', '--baseline', 'pixels', '--split', 'test');
  t.is(split.code, 1);
  t.regex(split.err, /--split.*'test' is invalid/);
  t.false(existsSync('features-pixels.safetensors'));
});
