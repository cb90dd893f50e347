// Clustering metrics (IBOT_SPEC §6.6) against values worked out by hand below (each derivation in the comments), their
// sklearn edge cases, invariances, and the Hungarian algorithm against brute force over all permutations.
import test from 'ava';

import {
  adjustedRandIndex, clusteringMetrics, contingency, fowlkesMallows, hungarian, hungarianAccuracy, normalizedMutualInfo,
} from './cluster.js';

const close = (t: import('ava').ExecutionContext, got: number, want: number, what: string) =>
  t.true(Math.abs(got - want) <= 1e-12, `${what}: got ${got}, want ${want}`);

// labels [0,0,0,1,1,1], clusters [0,0,1,1,2,2] (sklearn's documentation example).
// Contingency: class 0 → [2,1,0], class 1 → [0,1,2]; n = 6; class sizes [3,3]; cluster sizes [2,2,2].
// Pairs (ordered, as sklearn counts): Σn_ij² = 10, Σa_i² = 18, Σb_j² = 12.
//   TP = 10 − 6 = 4, FP = 12 − 10 = 2, FN = 18 − 10 = 8, TN = 36 − 2 − 8 − 10 = 16.
//   ARI = 2(TP·TN − FN·FP) / ((TP+FN)(FN+TN) + (TP+FP)(FP+TN)) = 2(64 − 16) / (12·24 + 6·18) = 96/396 = 8/33.
//   FMI = TP / sqrt((TP+FP)(TP+FN)) = 4 / sqrt(6·12) = 4/sqrt(72).
// MI: the four cells of 2 give (2/6)·ln((2/6)/((3/6)(2/6))) = (1/3)ln 2 each, two such cells; the cells of 1 give
//   (1/6)·ln((1/6)/((3/6)(2/6))) = 0. MI = (2/3)ln 2. H(labels) = ln 2, H(clusters) = ln 3.
//   NMI = MI / ((ln 2 + ln 3)/2) = (4/3)·ln 2 / ln 6.
// Hungarian: class 0 ↔ cluster 0 (2 items), class 1 ↔ cluster 2 (2 items): 4/6; cluster 1 is left over.
test('the sklearn documentation example, by hand', (t) => {
  const m = clusteringMetrics([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]);
  close(t, m.ari, 8 / 33, 'ARI');
  close(t, m.fmi, 4 / Math.sqrt(72), 'FMI');
  close(t, m.nmi, ((4 / 3) * Math.log(2)) / Math.log(6), 'NMI');
  close(t, m.acc, 4 / 6, 'accuracy');
  t.is(m.numClasses, 2);
  t.is(m.numClusters, 3);
});

// labels [0,0,1,1], clusters [0,1,0,1]: every cell 1, independent partitions.
// MI = 4·(1/4)·ln((1/4)/(1/2·1/2)) = 0 → NMI 0. Σn² = 4, Σa² = Σb² = 8: TP = 0, FP = FN = 4, TN = 16 − 12 = 4.
// ARI = 2(0 − 16)/((4)(8) + (4)(8)) = −32/64 = −1/2. FMI: TP = 0 → 0. Hungarian: any matching gets 1 + 1 = 2/4.
test('independent partitions: NMI 0, negative ARI, FMI 0', (t) => {
  const m = clusteringMetrics([0, 0, 1, 1], [0, 1, 0, 1]);
  t.is(m.nmi, 0);
  close(t, m.ari, -0.5, 'ARI');
  t.is(m.fmi, 0);
  close(t, m.acc, 0.5, 'accuracy');
});

