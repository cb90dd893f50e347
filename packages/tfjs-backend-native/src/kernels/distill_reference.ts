// The float64 reference of IbotDistill / IbotDistillGrad for the kernel tests, written from the definition (IBOT_SPEC
// §4.2, §4.3) with the textbook max-shifted softmax, not from the kernels' online formulation. It also gives, per
// output, how far a float32 computation may honestly land from the exact value: the scaled logits x = s/τs and
// (t - c)/τt carry rounding errors of a few ulp(x), and the outputs' sensitivity to them is known in closed form
// (∂loss/∂s'_k = q_k - p_k, ∂loss/∂t'_k = p_k (d_k - Σ p d) with d = max s' - s'). With logits of ±80 at τ = 0.07
// that sensitivity is ~1e6 times the unit roundoff, which no float32 kernel can beat; with ±3 it is ~1e3.

export interface DistillCase {
  rows: number;
  k: number;
  student: Float32Array;  // [rows, k]
  teacher: Float32Array;  // [rows, k]
  center: Float32Array;   // [k]
  rowMask: Uint8Array | null;
  studentTemp: number;
  teacherTemp: number;
}

/** softmax(x / temp) of one row in float64. */
function softmax64(x: ArrayLike<number>, offset: number, k: number, shift: ArrayLike<number> | null,
                   temp: number): Float64Array {
  const y = new Float64Array(k);
  let m = -Infinity;
  for (let j = 0; j < k; j++) {
    y[j] = (x[offset + j]! - (shift ? shift[j]! : 0)) / temp;
    m = Math.max(m, y[j]!);
  }
  let z = 0;
  for (let j = 0; j < k; j++) z += (y[j] = Math.exp(y[j]! - m));
  for (let j = 0; j < k; j++) y[j]! /= z;
  return y;
}

function logsumexp64(x: ArrayLike<number>, offset: number, k: number, temp: number): number {
  let m = -Infinity;
  for (let j = 0; j < k; j++) m = Math.max(m, x[offset + j]! / temp);
  let z = 0;
  for (let j = 0; j < k; j++) z += Math.exp(x[offset + j]! / temp - m);
  return m + Math.log(z);
}

function isSelected(c: DistillCase, r: number): boolean {
  return c.rowMask == null || c.rowMask[r] !== 0;
}

/** A few roundings of float32 (unit roundoff 2^-24): the relative error assumed for every scaled logit. */
const EPS = 8 * 2 ** -24;

/**
 * loss[r] = -Σ p log q on selected rows (0 elsewhere, and for K = 0); colSum[k] = Σ over all rows of the teacher;
 * lossBound[r] = the error float32 rounding of the scaled logits may cause in loss[r] (see the header).
 */
export function distillReference(c: DistillCase): {loss: Float64Array; colSum: Float64Array; lossBound: Float64Array} {
  const {rows, k} = c;
  const loss = new Float64Array(rows);
  const lossBound = new Float64Array(rows);
  const colSum = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) colSum[j]! += c.teacher[r * k + j]!;
    if (!isSelected(c, r) || k === 0) continue;
    const p = softmax64(c.teacher, r * k, k, c.center, c.teacherTemp);
    const q = softmax64(c.student, r * k, k, null, c.studentTemp);
    const lse = logsumexp64(c.student, r * k, k, c.studentTemp);
    let ce = 0;
    for (let j = 0; j < k; j++) {
      if (p[j]! > 0) ce -= p[j]! * (c.student[r * k + j]! / c.studentTemp - lse);
    }
    loss[r] = ce;
    // Sensitivity: Σ |q - p| |s'| + Σ p |d - E_p d| |t'|, d_k = lse - s'_k (any shift of d gives the same sum).
    let bound = 0;
    for (let j = 0; j < k; j++) {
      const sp = c.student[r * k + j]! / c.studentTemp;
      const tp = (c.teacher[r * k + j]! - c.center[j]!) / c.teacherTemp;
      bound += Math.abs(q[j]! - p[j]!) * (Math.abs(sp) + 1) + p[j]! * Math.abs(lse - sp - ce) * (Math.abs(tp) + 1);
    }
    lossBound[r] = EPS * bound;
  }
  return {loss, colSum, lossBound};
}

/**
 * grad = dStudent[r] = dLoss[r] (softmax(s / τs) - p) / τs on selected rows, 0 elsewhere; gradBound = the error float32
 * rounding may cause: q_k = e^{s'_k - lse} moves by q_k (|s'_k| + |lse|) times the relative error, p_k likewise.
 */
export function distillGradReference(c: DistillCase, dLoss: ArrayLike<number>):
    {grad: Float64Array; gradBound: Float64Array} {
  const {rows, k} = c;
  const grad = new Float64Array(rows * k);
  const gradBound = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    if (!isSelected(c, r)) continue;
    const p = softmax64(c.teacher, r * k, k, c.center, c.teacherTemp);
    const q = softmax64(c.student, r * k, k, null, c.studentTemp);
    const lse = logsumexp64(c.student, r * k, k, c.studentTemp);
    let tMax = -Infinity;
    for (let j = 0; j < k; j++) tMax = Math.max(tMax, (c.teacher[r * k + j]! - c.center[j]!) / c.teacherTemp);
    const g = dLoss[r]! / c.studentTemp;
    for (let j = 0; j < k; j++) {
      const sp = c.student[r * k + j]! / c.studentTemp;
      const tp = (c.teacher[r * k + j]! - c.center[j]!) / c.teacherTemp;
      grad[r * k + j] = g * (q[j]! - p[j]!);
      gradBound[r * k + j] =
          EPS * Math.abs(g) * (q[j]! * (Math.abs(sp) + Math.abs(lse) + 1) + p[j]! * (Math.abs(tp) + Math.abs(tMax) + 1));
    }
  }
  return {grad, gradBound};
}
