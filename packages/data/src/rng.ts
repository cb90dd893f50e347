// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011): every draw is a pure function of
// (seed, epoch, index, stream, position), so the same seed gives the same crops whatever the number of workers.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two u32s, exact in doubles (each partial product stays below 2^53). */
function mulhi32(a: number, b: number): number {
  const lo = (b & 0xffff) * a; // < 2^48
  const hi = (b >>> 16) * a; // < 2^48
  return Math.floor((hi + Math.floor(lo / 65536)) / 65536) >>> 0;
}

/** Philox4x32-10 block function: 4 counter words and 2 key words in, 4 random u32s out (written to `out`). */
export function philox4x32(counter: ArrayLike<number>, key: ArrayLike<number>, out: Uint32Array): void {
  let c0 = counter[0]! >>> 0, c1 = counter[1]! >>> 0, c2 = counter[2]! >>> 0, c3 = counter[3]! >>> 0;
  let k0 = key[0]! >>> 0, k1 = key[1]! >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi32(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** Streams that keep independent uses of one (seed, epoch, index) apart. Crop k of an item uses `crop + k`. */
export const RngStream = {
  shuffle: 1,
  split: 2,
  synthetic: 3,
  /** Free for the trainer (e.g. block masks): `mask + k` for global crop k. */
  mask: 0x1000,
  crop: 0x2000,
} as const;

/**
 * A sequential generator over the Philox stream keyed by `seed` at counter (index, epoch, stream): the n-th u32 it returns
 * is fixed by those numbers alone. `seed` may be any non-negative safe integer (its low and high 32 bits form the key).
 */
export class Rng {
  private readonly key: Uint32Array;
  private readonly counter: Uint32Array;
  private readonly block = new Uint32Array(4);
  private used = 4;

  constructor(seed: number, epoch = 0, index = 0, stream = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`Rng: seed must be a non-negative safe integer, got ${seed}`);
    for (const [name, v] of [['epoch', epoch], ['index', index], ['stream', stream]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`Rng: ${name} must be an integer in [0, 2^32), got ${v}`);
    }
    this.key = Uint32Array.of(seed >>> 0, Math.floor(seed / 0x100000000) >>> 0);
    // Word 0 counts blocks within the stream; the others name the stream.
    this.counter = Uint32Array.of(0, index, epoch, stream);
  }

  /** A uniformly distributed u32. */
  nextU32(): number {
    if (this.used === 4) {
      philox4x32(this.counter, this.key, this.block);
      this.counter[0] = (this.counter[0]! + 1) >>> 0;
      if (this.counter[0] === 0) throw new Error('Rng: more than 2^34 draws from one stream');
      this.used = 0;
    }
    return this.block[this.used++]!;
  }

  /** A double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A double in [lo, hi). */
  uniformIn(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** An integer in [0, n), unbiased (rejection sampling), n ≤ 2^32. */
  below(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) throw new Error(`Rng.below: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 0x100000000 - (0x100000000 % n); // accept u < limit: a whole number of copies of [0, n)
    for (;;) {
      const u = this.nextU32();
      if (u < limit) return u % n;
    }
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}