// labels [0,0,0,1,1,2], clusters [5,5,7,7,7,9] (ids need not be 0..K−1).
// Contingency (rows classes 0,1,2; columns clusters 5,7,9): [2,1,0], [0,2,0], [0,0,1]; class sizes [3,2,1],
// cluster sizes [2,3,1]; n = 6. Σn² = 4+1+4+1 = 10; Σa² = 14; Σb² = 14.
// TP = 4, FP = 4, FN = 4, TN = 36 − 4 − 4 − 10 = 18. ARI = 2(72 − 16)/(8·22 + 8·22) = 112/352 = 7/22.
// FMI = 4/sqrt(8·8) = 1/2. Hungarian: 0↔5 (2), 1↔7 (2), 2↔9 (1) = 5/6.
// MI = (2/6)ln((2/6)/((3/6)(2/6))) + (1/6)ln((1/6)/((3/6)(3/6))) + (2/6)ln((2/6)/((2/6)(3/6))) + (1/6)ln((1/6)/((1/6)(1/6)))
//    = (1/3)ln 2 + (1/6)ln(2/3) + (1/3)ln 2 + (1/6)ln 6. H(labels) = H(clusters) = −(1/2)ln(1/2) − (1/3)ln(1/3) − (1/6)ln(1/6).
test('a three-class case with arbitrary ids, by hand', (t) => {
  const m = clusteringMetrics([0, 0, 0, 1, 1, 2], [5, 5, 7, 7, 7, 9]);
  close(t, m.ari, 7 / 22, 'ARI');
  close(t, m.fmi, 0.5, 'FMI');
  close(t, m.acc, 5 / 6, 'accuracy');
  const mi = (2 / 3) * Math.log(2) + Math.log(2 / 3) / 6 + Math.log(6) / 6;
  const h = -(Math.log(1 / 2) / 2 + Math.log(1 / 3) / 3 + Math.log(1 / 6) / 6);
  close(t, m.nmi, mi / h, 'NMI');
});

test('perfect clusterings score 1 whatever the ids; sklearn single-group edge cases', (t) => {
  const m = clusteringMetrics([3, 3, 1, 1, 2], [0, 0, 9, 9, 4]);
  close(t, m.nmi, 1, 'NMI');
  t.deepEqual([m.ari, m.fmi, m.acc], [1, 1, 1]);
  // Both sides a single group: NMI 1 and ARI 1 (sklearn's special cases); FMI 1, accuracy 1.
  const one = clusteringMetrics([7, 7, 7], [2, 2, 2]);
  t.deepEqual([one.nmi, one.ari, one.fmi, one.acc], [1, 1, 1, 1]);
  // Every item its own cluster vs one class: MI 0 → NMI 0; TP = 0 → FMI 0; ARI 0 (sklearn gives 0 here too:
  // TP = 0, FP = 0, FN = 6, TN = 0 → 2·0/(6·6 + 0) = 0); accuracy 1/3.
  const split = clusteringMetrics([0, 0, 0], [0, 1, 2]);
  t.deepEqual([split.nmi, split.ari, split.fmi], [0, 0, 0]);
  close(t, split.acc, 1 / 3, 'accuracy');
  // Every item its own cluster and its own class: pairs all "different-different" → ARI 1 (fp = fn = 0).
  t.is(clusteringMetrics([0, 1, 2], [5, 6, 7]).ari, 1);
});

test('symmetric metrics do not depend on which side is the labels; all are invariant to renaming', (t) => {
  const rng = mulberry32(1234);
  const a = Array.from({length: 200}, () => Math.floor(rng() * 5));
  const b = a.map((x) => (rng() < 0.6 ? x : Math.floor(rng() * 7)));
  const ab = clusteringMetrics(a, b), ba = clusteringMetrics(b, a);
  close(t, ab.nmi, ba.nmi, 'NMI');
  close(t, ab.ari, ba.ari, 'ARI');
  close(t, ab.fmi, ba.fmi, 'FMI');
  close(t, ab.acc, ba.acc, 'accuracy');
  const renamed = clusteringMetrics(a.map((x) => 100 - 3 * x), b.map((x) => x * x + 11));
  t.deepEqual(renamed, ab);
  t.true(ab.acc > 0.5 && ab.nmi > 0.3 && ab.ari > 0.2, JSON.stringify(ab));
});

test('bad input is a clear error', (t) => {
  t.throws(() => clusteringMetrics([0, 1], [0]), {message: /2 labels but 1 cluster assignments/});
  t.throws(() => clusteringMetrics([], []), {message: /no items/});
  t.throws(() => clusteringMetrics([0, 0.5], [0, 1]), {message: /labels\[1\] = 0.5 is not an integer/});
  t.throws(() => hungarian(new Float64Array(5), 2, 3), {message: /5 costs for a 2×3 matrix/});
});

