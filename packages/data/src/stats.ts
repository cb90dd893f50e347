// Per-channel mean and standard deviation of a dataset's images in [0, 1]: the normalisation for grey data sets
// ("the dataset's own" statistics), computed rather than copied from elsewhere.
import type {Dataset} from './dataset.js';

export async function computeChannelStats(dataset: Dataset, options: {maxItems?: number} = {}): Promise<{mean: number[]; std: number[]}> {
  const n = Math.min(dataset.size, options.maxItems ?? dataset.size);
  if (n < 1) throw new Error('computeChannelStats: empty dataset');
  const c = dataset.channels;
  const sum = new Float64Array(c), sumSq = new Float64Array(c);
  let pixels = 0;
  for (let i = 0; i < n; i++) {
    const {image, channels} = await dataset.get(i);
    if (channels !== c) throw new Error(`computeChannelStats: item ${i} has ${channels} channels, the dataset ${c}`);
    const scale = image instanceof Float32Array ? 1 : 1 / 255;
    for (let p = 0; p < image.length; p += c) {
      for (let ch = 0; ch < c; ch++) {
        const v = image[p + ch]! * scale;
        sum[ch]! += v;
        sumSq[ch]! += v * v;
      }
    }
    pixels += image.length / c;
  }
  const mean = Array.from(sum, (s) => s / pixels);
  const std = Array.from(sumSq, (s, ch) => Math.sqrt(Math.max(0, s / pixels - mean[ch]! ** 2)));
  return {mean, std};
}
