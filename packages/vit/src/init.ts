// Seeded initial values of the ViT's parameters (IBOT_SPEC §1.11), drawn on the host in our layout. Each parameter
// has its own stream keyed by (seed, name), so a student and a teacher built with the same seed agree on every common
// parameter whether or not one of them has masked_embed.
import type {ViTConfig} from './config.js';
import {type ParamSpec, sizeOf} from './params.js';

const TRUNC_STD = 0.02;
/** The official truncation bounds are absolute (±2, i.e. ±100σ), not ±2σ. */
const TRUNC_BOUND = 2;

/** FNV-1a of a string, for stream keys. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** splitmix32: a small, well-mixed generator; uniform doubles in [0, 1) with 32 random bits. */
class Stream {
  private state: number;
  constructor(seed: number, key: string) {
    this.state = (Math.imul(seed | 0, 0x9e3779b1) ^ hashString(key)) >>> 0;
  }

  next(): number {
    let z = (this.state = (this.state + 0x9e3779b9) >>> 0);
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return ((z ^ (z >>> 15)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box–Muller; 1 − u keeps the log argument in (0, 1]). */
  normal(): number {
    const u = 1 - this.next(), v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** The initial value of one parameter, in our layout (spec.shape), row-major. */
export function initialValue(spec: ParamSpec, config: ViTConfig): Float32Array {
  const out = new Float32Array(sizeOf(spec.shape));
  const rng = new Stream(config.seed, spec.name);
  switch (spec.init) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'truncNormal':
      for (let i = 0; i < out.length; i++) {
        let x: number;
        do x = TRUNC_STD * rng.normal(); while (Math.abs(x) > TRUNC_BOUND);
        out[i] = x;
      }
      break;
    case 'convUniform': {
      // PyTorch's Conv2d default (kaiming_uniform with a = √5 for the weight; the bias uses the same bound).
      const bound = 1 / Math.sqrt(config.inChans * config.patchSize * config.patchSize);
      for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * bound;
      break;
    }
  }
  return out;
}
