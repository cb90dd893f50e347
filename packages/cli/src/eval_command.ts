// `ibot eval knn`: the k-NN protocol (IBOT_SPEC §6.2) on a checkpoint of a run folder (or on a baseline: a random ViT,
// raw pixels), with the run's own data split and normalisation, for several k at once (the official code computes
// 10, 20, 100 and 200).
import type {AvgPool} from '@ibotjs/eval';

import {type EvalSourceOptions, openEvalSource} from './eval_backbone.js';
import {formatKnn, type KnnSummary, runKnn} from './knn_step.js';
import type {Io} from './train_command.js';

export interface EvalKnnOptions extends EvalSourceOptions {
  knnK?: number[];
  knnT?: number;
  avgpool?: AvgPool;
  evalBatchSize?: number;
}

export async function runEvalKnn(o: EvalKnnOptions, io: Io): Promise<KnnSummary[]> {
  const src = await openEvalSource(o, 'ibot eval knn');
  try {
    io.stderr.write(`ibot eval knn: ${src.description}\n`);
    const results = await runKnn(src.vit, src.data.train, src.data.heldOut, {
      ks: o.knnK ?? [10, 20, 100, 200], T: o.knnT ?? 0.07, avgpool: o.avgpool ?? 0, batchSize: o.evalBatchSize ?? 256,
      mean: src.norm.mean, std: src.norm.std, imageSize: src.config.imgSize,
    });
    const what = o.baseline === 'pixels' ? 'raw pixels' : o.baseline === 'random' ? 'random ViT' : (o.key ?? 'teacher');
    for (const r of results) io.stdout.write(formatKnn(r, what) + '\n');
    return results;
  } finally {
    src.vit?.dispose();
  }
}
