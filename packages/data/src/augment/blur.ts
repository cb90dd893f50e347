// Gaussian blur of a float HWC image, in place: separable kernel of standard deviation `sigma` (PIL's GaussianBlur radius
// is the standard deviation), truncated at ±ceil(3σ) taps, edge pixels replicated. PIL approximates the Gaussian by three
// box blurs; pixel parity with it is not a goal (IBOT_SPEC §11 item 11).
import type {FloatImage} from './image.js';

export function gaussianBlur(img: FloatImage, sigma: number): void {
  if (!(sigma > 0)) throw new Error(`gaussianBlur: sigma must be > 0, got ${sigma}`);
  const {data, height, width, channels: c} = img;
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) sum += kernel[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < kernel.length; k++) kernel[k]! /= sum;

  const tmp = new Float32Array(data.length);
  // Rows: data → tmp.
  for (let y = 0; y < height; y++) {
    const row = y * width * c;
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = -radius; k <= radius; k++) {
          const xx = x + k < 0 ? 0 : x + k >= width ? width - 1 : x + k;
          acc += kernel[k + radius]! * data[row + xx * c + ch]!;
        }
        tmp[row + x * c + ch] = acc;
      }
    }
  }
  // Columns: tmp → data.
  const rowLen = width * c;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < rowLen; i++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const yy = y + k < 0 ? 0 : y + k >= height ? height - 1 : y + k;
        acc += kernel[k + radius]! * tmp[yy * rowLen + i]!;
      }
      data[y * rowLen + i] = acc;
    }
  }
}
