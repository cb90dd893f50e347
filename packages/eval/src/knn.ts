// Weighted k-NN classification of the iBOT/DINO papers (IBOT_SPEC §6.2, eval_knn.py): cosine similarity of each test
// feature to every training feature, the top k neighbours vote with weight exp(sim / T), top-1 and top-5 from the class
// scores. Similarities are computed in chunks of test rows on the active backend (bounded memory, the GPU when there is
// one); only the top-k values and indices come back to the host, where the vote is done in float64.
import * as tf from '@tensorflow/tfjs-core';

export interface KnnOptions {
  /** Neighbours per test item (default 20); clamped to the number of training items. */
  k?: number;
  /** Temperature of the exp(sim / T) vote (default 0.07). */
  T?: number;
  /** Number of classes (default: 1 + the largest label seen). */
  numClasses?: number;
  /**
   * L2-normalise both feature sets first (default true), so the dot product is the cosine similarity. Features from
   * extractFeatures are normalised already; normalising again changes them by rounding only.
   */
  normalize?: boolean;
  /** Test rows per similarity chunk (default: as many as keep a chunk's [rows, nTrain] similarities ≤ 64 MiB). */
  chunkSize?: number;
}

export interface KnnResult {
  /** The k actually used (the requested k clamped to the training set size). */
  k: number;
  T: number;
  /** Accuracies in percent, as the official code prints them. */
  top1: number;
  top5: number;
  correct1: number;
  correct5: number;
  total: number;
  /** Predicted class per test item (the top-1). */
  predictions: Int32Array;
}

export const KNN_DEFAULT_K = 20;
export const KNN_DEFAULT_T = 0.07;
/** Bytes of float32 similarities one chunk may hold. */
const CHUNK_BYTES = 64 * 2 ** 20;

/** Classifies with several k at once (one similarity pass, the top max(k) kept): one result per k, in order. */
export function knnClassifyMany(
  trainFeats: tf.Tensor2D, // [Ntrain, D]
  trainLabels: ArrayLike<number>, // [Ntrain]
  testFeats: tf.Tensor2D, // [Ntest, D]
  testLabels: ArrayLike<number>, // [Ntest]
  ks: readonly number[],
  options: Omit<KnnOptions, 'k'> = {},
): KnnResult[] {
  const T = options.T ?? KNN_DEFAULT_T;
  const {nTrain, nTest, numClasses} = checkInputs(trainFeats, trainLabels, testFeats, testLabels, ks, T, options);
  const effectiveKs = ks.map((k) => Math.min(k, nTrain));
  const kMax = Math.max(...effectiveKs);
  const chunk = options.chunkSize ?? Math.max(1, Math.floor(CHUNK_BYTES / (4 * nTrain)));
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`knnClassify: chunkSize must be an integer ≥ 1, got ${chunk}`);

  const trainLab = Int32Array.from(trainLabels);
  const results = effectiveKs.map((k) => ({k, correct1: 0, correct5: 0, predictions: new Int32Array(nTest)}));
  const normalize = options.normalize ?? true;
  const train = tf.tidy(() => (normalize ? l2NormalizeRows(trainFeats) : trainFeats.clone()));
  try {
    const scores = new Float64Array(numClasses);
    for (let start = 0; start < nTest; start += chunk) {
      const rows = Math.min(chunk, nTest - start);
      const {values, indices} = tf.tidy(() => {
        let q = tf.slice(testFeats, [start, 0], [rows, -1]);
        if (normalize) q = l2NormalizeRows(q);
        const sim = tf.matMul(q, train, false, true); // [rows, Ntrain]
        const top = tf.topk(sim, kMax, true); // [rows, kMax], sorted by decreasing similarity
        return {values: top.values.dataSync() as Float32Array, indices: top.indices.dataSync() as Int32Array};
      });
      for (let r = 0; r < rows; r++) {
        const label = testLabels[start + r]!;
        for (const res of results) {
          scores.fill(0);
          for (let j = 0; j < res.k; j++) {
            const o = r * kMax + j;
            scores[trainLab[indices[o]!]!]! += Math.exp(values[o]! / T);
          }
          const {best, rank} = rankOf(scores, label);
          res.predictions[start + r] = best;
          if (rank === 0) res.correct1++;
          if (rank < 5) res.correct5++;
        }
      }
    }
  } finally {
    train.dispose();
  }
  return results.map((r) => ({
    k: r.k, T, total: nTest, correct1: r.correct1, correct5: r.correct5,
    top1: (100 * r.correct1) / nTest, top5: (100 * r.correct5) / nTest, predictions: r.predictions,
  }));
}

