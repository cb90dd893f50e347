// The float image the augmentations work on: HWC values in [0, 1] in one Float32Array.
import type {Sample} from '../dataset.js';

export interface FloatImage {
  data: Float32Array; // [H, W, C], values in [0, 1]
  height: number;
  width: number;
  channels: number;
}

/** A sample's image as floats in [0, 1] (bytes are divided by 255, as torchvision's ToTensor does). */
export function toFloatImage(sample: Pick<Sample, 'image' | 'height' | 'width' | 'channels'>): FloatImage {
  const {image, height, width, channels} = sample;
  if (image.length !== height * width * channels) {
    throw new Error(`image holds ${image.length} values, [${height}, ${width}, ${channels}] needs ${height * width * channels}`);
  }
  if (image instanceof Float32Array) return {data: image, height, width, channels};
  const data = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) data[i] = image[i]! / 255;
  return {data, height, width, channels};
}
