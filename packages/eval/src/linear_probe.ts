// Linear probing on frozen, precomputed features (IBOT_SPEC §6.3, eval_linear_multi.py): one linear classifier per
// learning rate, all trained at once, with SGD momentum and a per-epoch cosine schedule; the best validation top-1 over
// every learning rate and epoch is the reported number. Gradients are written in closed form (no tape).
import {Rng} from '@ibotjs/data';
import * as tf from '@tensorflow/tfjs-core';

/** The official sweep: {1…9} × {1e-4, 1e-3, 1e-2, 1e-1, 1}, increasing (45 values, before the batch/256 scaling). */
export const LINEAR_DEFAULT_LRS: readonly number[] = [1e-4, 1e-3, 1e-2, 1e-1, 1].flatMap((base) =>
  [1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => Number((m * base).toPrecision(6))));

// Philox streams of the probe (@ibotjs/data's loader uses 1–3, 0x1000+ and 0x2000+): kept apart so that the same seed
// does not give the probe's shuffle the loader's permutation.
const INIT_STREAM = 0x4000;
const SHUFFLE_STREAM = 0x4001;

export interface LinearProbeOptions {
  /** Learning rates for a batch of 256, one classifier each (default LINEAR_DEFAULT_LRS); each is scaled by batchSize/256. */
  lrs?: readonly number[];
  /** Default 100. */
  epochs?: number;
  /** Training rows per SGD step (default 128); the last batch of an epoch may be smaller (PyTorch's drop_last=False). */
  batchSize?: number;
  /** Default 0.9. */
  momentum?: number;
  /** L2 penalty added to the gradient of every parameter, bias included (PyTorch SGD's weight_decay; default 0). */
  weightDecay?: number;
  /** Seeds the N(0, 0.01²) weight init and the per-epoch shuffles (default 0). */
  seed?: number;
  /** Validate after epochs 1, 1+evalEvery, … and after the last one (eval_linear.py's val_freq; default 1). */
  evalEvery?: number;
  /** Default: 1 + the largest label of either set. */
  numClasses?: number;
  /** Validation rows per chunk (default: chunks of ≤ 4M logits). */
  evalBatchSize?: number;
  /** Called after every epoch (1-based); `top1`/`top5` (percent, one per lr) only when that epoch was validated. */
  onEpoch?: (e: LinearProbeEpoch) => void;
  signal?: AbortSignal;
}

export interface LinearProbeEpoch {
  epoch: number;
  epochs: number;
  /** Mean training cross-entropy of the epoch, one per lr. */
  trainLoss: number[];
  top1?: number[];
  top5?: number[] | null;
}

export interface LinearProbeLrResult {
  /** The lr as given (for a batch of 256). */
  lr: number;
  /** The lr SGD used at epoch 1: lr × batchSize / 256. */
  scaledLr: number;
  /** Best validation top-1 (percent) of this classifier, and the (1-based) epoch that first reached it. */
  top1: number;
  epoch: number;
  /** Top-5 at that epoch; null with fewer than 5 classes (as eval_linear.py). */
  top5: number | null;
}

export interface LinearProbeResult {
  perLr: LinearProbeLrResult[];
  /** The best top-1 over all lrs and epochs (the paper's number); on a tie the earliest epoch, then the smaller lr. */
  best: LinearProbeLrResult;
  /** Every validation: per lr, in lr order. */
  history: LinearProbeEpoch[];
  numClasses: number;
  featureDim: number;
  trainSize: number;
  valSize: number;
  epochs: number;
  batchSize: number;
}

/**
 * The L classifiers as one linear map: column l·C + c of `w` is class c of classifier l, so a single matMul gives every
 * classifier's logits. PyTorch's momentum buffers (zero before the first step, which makes buf = grad there). A type
 * alias, not an interface, so that tf.tidy accepts it as a TensorContainer.
 */
export type ProbeState = {
  w: tf.Tensor2D; // [F, L·C]
  b: tf.Tensor1D; // [L·C]
  bufW: tf.Tensor2D; // [F, L·C]
  bufB: tf.Tensor1D; // [L·C]
};