/** Weighted k-NN with one k (default 20, T 0.07): top-1 / top-5 accuracy of the test set against the training set. */
export function knnClassify(
  trainFeats: tf.Tensor2D, // [Ntrain, D]
  trainLabels: ArrayLike<number>, // [Ntrain]
  testFeats: tf.Tensor2D, // [Ntest, D]
  testLabels: ArrayLike<number>, // [Ntest]
  options: KnnOptions = {},
): KnnResult {
  const {k = KNN_DEFAULT_K, ...rest} = options;
  return knnClassifyMany(trainFeats, trainLabels, testFeats, testLabels, [k], rest)[0]!;
}

/** x / max(‖x‖₂, 1e-12) per row (torch's F.normalize(dim=1)). */
export function l2NormalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)));
}

/**
 * The predicted class (highest score; ties go to the lower class index) and the rank of `label` in the same order:
 * rank 0 is a top-1 hit, rank < 5 a top-5 hit (with fewer than 5 classes every item is a top-5 hit).
 */
export function rankOf(scores: Float64Array, label: number): {best: number; rank: number} {
  let best = 0;
  let rank = 0;
  const s = scores[label]!;
  for (let c = 0; c < scores.length; c++) {
    if (scores[c]! > scores[best]!) best = c;
    if (scores[c]! > s || (scores[c] === s && c < label)) rank++;
  }
  return {best, rank};
}

function checkInputs(
  trainFeats: tf.Tensor2D, trainLabels: ArrayLike<number>, testFeats: tf.Tensor2D, testLabels: ArrayLike<number>,
  ks: readonly number[], T: number, options: Omit<KnnOptions, 'k'>,
): {nTrain: number; nTest: number; numClasses: number} {
  const shape = (t: tf.Tensor) => `[${t.shape.join(', ')}]`;
  if (trainFeats.rank !== 2 || testFeats.rank !== 2) {
    throw new Error(`knnClassify: features must be [N, D]; got train ${shape(trainFeats)}, test ${shape(testFeats)}`);
  }
  const [nTrain, d] = trainFeats.shape;
  const [nTest, dTest] = testFeats.shape;
  if (d !== dTest) throw new Error(`knnClassify: train features ${shape(trainFeats)} and test features ${shape(testFeats)} differ in D`);
  if (nTrain < 1) throw new Error('knnClassify: the training set is empty');
  if (nTest < 1) throw new Error('knnClassify: the test set is empty');
  if (trainLabels.length !== nTrain) throw new Error(`knnClassify: ${trainLabels.length} train labels for train features ${shape(trainFeats)}`);
  if (testLabels.length !== nTest) throw new Error(`knnClassify: ${testLabels.length} test labels for test features ${shape(testFeats)}`);
  if (ks.length === 0) throw new Error('knnClassify: no k given');
  for (const k of ks) if (!Number.isInteger(k) || k < 1) throw new Error(`knnClassify: k must be an integer ≥ 1, got ${k}`);
  if (!(T > 0) || !Number.isFinite(T)) throw new Error(`knnClassify: T must be a positive finite number, got ${T}`);
  let maxLabel = -1;
  for (const labels of [trainLabels, testLabels]) {
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (!Number.isInteger(l) || l < 0) throw new Error(`knnClassify: labels must be integers ≥ 0, got ${l} at ${i}`);
      maxLabel = Math.max(maxLabel, l);
    }
  }
  const numClasses = options.numClasses ?? maxLabel + 1;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`knnClassify: numClasses must be an integer ≥ 1, got ${numClasses}`);
  if (maxLabel >= numClasses) throw new Error(`knnClassify: label ${maxLabel} is outside [0, ${numClasses}) (numClasses ${numClasses})`);
  return {nTrain, nTest, numClasses};
}
