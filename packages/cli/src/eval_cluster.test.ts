// `ibot eval cluster` on a tiny trained run: its metrics equal those of the teacher head's argmax computed here
// directly (ViT forward on the normalised held-out images, head, argmax); the baselines and the errors.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {syntheticDataset, splitDataset} from '@ibotjs/data';
import {clusteringMetrics} from '@ibotjs/eval';
import {backboneConfigOf, CheckpointStore, headConfigOf, IbotHead, resolveTrainConfig, type IbotTrainConfig} from '@ibotjs/ibot';
import {backendUnderTest} from '@ibotjs/tfjs-backend-native/testing/parity';
import {createViT} from '@ibotjs/vit';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {runEvalCluster} from './eval_cluster_command.js';
import {runIbot as run, testDevice, TINY_TRAIN_FLAGS} from './testing/run_ibot.js';

const TINY = [...TINY_TRAIN_FLAGS, '--device', backendUnderTest];

const quiet = {stdout: {write: () => true}, stderr: {write: () => true}};

test.serial('eval cluster: the teacher head argmax of a trained run, scored against the labels', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-cluster-'));
  try {
    const out = join(dir, 'run');
    const trained = await run('train', ...TINY, '--data', 'synthetic:50', '--held-out', '20', '--epochs', '1', '--max-steps-per-epoch', '3', '--output', out);
    t.is(trained.code, 0, trained.err);

    const cli = await run('eval', 'cluster', '--output', out, '--device', backendUnderTest);
    t.is(cli.code, 0, cli.err);
    t.regex(cli.out, /^clustering \(teacher head argmax over K = 32 prototypes; 20 held-out images, \d+ classes, \d+ clusters used\): NMI [\d.]+, ARI -?[\d.]+, FMI [\d.]+, Hungarian accuracy [\d.]+ %\n$/);

    // The same assignment computed here: the checkpoint's teacher backbone and head on the held-out images.
    const summary = await runEvalCluster({output: out, device: testDevice}, quiet);
    const ckpt = new CheckpointStore(join(out, 'checkpoints')).loadLatest()!;
    const config = resolveTrainConfig(ckpt.state.config as Partial<IbotTrainConfig>);
    const vit = createViT(backboneConfigOf(config));
    const head = new IbotHead(headConfigOf(config, vit.config.embedDim));
    try {
      vit.loadStateDict(Object.fromEntries(ckpt.teacher), {prefix: 'backbone.', strict: true});
      head.loadStateDict(new Map([...ckpt.teacher].filter(([n]) => n.startsWith('head.'))));
      const ds = syntheticDataset({size: 50, height: 28, width: 28, channels: 1, numClasses: 10, seed: 0});
      const heldOut = splitDataset(ds, {heldOut: 20, seed: config.seed}).heldOut;
      const {mean, std} = ckpt.state['normalization'] as {mean: number[]; std: number[]};
      const pixels = new Float32Array(heldOut.size * 28 * 28);
      const labels = new Int32Array(heldOut.size);
      for (let i = 0; i < heldOut.size; i++) {
        const s = await heldOut.get(i);
        labels[i] = s.label;
        for (let p = 0; p < 28 * 28; p++) {
          const v = s.image instanceof Float32Array ? s.image[p]! : s.image[p]! / 255;
          pixels[i * 784 + p] = (v - mean[0]!) / std[0]!;
        }
      }
      const clusters = tf.tidy(() => {
        const cls = vit.forward(tf.tensor4d(pixels, [heldOut.size, 28, 28, 1]), {returnAllTokens: false, training: false}) as tf.Tensor2D;
        return tf.argMax(head.forwardCls(cls), 1).dataSync() as Int32Array;
      });
      const want = clusteringMetrics(labels, clusters);
      t.is(summary.images, 20);
      t.is(summary.prototypes, 32);
      t.is(summary.numClusters, want.numClusters);
      t.is(summary.numClasses, want.numClasses);
      for (const k of ['nmi', 'ari', 'fmi', 'acc'] as const) t.true(Math.abs(summary[k] - want[k]) < 1e-12, `${k}: ${summary[k]} vs ${want[k]}`);
    } finally {
      vit.dispose();
      head.dispose();
    }
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.serial('eval cluster: a random ViT and head as a baseline; raw pixels and a missing run are clear errors', async (t) => {
  const random = await run('eval', 'cluster', '--baseline', 'random', '--data', 'synthetic:40', '--held-out', '15', '--device', backendUnderTest);
  t.is(random.code, 0, random.err);
  t.regex(random.out, /^clustering \(random ViT \+ head argmax over K = 1024 prototypes; 15 held-out images/);
  const pixels = await runEvalCluster({baseline: 'pixels', data: 'synthetic:40'}, quiet).then(() => null, (e: Error) => e.message);
  t.regex(pixels ?? '', /raw pixels have no head to cluster with/);
  const none = await run('eval', 'cluster', '--output', join(tmpdir(), 'no-such-ibot-run'));
  t.is(none.code, 1);
  t.regex(none.err, /config\.json: no such file/);
  const neither = await run('eval', 'cluster');
  t.is(neither.code, 1);
  t.regex(neither.err, /give --output <run folder> or --baseline/);
});
