// Seeded random inputs for parity tests: every run draws fresh values (the seed is printed on failure) unless
// IBOT_TEST_SEED pins it.
import type {DataType} from '@tensorflow/tfjs-core';

/** A small, fast, seedable PRNG (mulberry32). */
export class Rng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  normal(): number {
    const u = Math.max(this.next(), 1e-12), v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
}

export function testSeed(): number {
  const pinned = process.env['IBOT_TEST_SEED'];
  return pinned ? Number(pinned) : (Math.random() * 2 ** 31) >>> 0;
}

/** float32 values uniform in [-1, 1]: the inputs dotTolerance (testing/parity.ts) is sized for. */
export function unitTensor(rng: Rng, shape: number[]): HostTensor {
  return randomTensor(rng, shape, 'float32', {min: -1, max: 1});
}

/** A generator seeded by testSeed(); the seed goes to the test's log so a failure can be replayed (IBOT_TEST_SEED). */
export function seededRng(t: {log(...values: unknown[]): void}): Rng {
  const seed = testSeed();
  t.log(`seed ${seed}`);
  return new Rng(seed);
}

export interface HostTensor {
  shape: number[];
  dtype: DataType;
  values: Float32Array | Int32Array | Uint8Array;
}

export interface RandomOptions {
  /** Range of float values (default [-3, 3]) or int values (default [-10, 10]). */
  min?: number;
  max?: number;
}

export function randomTensor(rng: Rng, shape: number[], dtype: DataType = 'float32', opts: RandomOptions = {}):
    HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'float32') {
    const lo = opts.min ?? -3, hi = opts.max ?? 3;
    const v = new Float32Array(size);
    for (let i = 0; i < size; i++) v[i] = rng.uniform(lo, hi);
    return {shape, dtype, values: v};
  }
  if (dtype === 'int32') {
    const lo = opts.min ?? -10, hi = opts.max ?? 10;
    const v = new Int32Array(size);
    for (let i = 0; i < size; i++) v[i] = rng.int(lo, hi);
    return {shape, dtype, values: v};
  }
  if (dtype === 'bool') {
    const v = new Uint8Array(size);
    for (let i = 0; i < size; i++) v[i] = rng.next() < 0.5 ? 1 : 0;
    return {shape, dtype, values: v};
  }
  throw new Error(`randomTensor: unsupported dtype ${dtype}`);
}

/** A random shape of the given rank with dimensions in [1, maxDim] (odd sizes are as likely as even ones). */
export function randomShape(rng: Rng, rank: number, maxDim = 7): number[] {
  return Array.from({length: rank}, () => rng.int(1, maxDim));
}

/** `shape` with some dimensions set to 1, so it broadcasts against `shape`; may also drop leading dimensions. */
export function broadcastableShape(rng: Rng, shape: number[]): number[] {
  const dropped = rng.int(0, shape.length);
  return shape.slice(dropped).map((d) => (rng.next() < 0.4 ? 1 : d));
}