/** Multiplier of the lr in epoch `epoch` (0-based): CosineAnnealingLR(T_max = epochs, eta_min = 0), stepped per epoch. */
export function cosineFactor(epoch: number, epochs: number): number {
  return 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs));
}

/** Weights ~ N(0, 0.01²) (Box–Muller on the seeded Philox stream), bias 0, empty momentum buffers. */
export function initProbe(featureDim: number, numClasses: number, numLrs: number, seed: number): ProbeState {
  const n = featureDim * numLrs * numClasses;
  const data = new Float32Array(n);
  const rng = new Rng(seed, 0, 0, INIT_STREAM);
  for (let i = 0; i < n; i += 2) {
    const r = 0.01 * Math.sqrt(-2 * Math.log(1 - rng.uniform())); // 1 - u in (0, 1]: no log(0)
    const a = 2 * Math.PI * rng.uniform();
    data[i] = r * Math.cos(a);
    if (i + 1 < n) data[i + 1] = r * Math.sin(a);
  }
  const cols = numLrs * numClasses;
  return {w: tf.tensor2d(data, [featureDim, cols]), b: tf.zeros([cols]), bufW: tf.zeros([featureDim, cols]), bufB: tf.zeros([cols])};
}

export function disposeProbe(s: ProbeState): void {
  tf.dispose([s.w, s.b, s.bufW, s.bufB]);
}

/**
 * One SGD-momentum step of all classifiers on the batch x [B, F] with labels [B] (PyTorch: g += wd·p; buf = m·buf + g;
 * p -= lr·buf), for the softmax cross-entropy averaged over the batch, whose gradient in the logits is
 * (softmax − onehot) / B. `lrs`: the lr each classifier uses in this step. Returns the new state (the old one is not
 * disposed) and the batch's summed cross-entropy per classifier [L].
 */
export function probeStep(
  s: ProbeState, x: tf.Tensor2D, labels: tf.Tensor1D, lrs: tf.Tensor1D, numClasses: number, momentum: number, weightDecay: number,
): {state: ProbeState; lossSum: tf.Tensor1D} {
  return tf.tidy(() => {
    const bsz = x.shape[0];
    const L = lrs.shape[0];
    const logits = tf.reshape(tf.add(tf.matMul(x, s.w), s.b), [bsz, L, numClasses]); // [B, L, C]
    const logp = tf.logSoftmax(logits); // [B, L, C]
    const onehot = tf.reshape(tf.oneHot(labels, numClasses, 1, 0, 'float32'), [bsz, 1, numClasses]); // [B, 1, C]
    const lossSum = tf.neg(tf.sum(tf.mul(logp, onehot), [0, 2])) as tf.Tensor1D; // [L]
    const g = tf.reshape(tf.div(tf.sub(tf.exp(logp), onehot), bsz), [bsz, L * numClasses]); // [B, L·C]
    let gw: tf.Tensor2D = tf.matMul(x, g, true, false); // [F, L·C]
    let gb: tf.Tensor1D = tf.sum(g, 0); // [L·C]
    if (weightDecay !== 0) {
      gw = tf.add(gw, tf.mul(s.w, weightDecay));
      gb = tf.add(gb, tf.mul(s.b, weightDecay));
    }
    const bufW = tf.add(tf.mul(s.bufW, momentum), gw) as tf.Tensor2D;
    const bufB = tf.add(tf.mul(s.bufB, momentum), gb) as tf.Tensor1D;
    const lrCols = tf.reshape(tf.tile(tf.reshape(lrs, [L, 1]), [1, numClasses]), [L * numClasses]); // [L·C], lr of each column
    const w = tf.sub(s.w, tf.mul(bufW, lrCols)) as tf.Tensor2D;
    const b = tf.sub(s.b, tf.mul(bufB, lrCols)) as tf.Tensor1D;
    return {state: {w, b, bufW, bufB}, lossSum};
  });
}

/**
 * Correct top-1 and top-5 counts per classifier on feats [M, F]: the rank of the true class is the number of classes
 * with a strictly larger logit (rank 0: top-1 correct; rank < 5: top-5 correct). Chunks of `chunk` rows.
 */
