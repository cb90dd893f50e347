// The pictures `ibot attention` writes: a head's map scaled to grey levels, a 0/255 mask, and the image with a map
// blended over it as colour; host arrays in, PNG files out (sharp).
import sharp from 'sharp';

/** A map [H, W] (any range) → grey levels [H, W]: its minimum 0, its maximum 255 (all 0 for a constant map). */
export function toGrey(map: Float32Array): Uint8Array {
  let lo = Infinity, hi = -Infinity;
  for (const v of map) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const out = new Uint8Array(map.length);
  if (!(hi > lo)) return out;
  for (let i = 0; i < map.length; i++) out[i] = Math.round((255 * (map[i]! - lo)) / (hi - lo));
  return out;
}

/** A blue→cyan→yellow→red ramp ("jet") for a level in [0, 1] → [r, g, b] in [0, 1]. */
export function jet(m: number): [number, number, number] {
  const c = (x: number) => Math.min(1, Math.max(0, x));
  return [c(1.5 - Math.abs(4 * m - 3)), c(1.5 - Math.abs(4 * m - 2)), c(1.5 - Math.abs(4 * m - 1))];
}

/**
 * The image [H, W, channels] (bytes, grey or RGB) with the grey levels `levels` [H, W] as jet colours blended over it:
 * half image, half colour → RGB bytes [H, W, 3].
 */
export function overlay(image: Uint8Array, channels: number, levels: Uint8Array): Uint8Array {
  const n = levels.length;
  if (image.length !== n * channels) throw new Error(`overlay: image holds ${image.length} values, ${n} pixels × ${channels} channels needs ${n * channels}`);
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const colour = jet(levels[i]! / 255);
    for (let c = 0; c < 3; c++) {
      const v = image[i * channels + (channels === 3 ? c : 0)]!;
      out[i * 3 + c] = Math.round(0.5 * v + 0.5 * 255 * colour[c]!);
    }
  }
  return out;
}

/** Writes bytes [height, width, channels] (1 grey, 3 RGB) as a PNG. */
export async function writePng(path: string, pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Promise<void> {
  const image = sharp(pixels, {raw: {width, height, channels}});
  // Without 'b-w' sharp stores a 1-channel input as RGB.
  await (channels === 1 ? image.toColourspace('b-w') : image).png().toFile(path);
}
