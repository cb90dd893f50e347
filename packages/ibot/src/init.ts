// Parameter initialisers of the official code (IBOT_SPEC §1.11, §2.1), drawn from the seeded Philox generator of
// @ibotjs/data so that a model built with the same seed has the same weights on every backend.
import {Rng} from '@ibotjs/data';

/** N(0, std²) truncated to the ABSOLUTE interval [lo, hi] (timm's trunc_normal_ defaults: [−2, 2]). */
export function truncNormal(rng: Rng, n: number, std: number, lo = -2, hi = 2): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n;) {
    // Box–Muller gives two normals per draw; keep those inside the bounds.
    const u = 1 - rng.uniform(), v = rng.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    for (const z of [r * Math.cos(2 * Math.PI * v), r * Math.sin(2 * Math.PI * v)]) {
      const x = z * std;
      if (i < n && x >= lo && x <= hi) out[i++] = x;
    }
  }
  return out;
}

/** U(−bound, bound): PyTorch's default Linear weight init has bound 1/√fan_in. */
export function uniformInit(rng: Rng, n: number, bound: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng.uniform() - 1) * bound;
  return out;
}