export function probeCorrect(
  s: ProbeState, feats: tf.Tensor2D, labels: Int32Array, numClasses: number, chunk: number,
): {correct1: Float64Array; correct5: Float64Array} {
  const L = s.w.shape[1] / numClasses;
  const correct1 = new Float64Array(L), correct5 = new Float64Array(L);
  const m = feats.shape[0];
  for (let start = 0; start < m; start += chunk) {
    const rows = Math.min(chunk, m - start);
    const counts = tf.tidy(() => {
      const x = tf.slice(feats, [start, 0], [rows, -1]);
      const logits = tf.reshape(tf.add(tf.matMul(x, s.w), s.b), [rows, L, numClasses]); // [m, L, C]
      const onehot = tf.reshape(tf.oneHot(tf.tensor1d(labels.subarray(start, start + rows), 'int32'), numClasses), [rows, 1, numClasses]);
      const trueLogit = tf.sum(tf.mul(logits, onehot), 2, true); // [m, L, 1]
      const rank = tf.sum(tf.cast(tf.greater(logits, trueLogit), 'float32'), 2); // [m, L]
      const c1 = tf.sum(tf.cast(tf.less(rank, 1), 'float32'), 0); // [L]
      const c5 = tf.sum(tf.cast(tf.less(rank, 5), 'float32'), 0); // [L]
      return tf.stack([c1, c5]); // [2, L]
    });
    const v = counts.dataSync();
    counts.dispose();
    for (let l = 0; l < L; l++) {
      correct1[l] += v[l]!;
      correct5[l] += v[L + l]!;
    }
  }
  return {correct1, correct5};
}

function checkSet(name: string, feats: tf.Tensor2D, labels: Int32Array, featureDim: number | null): void {
  if (feats.rank !== 2) throw new Error(`trainLinearProbes: ${name} features must be [N, F], got shape [${feats.shape.join(', ')}]`);
  if (feats.shape[0] < 1) throw new Error(`trainLinearProbes: the ${name} set is empty`);
  if (featureDim !== null && feats.shape[1] !== featureDim) {
    throw new Error(`trainLinearProbes: ${name} features have ${feats.shape[1]} dims, the training features ${featureDim}`);
  }
  if (!(labels instanceof Int32Array)) throw new Error(`trainLinearProbes: ${name} labels must be an Int32Array`);
  if (labels.length !== feats.shape[0]) throw new Error(`trainLinearProbes: ${feats.shape[0]} ${name} features but ${labels.length} labels`);
}

function checkInteger(name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) throw new Error(`trainLinearProbes: ${name} must be an integer ≥ ${min}, got ${v}`);
}

/** Validates the inputs and fills the defaults. */
function resolve(trainFeats: tf.Tensor2D, trainLabels: Int32Array, valFeats: tf.Tensor2D, valLabels: Int32Array, o: LinearProbeOptions) {
  checkSet('training', trainFeats, trainLabels, null);
  checkSet('validation', valFeats, valLabels, trainFeats.shape[1]);
  let maxLabel = 0;
  for (const set of [trainLabels, valLabels]) {
    for (const y of set) {
      if (y < 0) throw new Error(`trainLinearProbes: labels must be ≥ 0, got ${y}`);
      if (y > maxLabel) maxLabel = y;
    }
  }
  const numClasses = o.numClasses ?? maxLabel + 1;
  checkInteger('numClasses', numClasses, 1);
  if (maxLabel >= numClasses) throw new Error(`trainLinearProbes: label ${maxLabel} is out of range for ${numClasses} classes`);
  const lrs = o.lrs ?? LINEAR_DEFAULT_LRS;
  if (lrs.length === 0) throw new Error('trainLinearProbes: lrs is empty');
  for (const lr of lrs) if (!(Number.isFinite(lr) && lr > 0)) throw new Error(`trainLinearProbes: every lr must be a positive number, got ${lr}`);
  const epochs = o.epochs ?? 100, batchSize = o.batchSize ?? 128, evalEvery = o.evalEvery ?? 1, seed = o.seed ?? 0;
  checkInteger('epochs', epochs, 1);
  checkInteger('batchSize', batchSize, 1);
  checkInteger('evalEvery', evalEvery, 1);
  checkInteger('seed', seed, 0);
  const momentum = o.momentum ?? 0.9, weightDecay = o.weightDecay ?? 0;
  if (!(momentum >= 0 && momentum < 1)) throw new Error(`trainLinearProbes: momentum must be in [0, 1), got ${momentum}`);
  if (!(weightDecay >= 0 && Number.isFinite(weightDecay))) throw new Error(`trainLinearProbes: weightDecay must be ≥ 0, got ${weightDecay}`);
  const evalBatchSize = o.evalBatchSize ?? Math.max(1, Math.floor(2 ** 22 / (lrs.length * numClasses)));
  checkInteger('evalBatchSize', evalBatchSize, 1);
  return {numClasses, lrs, epochs, batchSize, evalEvery, seed, momentum, weightDecay, evalBatchSize};
}

