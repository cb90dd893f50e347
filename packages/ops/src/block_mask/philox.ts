// Philox4x32-10 in plain JS numbers (no BigInt): the twin of native/src/core/philox.h, so the JS reference mask
// generator reads the same random words as the CPU and CUDA kernels.

const M0 = 0xd2511f53, M1 = 0xcd9e8d57;  // round multipliers
const W0 = 0x9e3779b9, W1 = 0xbb67ae85;  // Weyl key increments

/**
 * High 32 bits of the 64-bit product of two unsigned 32-bit integers, through 16-bit halves of b: a·b1 and a·b0 are
 * below 2^48, so every step is exact in float64.
 */
export function mulhi32(a: number, b: number): number {
  const b0 = b & 0xffff, b1 = b >>> 16;
  return Math.floor((a * b1 + Math.floor((a * b0) / 65536)) / 65536) >>> 0;
}

/** Low 32 bits of the product, as an unsigned integer. */
export function mullo32(a: number, b: number): number {
  return Math.imul(a, b) >>> 0;
}

/**
 * The Philox4x32-10 block for counter ctr (4 unsigned 32-bit words) and key (key0, key1), written into out (4 words).
 * Checked against Random123's known-answer vectors by philox.test.ts.
 */
export function philox4x32_10(ctr: ArrayLike<number>, key0: number, key1: number,
                              out: Uint32Array = new Uint32Array(4)): Uint32Array {
  let c0 = ctr[0]! >>> 0, c1 = ctr[1]! >>> 0, c2 = ctr[2]! >>> 0, c3 = ctr[3]! >>> 0;
  let k0 = key0 >>> 0, k1 = key1 >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi32(M0, c0), lo0 = mullo32(M0, c0);
    const hi1 = mulhi32(M1, c2), lo1 = mullo32(M1, c2);
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}
