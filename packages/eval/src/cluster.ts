// Clustering metrics of the unsupervised-classification protocol (IBOT_SPEC §6.6), with scikit-learn's definitions and
// edge cases: NMI (arithmetic-mean normalisation, sklearn's default), ARI, Fowlkes–Mallows, and accuracy after the
// best one-to-one matching of clusters to classes (the Hungarian algorithm on the contingency table). float64 host math.

/** The counts n[i][j] of items with class i and cluster j (ids renumbered 0.. in order of first appearance). */
export interface Contingency {
  numClasses: number;
  numClusters: number;
  /** Row-major [numClasses, numClusters]. */
  counts: Float64Array;
  /** Items per class (row sums) and per cluster (column sums). */
  classSizes: Float64Array;
  clusterSizes: Float64Array;
  n: number;
}

function renumber(ids: ArrayLike<number>, what: string): {index: Int32Array; count: number} {
  const map = new Map<number, number>();
  const index = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id)) throw new Error(`clustering metrics: ${what}[${i}] = ${id} is not an integer`);
    let k = map.get(id);
    if (k === undefined) map.set(id, (k = map.size));
    index[i] = k;
  }
  return {index, count: map.size};
}

export function contingency(labels: ArrayLike<number>, clusters: ArrayLike<number>): Contingency {
  if (labels.length !== clusters.length) {
    throw new Error(`clustering metrics: ${labels.length} labels but ${clusters.length} cluster assignments`);
  }
  if (labels.length === 0) throw new Error('clustering metrics: no items');
  const a = renumber(labels, 'labels'), b = renumber(clusters, 'clusters');
  const counts = new Float64Array(a.count * b.count);
  const classSizes = new Float64Array(a.count), clusterSizes = new Float64Array(b.count);
  for (let i = 0; i < labels.length; i++) {
    counts[a.index[i]! * b.count + b.index[i]!]!++;
    classSizes[a.index[i]!]!++;
    clusterSizes[b.index[i]!]!++;
  }
  return {numClasses: a.count, numClusters: b.count, counts, classSizes, clusterSizes, n: labels.length};
}

const sumSquares = (xs: Float64Array) => xs.reduce((acc, x) => acc + x * x, 0);

function entropy(sizes: Float64Array, n: number): number {
  let h = 0;
  for (const s of sizes) if (s > 0) h -= (s / n) * Math.log(s / n);
  return h;
}

/**
 * Normalised mutual information, MI / mean(H(labels), H(clusters)) (sklearn's average_method='arithmetic').
 * As sklearn: 1 when both sides are a single group, 0 when MI is 0 (e.g. one side is a single group).
 */
export function normalizedMutualInfo(c: Contingency): number {
  if (c.numClasses === 1 && c.numClusters === 1) return 1;
  let mi = 0;
  for (let i = 0; i < c.numClasses; i++) {
    for (let j = 0; j < c.numClusters; j++) {
      const nij = c.counts[i * c.numClusters + j]!;
      if (nij > 0) mi += (nij / c.n) * Math.log((nij * c.n) / (c.classSizes[i]! * c.clusterSizes[j]!));
    }
  }
  if (mi <= 0) return 0;  // also absorbs rounding just below 0
  const norm = (entropy(c.classSizes, c.n) + entropy(c.clusterSizes, c.n)) / 2;
  return mi / Math.max(norm, Number.EPSILON);
}

/** The pair confusion matrix as sklearn counts it (ordered pairs): [same-same, split, merged, different-different]. */
function pairCounts(c: Contingency): {tp: number; fp: number; fn: number; tn: number} {
  const sq = sumSquares(c.counts);
  const tp = sq - c.n;
  const fp = sumSquares(c.clusterSizes) - sq;  // same cluster, different class
  const fn = sumSquares(c.classSizes) - sq;  // same class, different cluster
  const tn = c.n * c.n - fp - fn - sq;
  return {tp, fp, fn, tn};
}

/** Adjusted Rand index (Hubert & Arabie), 1 when the two partitions agree on every pair (sklearn's special case). */
export function adjustedRandIndex(c: Contingency): number {
  const {tp, fp, fn, tn} = pairCounts(c);
  if (fp === 0 && fn === 0) return 1;
  return (2 * (tp * tn - fn * fp)) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

/** Fowlkes–Mallows index, TP / sqrt((TP + FP)(TP + FN)) over pairs; 0 when no pair is together in both. */
export function fowlkesMallows(c: Contingency): number {
  const {tp, fp, fn} = pairCounts(c);
  return tp === 0 ? 0 : Math.sqrt(tp / (tp + fp)) * Math.sqrt(tp / (tp + fn));
}

/**
 * Minimum-cost assignment on a [rows, cols] cost matrix (row-major): the Hungarian algorithm with potentials,
 * O(rows² · cols) for rows ≤ cols (the matrix is transposed otherwise). Returns the column of each row, -1 for rows
 * left unassigned (when rows > cols).
 */
export function hungarian(cost: Float64Array, rows: number, cols: number): Int32Array {
  if (cost.length !== rows * cols) throw new Error(`hungarian: ${cost.length} costs for a ${rows}×${cols} matrix`);
  if (rows > cols) {
    const t = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = cost[i * cols + j]!;
    const colOfRowT = hungarian(t, cols, rows);
    const out = new Int32Array(rows).fill(-1);
    colOfRowT.forEach((i, j) => (out[i] = j));
    return out;
  }
  const n = rows, m = cols;
  // 1-based potentials u (rows), v (columns); p[j] = row matched to column j (0 = none); way = augmenting path.
  const u = new Float64Array(n + 1), v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1), way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0]!, row = (i0 - 1) * m;
      let delta = Infinity, j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = cost[row + j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!]! += delta;
          v[j]! -= delta;
        } else {
          minv[j]! -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const colOfRow = new Int32Array(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]) colOfRow[p[j]! - 1] = j - 1;
  return colOfRow;
}

/**
 * Accuracy after matching each cluster to at most one class (and each class to at most one cluster) so that the most
 * items agree; items of unmatched clusters count as wrong (more clusters than classes, or the reverse).
 */
export function hungarianAccuracy(c: Contingency): number {
  // Maximise the matched counts = minimise their negation.
  const cost = c.counts.map((x) => -x);
  const colOfRow = hungarian(cost, c.numClasses, c.numClusters);
  let matched = 0;
  colOfRow.forEach((j, i) => {
    if (j >= 0) matched += c.counts[i * c.numClusters + j]!;
  });
  return matched / c.n;
}

export interface ClusteringMetrics {
  nmi: number;
  ari: number;
  fmi: number;
  /** Hungarian-matched accuracy. */
  acc: number;
  numClasses: number;
  numClusters: number;
}

/** All four metrics of IBOT_SPEC §6.6 for ground-truth labels and cluster assignments (any integer ids). */
export function clusteringMetrics(labels: ArrayLike<number>, clusters: ArrayLike<number>): ClusteringMetrics {
  const c = contingency(labels, clusters);
  return {
    nmi: normalizedMutualInfo(c), ari: adjustedRandIndex(c), fmi: fowlkesMallows(c), acc: hungarianAccuracy(c),
    numClasses: c.numClasses, numClusters: c.numClusters,
  };
}