// ---- the Hungarian algorithm ----

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Minimum total cost over all injective maps of the smaller side into the larger, by enumeration. */
function bruteForce(cost: Float64Array, rows: number, cols: number): number {
  let best = Infinity;
  const usedCols = new Uint8Array(cols), usedRows = new Uint8Array(rows);
  if (rows <= cols) {
    const go = (i: number, acc: number) => {
      if (i === rows) return void (best = Math.min(best, acc));
      for (let j = 0; j < cols; j++) {
        if (usedCols[j]) continue;
        usedCols[j] = 1;
        go(i + 1, acc + cost[i * cols + j]!);
        usedCols[j] = 0;
      }
    };
    go(0, 0);
  } else {
    const go = (j: number, acc: number) => {
      if (j === cols) return void (best = Math.min(best, acc));
      for (let i = 0; i < rows; i++) {
        if (usedRows[i]) continue;
        usedRows[i] = 1;
        go(j + 1, acc + cost[i * cols + j]!);
        usedRows[i] = 0;
      }
    };
    go(0, 0);
  }
  return best;
}

test('hungarian: optimal and a valid matching on random square and rectangular matrices (brute force)', (t) => {
  const rng = mulberry32(99);
  for (const [rows, cols] of [[1, 1], [1, 4], [4, 1], [3, 3], [5, 5], [7, 7], [4, 7], [7, 4], [6, 8], [8, 8]] as const) {
    for (let rep = 0; rep < 3; rep++) {
      // Small integers make ties common, which is where a wrong implementation slips.
      const cost = Float64Array.from({length: rows * cols}, () => Math.floor(rng() * 10) - 3);
      const colOfRow = hungarian(cost, rows, cols);
      const assigned = [...colOfRow].filter((j) => j >= 0);
      t.is(assigned.length, Math.min(rows, cols), `${rows}×${cols}: every row or every column matched`);
      t.is(new Set(assigned).size, assigned.length, `${rows}×${cols}: no column used twice`);
      const total = [...colOfRow].reduce((acc, j, i) => acc + (j >= 0 ? cost[i * cols + j]! : 0), 0);
      t.is(total, bruteForce(cost, rows, cols), `${rows}×${cols} rep ${rep}`);
    }
  }
});

// Confusion [[0,5,0],[0,0,4],[3,0,1]]: the identity matching gets 0 + 0 + 1 = 1; the best is class 0 ↔ cluster 1,
// class 1 ↔ cluster 2, class 2 ↔ cluster 0: 5 + 4 + 3 = 12 of 13. Greedy by largest cell finds it too; the next case
// defeats greedy: [[5,4],[4,0]] greedy takes 5 then 0 = 5; optimal 4 + 4 = 8 of 13.
test('hungarianAccuracy: hand-worked confusion matrices, including one where greedy matching is wrong', (t) => {
  const fromConfusion = (m: number[][]) => {
    const labels: number[] = [], clusters: number[] = [];
    m.forEach((row, i) => row.forEach((count, j) => {
      for (let k = 0; k < count; k++) labels.push(i), clusters.push(j);
    }));
    return contingency(labels, clusters);
  };
  close(t, hungarianAccuracy(fromConfusion([[0, 5, 0], [0, 0, 4], [3, 0, 1]])), 12 / 13, 'permuted');
  close(t, hungarianAccuracy(fromConfusion([[5, 4], [4, 0]])), 8 / 13, 'greedy trap');
  // The renumbering follows first appearance; it must not matter that cluster 1 is met before cluster 0.
  t.is(normalizedMutualInfo(fromConfusion([[2, 0], [0, 2]])), 1);
  t.is(adjustedRandIndex(fromConfusion([[2, 0], [0, 2]])), 1);
  t.is(fowlkesMallows(fromConfusion([[2, 0], [0, 2]])), 1);
});

test('hungarian: 1000 clusters × 1000 classes finishes quickly and matches a planted permutation', (t) => {
  const n = 1000, rng = mulberry32(5);
  const perm = Array.from({length: n}, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  // Each class i lands in cluster perm[i] 3 times and in a random cluster once: the planted matching is optimal.
  const labels: number[] = [], clusters: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) labels.push(i), clusters.push(perm[i]!);
    labels.push(i), clusters.push(Math.floor(rng() * n));
  }
  const start = Date.now();
  const acc = hungarianAccuracy(contingency(labels, clusters));
  t.log(`1000×1000 Hungarian: ${Date.now() - start} ms`);
  t.true(acc >= 0.75 && acc <= 1, String(acc));
  const planted = labels.reduce((a, l, i) => a + (clusters[i] === perm[l] ? 1 : 0), 0) / labels.length;
  t.true(acc >= planted, `${acc} < planted ${planted}`);
});