/**
 * Trains one linear classifier per lr on trainFeats [N, F] (features used as given: no normalisation) and validates
 * them on valFeats [M, F]. Memory: the training and validation features, plus 4 × F × L × C floats of state.
 */
export function trainLinearProbes(
  trainFeats: tf.Tensor2D, trainLabels: Int32Array, valFeats: tf.Tensor2D, valLabels: Int32Array, options: LinearProbeOptions = {},
): LinearProbeResult {
  const o = resolve(trainFeats, trainLabels, valFeats, valLabels, options);
  const [n, featureDim] = trainFeats.shape;
  const m = valFeats.shape[0];
  const L = o.lrs.length, C = o.numClasses;
  const scaled = o.lrs.map((lr) => (lr * o.batchSize) / 256);
  const perLr: LinearProbeLrResult[] = o.lrs.map((lr, l) => ({lr, scaledLr: scaled[l]!, top1: -1, epoch: 0, top5: null}));
  const history: LinearProbeEpoch[] = [];
  let state = initProbe(featureDim, C, L, o.seed);
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const factor = cosineFactor(epoch, o.epochs);
      const perm = new Rng(o.seed, epoch, 0, SHUFFLE_STREAM).permutation(n);
      const lrs = tf.tensor1d(scaled.map((lr) => lr * factor));
      let lossSum: tf.Tensor1D = tf.zeros([L]);
      try {
        for (let start = 0; start < n; start += o.batchSize) {
          options.signal?.throwIfAborted();
          const idx = perm.subarray(start, Math.min(n, start + o.batchSize));
          const {next, loss} = tf.tidy(() => {
            const x = tf.gather(trainFeats, tf.tensor1d(idx, 'int32')) as tf.Tensor2D; // [B, F]
            const y = tf.tensor1d(idx.map((i) => trainLabels[i]!), 'int32'); // [B]
            const r = probeStep(state, x, y, lrs, C, o.momentum, o.weightDecay);
            return {next: r.state, loss: tf.add(lossSum, r.lossSum) as tf.Tensor1D};
          });
          disposeProbe(state);
          lossSum.dispose();
          state = next;
          lossSum = loss;
        }
        const trainLoss = Array.from(lossSum.dataSync(), (v) => v / n);
        const report: LinearProbeEpoch = {epoch: epoch + 1, epochs: o.epochs, trainLoss};
        if (epoch % o.evalEvery === 0 || epoch === o.epochs - 1) {
          const {correct1, correct5} = probeCorrect(state, valFeats, valLabels, C, o.evalBatchSize);
          report.top1 = Array.from(correct1, (c) => (100 * c) / m);
          report.top5 = C >= 5 ? Array.from(correct5, (c) => (100 * c) / m) : null;
          for (let l = 0; l < L; l++) {
            if (report.top1[l]! > perLr[l]!.top1) {
              perLr[l] = {...perLr[l]!, top1: report.top1[l]!, epoch: epoch + 1, top5: report.top5?.[l] ?? null};
            }
          }
          history.push(report);
        }
        options.onEpoch?.(report);
      } finally {
        lrs.dispose();
        lossSum.dispose();
      }
    }
  } finally {
    disposeProbe(state);
  }
  const best = perLr.reduce((a, r) => (r.top1 > a.top1 || (r.top1 === a.top1 && r.epoch < a.epoch) ? r : a));
  return {perLr, best, history, numClasses: C, featureDim, trainSize: n, valSize: m, epochs: o.epochs, batchSize: o.batchSize};
}
