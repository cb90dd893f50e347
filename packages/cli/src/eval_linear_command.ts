// `ibot eval linear`: the linear-probe protocol (IBOT_SPEC §6.3) on a run's checkpoint or a baseline: frozen features
// of the training split and of the held-out split, computed once (centre view), then one linear classifier per lr.
// Deviation from §6.3: no RandomResizedCrop + flip during training, because the features are precomputed.
import {writeFileSync} from 'node:fs';

import {
  type AvgPool, extractFeatures, LINEAR_DEFAULT_LRS, linearPooling, type LinearProbeResult, trainLinearProbes,
} from '@ibotjs/eval';

import {type EvalSourceOptions, openEvalSource} from './eval_backbone.js';
import {evalResize} from './knn_step.js';
import type {Io} from './train_command.js';

export interface EvalLinearOptions extends EvalSourceOptions {
  epochs?: number;
  batchSize?: number;
  /** Learning rates for a batch of 256 (default: the official 45). */
  lrs?: number[];
  /** Default per variant (linearPooling): tiny/small 4, base/large 1. */
  nLastBlocks?: number;
  /** Default per variant: tiny/small 0, base/large 2. */
  avgpool?: AvgPool;
  evalBatchSize?: number;
  evalEvery?: number;
  weightDecay?: number;
  seed?: number;
  /** Write every lr's result and the validation history here. */
  json?: string;
}

export interface EvalLinearSummary extends LinearProbeResult {
  /** Whose features: 'teacher', 'student', 'random ViT' or 'raw pixels'. */
  what: string;
  /** The pooling in words, e.g. 'last 4 CLS' (empty for raw pixels). */
  pooling: string;
  avgpool: AvgPool;
  nLastBlocks: number;
  seconds: number;
}

/** 'CLS', 'last 4 CLS', 'mean patch token', 'CLS + mean patch token', … */
function describePooling(avgpool: AvgPool, n: number): string {
  const cls = n === 1 ? 'CLS' : `last ${n} CLS`;
  return avgpool === 0 ? cls : avgpool === 1 ? 'mean patch token' : `${cls} + mean patch token`;
}

/** The final line on stdout. */
export function formatLinear(s: EvalLinearSummary): string {
  const feat = s.pooling === '' ? s.what : `${s.what}, ${s.pooling}`;
  const top5 = s.best.top5 === null ? '' : `, top-5 ${s.best.top5.toFixed(2)} %`;
  return `linear probe (${feat}, ${s.featureDim} dims, precomputed centre-view features: no training augmentation; ` +
         `${s.trainSize} train / ${s.valSize} val images, ${s.epochs} epochs): best top-1 ${s.best.top1.toFixed(2)} % ` +
         `(lr ${s.best.lr}, epoch ${s.best.epoch})${top5}`;
}

export async function runEvalLinear(o: EvalLinearOptions, io: Io): Promise<EvalLinearSummary> {
  const command = 'ibot eval linear';
  const start = performance.now();
  const src = await openEvalSource(o, command);
  try {
    const {config, vit, data} = src;
    const depth = vit?.config.depth ?? 1; // the preset may leave depth to the variant: the built ViT knows it
    const defaults = linearPooling(config.arch, depth);
    const avgpool = o.avgpool ?? defaults.avgpool;
    const nLastBlocks = o.nLastBlocks ?? defaults.nLastBlocks;
    if (vit !== null && nLastBlocks > depth) {
      throw new Error(`${command}: --n-last-blocks ${nLastBlocks} is more than the ViT's ${depth} blocks`);
    }
    const what = o.baseline === 'pixels' ? 'raw pixels' : o.baseline === 'random' ? 'random ViT' : (o.key ?? 'teacher');
    const pooling = vit === null ? '' : describePooling(avgpool, nLastBlocks);
    io.stderr.write(`${command}: ${src.description}\n`);
    if (vit === null && (o.nLastBlocks !== undefined || o.avgpool !== undefined)) {
      io.stderr.write(`${command}: --n-last-blocks and --avgpool are ignored for raw pixels\n`);
    }

    const size = config.imgSize;
    const common = {batchSize: o.evalBatchSize ?? 256, avgpool, nLastBlocks, normalize: false, mean: src.norm.mean, std: src.norm.std, imageSize: size};
    io.stderr.write(`${command}: extracting ${vit === null ? 'pixels' : pooling} of ${data.train.size} + ${data.heldOut.size} images ` +
                    '(centre view, computed once: the training augmentation of IBOT_SPEC §6.3 is not applied)\n');
    // A progress line per tenth of the images (extraction dominates on a CPU for a real backbone).
    const total = data.train.size + data.heldOut.size;
    let shown = 0;
    const progress = (done: number) => {
      const tenth = Math.floor((10 * done) / total);
      if (tenth > shown) {
        shown = tenth;
        io.stderr.write(`${command}: features of ${done}/${total} images (${((performance.now() - start) / 1000).toFixed(0)} s)\n`);
      }
    };
    const train = await extractFeatures(vit, data.train, {...common, resize: evalResize(data.train, size), onProgress: progress});
    try {
      const val = await extractFeatures(vit, data.heldOut, {
        ...common, resize: evalResize(data.heldOut, size), onProgress: (d) => progress(data.train.size + d),
      });
      try {
        const epochs = o.epochs ?? 100;
        const every = Math.max(1, Math.round(epochs / 10));
        const lrs = o.lrs ?? LINEAR_DEFAULT_LRS;
        io.stderr.write(`${command}: ${train.features.shape[1]}-dim features; training ${lrs.length} linear classifier${lrs.length === 1 ? '' : 's'} for ${epochs} epochs\n`);
        let best = {top1: -1, lr: 0};
        const result = trainLinearProbes(train.features, train.labels, val.features, val.labels, {
          lrs, epochs, batchSize: o.batchSize, weightDecay: o.weightDecay, seed: o.seed, evalEvery: o.evalEvery,
          numClasses: Math.max(data.train.numClasses, data.heldOut.numClasses),
          onEpoch: (e) => {
            e.top1?.forEach((a, l) => {
              if (a > best.top1) best = {top1: a, lr: lrs[l]!};
            });
            if (e.epoch % every === 0 || e.epoch === e.epochs) {
              const seen = best.top1 < 0 ? '' : `, best top-1 so far ${best.top1.toFixed(2)} % (lr ${best.lr})`;
              io.stderr.write(`${command}: epoch ${e.epoch}/${e.epochs}${seen}\n`);
            }
          },
        });
        const summary: EvalLinearSummary = {...result, what, pooling, avgpool, nLastBlocks, seconds: (performance.now() - start) / 1000};
        if (o.json !== undefined) writeFileSync(o.json, JSON.stringify({source: src.description, ...summary}, null, 2) + '\n');
        io.stdout.write(formatLinear(summary) + '\n');
        return summary;
      } finally {
        val.features.dispose();
      }
    } finally {
      train.features.dispose();
    }
  } finally {
    src.vit?.dispose();
  }
}
