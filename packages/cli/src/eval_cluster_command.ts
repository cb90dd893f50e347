// `ibot eval cluster`: unsupervised classification (IBOT_SPEC §6.6). Each image's cluster is the argmax of the head's
// CLS logits over its K prototypes (raw logits: no centring, no temperature); the clusters are scored against the
// labels with NMI, ARI, Fowlkes–Mallows and Hungarian-matched accuracy.
import {headConfigOf, IbotHead} from '@ibotjs/ibot';
import {type ClusteringMetrics, clusteringMetrics, extractFeatures} from '@ibotjs/eval';
import * as tf from '@tensorflow/tfjs-core';

import {type EvalSourceOptions, openEvalSource} from './eval_backbone.js';
import type {Io} from './train_command.js';

export interface EvalClusterOptions extends EvalSourceOptions {
  /** Which images to cluster (default: the held-out split, as the official code uses the validation set). */
  split?: 'held-out' | 'train';
  evalBatchSize?: number;
}

export interface ClusterSummary extends ClusteringMetrics {
  /** Prototypes of the head (K); numClusters counts those that received at least one image. */
  prototypes: number;
  images: number;
  seconds: number;
}

/** Argmax over the head's CLS logits of each feature row, in chunks so that [rows, K] logits stay small. */
function assignClusters(head: IbotHead, features: tf.Tensor2D, chunk: number): Int32Array {
  const n = features.shape[0];
  const out = new Int32Array(n);
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    const ids = tf.tidy(() => tf.argMax(head.forwardCls(tf.slice(features, [start, 0], [rows, -1])), 1));
    out.set(ids.dataSync() as Int32Array, start);
    ids.dispose();
  }
  return out;
}

export async function runEvalCluster(o: EvalClusterOptions, io: Io): Promise<ClusterSummary> {
  if (o.baseline === 'pixels') throw new Error('ibot eval cluster: raw pixels have no head to cluster with (use --baseline random or --output)');
  const start = performance.now();
  const src = await openEvalSource(o, 'ibot eval cluster');
  const vit = src.vit!;
  const key = o.key ?? 'teacher';
  const head = new IbotHead(headConfigOf(src.config, vit.config.embedDim));
  try {
    if (src.checkpoint !== null) {
      const weights = key === 'teacher' ? src.checkpoint.teacher : src.checkpoint.student;
      head.loadStateDict(new Map([...weights].filter(([name]) => name.startsWith('head.'))));
    }
    const split = o.split ?? 'held-out';
    const dataset = split === 'train' ? src.data.train : src.data.heldOut;
    io.stderr.write(`ibot eval cluster: ${src.description}; clustering the ${split} images\n`);
    // The head takes the final-normed CLS token as it is (not L2-normalised: that is the k-NN's step).
    const {features, labels} = await extractFeatures(vit, dataset, {
      batchSize: o.evalBatchSize ?? 256, avgpool: 0, mean: src.norm.mean, std: src.norm.std, normalize: false,
    });
    let clusters: Int32Array;
    try {
      clusters = assignClusters(head, features, 1024);
    } finally {
      features.dispose();
    }
    const metrics = clusteringMetrics(labels, clusters);
    const summary: ClusterSummary = {...metrics, prototypes: src.config.outDim, images: labels.length, seconds: (performance.now() - start) / 1000};
    const who = o.baseline === 'random' ? 'random ViT + head' : `${key} head`;
    io.stdout.write(`clustering (${who} argmax over K = ${summary.prototypes} prototypes; ${summary.images} ${split} images, ` +
                    `${metrics.numClasses} classes, ${metrics.numClusters} clusters used): NMI ${metrics.nmi.toFixed(4)}, ` +
                    `ARI ${metrics.ari.toFixed(4)}, FMI ${metrics.fmi.toFixed(4)}, Hungarian accuracy ${(100 * metrics.acc).toFixed(2)} %\n`);
    return summary;
  } finally {
    head.dispose();
    vit.dispose();
  }
}
