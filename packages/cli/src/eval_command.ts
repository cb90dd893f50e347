// `ibot eval knn`: the k-NN protocol (IBOT_SPEC §6.2) on a checkpoint of a run folder, with the run's own data split
// and normalisation, for several k at once (the official code computes 10, 20, 100 and 200).
import {join, resolve} from 'node:path';

import {CheckpointStore, normalization, resolveTrainConfig, type IbotTrainConfig} from '@ibotjs/ibot';
import type {AvgPool} from '@ibotjs/eval';
import {createViT} from '@ibotjs/vit';

import {openData, parseDataSource} from './data_source.js';
import {type DeviceName, loadNative, useDevice} from './device.js';
import {formatKnn, type KnnSummary, runKnn} from './knn_step.js';
import {checkPreset, DEFAULT_HELD_OUT, type Io, readJsonObject, type RunMeta} from './train_command.js';

export interface EvalKnnOptions {
  output: string;
  checkpoint?: string;
  key?: 'teacher' | 'student';
  knnK?: number[];
  knnT?: number;
  avgpool?: AvgPool;
  data?: string;
  heldOut?: number;
  device?: DeviceName;
  threads?: number;
  evalBatchSize?: number;
}

export async function runEvalKnn(o: EvalKnnOptions, io: Io): Promise<KnnSummary[]> {
  const dir = resolve(o.output);
  const saved = readJsonObject(join(dir, 'config.json'), 'the run config');
  let meta: Partial<RunMeta> = {};
  try {
    meta = readJsonObject(join(dir, 'cli.json'), 'the run settings') as Partial<RunMeta>;
  } catch {
    // A run folder written by a script rather than `ibot train`: the flags (or the defaults) decide.
  }
  let config: IbotTrainConfig;
  try {
    config = resolveTrainConfig(saved as Partial<IbotTrainConfig>, checkPreset(meta.preset ?? 'fmnist-vit-tiny'));
  } catch (e) {
    throw new Error(`${join(dir, 'config.json')}: ${(e as Error).message}`);
  }
  const key = o.key ?? 'teacher';
  const device = await useDevice(o.device);
  if (o.threads !== undefined && (await loadNative()).loaded) (await import('@ibotjs/tfjs-backend-native')).setNumThreads(o.threads);
  const store = new CheckpointStore(join(dir, 'checkpoints'));
  const ckpt = o.checkpoint !== undefined ? store.load(o.checkpoint) : store.loadLatest();
  if (ckpt === null) throw new Error(`${join(dir, 'checkpoints')}: no checkpoint yet (train first: ibot train --output ${o.output})`);
  const vit = createViT({
    variant: config.arch, embedDim: config.embedDim, depth: config.depth, numHeads: config.numHeads, patchSize: config.patchSize,
    imgSize: config.imgSize, inChans: config.inChans, maskedImModeling: key === 'student', seed: config.seed,
  });
  try {
    // Official names with the 'backbone.' prefix; the head's entries are not read.
    vit.loadStateDict(Object.fromEntries(key === 'teacher' ? ckpt.teacher : ckpt.student), {prefix: 'backbone.', strict: true});
    const source = parseDataSource(o.data ?? meta.data ?? 'embedded');
    const data = await openData(source, {inChans: config.inChans, heldOut: o.heldOut ?? meta.heldOut ?? DEFAULT_HELD_OUT, seed: config.seed});
    // The training run's normalisation, saved in the checkpoint; recomputed the same way for older checkpoints.
    const savedNorm = ckpt.state['normalization'] as {mean: number[]; std: number[]} | undefined;
    const norm = savedNorm && Array.isArray(savedNorm.mean) && Array.isArray(savedNorm.std) ? savedNorm :
        await normalization(config, data.train);
    io.stderr.write(`ibot eval knn: ${key} of ${ckpt.name} (epoch ${ckpt.state.epoch}, step ${ckpt.state.step}), device ${device}, ${data.description}\n`);
    const results = await runKnn(vit, data.train, data.heldOut, {
      ks: o.knnK ?? [10, 20, 100, 200], T: o.knnT ?? 0.07, avgpool: o.avgpool ?? 0, batchSize: o.evalBatchSize ?? 256, mean: norm.mean, std: norm.std,
    });
    for (const r of results) io.stdout.write(formatKnn(r, key) + '\n');
    return results;
  } finally {
    vit.dispose();
  }
}
