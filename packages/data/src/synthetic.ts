// A synthetic labelled image set for tests: deterministic for a seed, generated per item (no memory), with class-dependent
// structure (a blob at a class-specific place, a grating at a class-specific angle, a class tint in RGB) so k-NN separates
// the classes, and per-image jitter and noise so no two images are equal.
import {checkIndex, type Dataset, type Sample, type SyntheticOptions} from './dataset.js';
import {Rng, RngStream} from './rng.js';

export class SyntheticDataset implements Dataset {
  readonly size: number;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly channels: 1 | 3;
  readonly imageShape: readonly [number, number, number];
  readonly description;
  private readonly seed: number;
  private readonly noise: number;

  constructor(options: SyntheticOptions) {
    const {size, numClasses = 10, height = 28, width = 28, channels = 1, seed = 0, noise = 0.1} = options;
    for (const [name, v, min] of [['size', size, 1], ['numClasses', numClasses, 1], ['height', height, 1], ['width', width, 1]] as const) {
      if (!Number.isInteger(v) || v < min) throw new Error(`SyntheticDataset: ${name} must be an integer ≥ ${min}, got ${v}`);
    }
    if (channels !== 1 && channels !== 3) throw new Error(`SyntheticDataset: channels must be 1 or 3, got ${String(channels)}`);
    if (!(noise >= 0)) throw new Error(`SyntheticDataset: noise must be ≥ 0, got ${noise}`);
    this.size = size;
    this.numClasses = numClasses;
    this.classNames = Array.from({length: numClasses}, (_, c) => `class ${c}`);
    this.channels = channels;
    this.imageShape = [height, width, channels];
    this.seed = seed;
    this.noise = noise;
    this.description = {kind: 'synthetic' as const, options: {size, numClasses, height, width, channels, seed, noise}};
  }

  labelOf(index: number): number {
    checkIndex(this, index, 'SyntheticDataset.labelOf');
    return index % this.numClasses;
  }

  getSync(index: number): Sample {
    const label = this.labelOf(index);
    const [height, width, channels] = this.imageShape;
    const rng = new Rng(this.seed, 0, index, RngStream.synthetic);
    const k = this.numClasses;
    const side = Math.min(height, width);
    const angle = (2 * Math.PI * label) / k;
    // Per-image jitter: a small shift and a contrast.
    const dx = rng.uniformIn(-1.5, 1.5), dy = rng.uniformIn(-1.5, 1.5);
    const amplitude = rng.uniformIn(0.7, 1.0);
    const cx = (width - 1) / 2 + 0.3 * side * Math.cos(angle) + dx;
    const cy = (height - 1) / 2 + 0.3 * side * Math.sin(angle) + dy;
    const blobVar = 2 * (0.12 * side) ** 2;
    const gratingAngle = Math.PI * label / k;
    const gx = Math.cos(gratingAngle) * (2 * Math.PI * 3) / side, gy = Math.sin(gratingAngle) * (2 * Math.PI * 3) / side;
    const tint = Array.from({length: channels}, (_, ch) => (channels === 1 ? 1 : 0.5 + 0.5 * Math.cos(angle + (2 * Math.PI * ch) / 3)));
    const image = new Float32Array(height * width * channels); // [H, W, C]
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const blob = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / blobVar);
        const grating = 0.5 + 0.5 * Math.cos(gx * (x - dx) + gy * (y - dy));
        const base = amplitude * (0.6 * blob + 0.25 * grating);
        for (let ch = 0; ch < channels; ch++) {
          const v = 0.1 + base * tint[ch]! + this.noise * gaussian(rng);
          image[(y * width + x) * channels + ch] = Math.min(1, Math.max(0, v));
        }
      }
    }
    return {image, height, width, channels, label};
  }

  async get(index: number): Promise<Sample> {
    return this.getSync(index);
  }
}

/** A standard normal draw (Box–Muller). */
function gaussian(rng: Rng): number {
  const u = 1 - rng.uniform(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.uniform());
}

export function syntheticDataset(options: SyntheticOptions): SyntheticDataset {
  return new SyntheticDataset(options);
}
