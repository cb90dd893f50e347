import test from 'ava';
import {Rng} from '../rng.js';
import {testSeed} from '../testing/fixtures.js';
import {gaussianBlur} from './blur.js';
import {adjustBrightness, adjustContrast, adjustHue, adjustSaturation, hflip, solarize, toGrayscale} from './color.js';
import type {FloatImage} from './image.js';
import {
  applyCropParams,
  augmentImage,
  centerCrop,
  multiCropRecipe,
  roundHalfEven,
  sampleCropParams,
  sampleResizedCropBox,
  type CropParams,
  type RandomCropSpec,
} from './multicrop.js';
import {resizeBicubic} from './resize.js';

function randomImage(rng: Rng, height: number, width: number, channels: number): FloatImage {
  return {data: Float32Array.from({length: height * width * channels}, () => rng.uniform()), height, width, channels};
}

const pixel = (img: FloatImage, y: number, x: number) => Array.from(img.data.subarray((y * img.width + x) * img.channels, (y * img.width + x + 1) * img.channels));
const close = (a: number, b: number, tol = 1e-6) => Math.abs(a - b) <= tol;

test('multiCropRecipe follows IBOT_SPEC §5.1: global 1 blur 1.0, globals 2..G blur 0.1 + solarise 0.2, locals blur 0.5', (t) => {
  const crops = multiCropRecipe({global: {count: 3, size: 28, scale: [0.4, 1]}, local: {count: 2, size: 12, scale: [0.05, 0.4]}});
  t.deepEqual(
    crops.map((c) => [c.size, c.scale, c.blurProb, c.solarizeProb]),
    [
      [28, [0.4, 1], 1.0, 0],
      [28, [0.4, 1], 0.1, 0.2],
      [28, [0.4, 1], 0.1, 0.2],
      [12, [0.05, 0.4], 0.5, 0],
      [12, [0.05, 0.4], 0.5, 0],
    ],
  );
  t.deepEqual(multiCropRecipe({global: {size: 224}}).map((c) => c.scale), [[0.14, 1], [0.14, 1]]);
  t.throws(() => multiCropRecipe({global: {size: 28, scale: [0.5, 0.2]}}), {message: /scale must satisfy/});
  t.throws(() => multiCropRecipe({global: {size: 0}}), {message: /size must be an integer/});
});

test('augmented crops have the requested shapes, stay in [0, 1], and depend only on (seed, epoch, index)', (t) => {
  const rng = new Rng(testSeed(t));
  const crops = multiCropRecipe({global: {size: 24, scale: [0.3, 1]}, local: {count: 4, size: 12, scale: [0.05, 0.4]}});
  for (const channels of [1, 3]) {
    const img = randomImage(rng, 28, 31, channels);
    for (let index = 0; index < 20; index++) {
      const views = augmentImage(img, crops, 7, 1, index);
      t.deepEqual(views.map((v) => [v.height, v.width, v.channels, v.data.length]), crops.map((c) => [c.size, c.size, channels, c.size * c.size * channels]));
      t.true(views.every((v) => v.data.every((x) => x >= 0 && x <= 1)));
      t.deepEqual(augmentImage(img, crops, 7, 1, index), views);
    }
    t.notDeepEqual(augmentImage(img, crops, 7, 1, 0)[0], augmentImage(img, crops, 7, 1, 1)[0]);
    t.notDeepEqual(augmentImage(img, crops, 7, 1, 0)[0], augmentImage(img, crops, 7, 2, 0)[0]);
  }
});

test('RandomResizedCrop boxes: area within the scale range, ratio within 3/4–4/3, positions covering the image', (t) => {
  const rng = new Rng(testSeed(t));
  const [H, W] = [224, 224];
  const n = 4000;
  let areaSum = 0, minTop = H, maxBottom = 0, minLeft = W, maxRight = 0;
  for (let i = 0; i < n; i++) {
    const box = sampleResizedCropBox(rng, H, W, [0.05, 0.4]);
    const area = (box.height * box.width) / (H * W);
    // Rounding w and h to integers moves the area by at most about (w + h + 1) / (H W).
    const slack = (box.height + box.width + 1) / (H * W);
    if (!(area >= 0.05 - slack && area <= 0.4 + slack)) t.fail(`area fraction ${area} outside [0.05, 0.4]`);
    const ratio = box.width / box.height;
    if (!(ratio >= (3 / 4) * (1 - 1 / box.height) - 1e-9 && ratio <= (4 / 3) * (1 + 1 / box.height) + 1e-9)) t.fail(`ratio ${ratio}`);
    if (!(box.top >= 0 && box.left >= 0 && box.top + box.height <= H && box.left + box.width <= W)) t.fail(`box ${JSON.stringify(box)} outside`);
    areaSum += area;
    minTop = Math.min(minTop, box.top);
    minLeft = Math.min(minLeft, box.left);
    maxBottom = Math.max(maxBottom, box.top + box.height);
    maxRight = Math.max(maxRight, box.left + box.width);
  }
  // Every attempt fits a square 224² image at these scales, so the area fraction is ~U(0.05, 0.4): mean 0.225,
  // sd 0.101 / sqrt(4000) = 0.0016 (plus a little from rounding); allow 0.01.
  t.true(Math.abs(areaSum / n - 0.225) < 0.01, `mean area fraction ${areaSum / n}`);
  t.deepEqual([minTop, minLeft, maxBottom, maxRight], [0, 0, H, W]);
});

test('RandomResizedCrop falls back to torchvision\'s centre crop when no attempt fits', (t) => {
  const rng = new Rng(testSeed(t));
  // A 10×100 strip with scale 1: every attempt needs h = sqrt(1000 / r) > 10, so all 10 fail. in_ratio 10 > 4/3, so the
  // fallback is h = 10, w = round(10 · 4/3) = 13, centred: left = (100 − 13) // 2 = 43.
  t.deepEqual(sampleResizedCropBox(rng, 10, 100, [1, 1]), {top: 0, left: 43, height: 10, width: 13});
  // A 100×10 strip: in_ratio 0.1 < 3/4 → w = 10, h = round(10 / 0.75) = 13, top = 43.
  t.deepEqual(sampleResizedCropBox(rng, 100, 10, [1, 1]), {top: 43, left: 0, height: 13, width: 10});
  t.is(roundHalfEven(2.5), 2);
  t.is(roundHalfEven(3.5), 4);
  t.is(roundHalfEven(-0.5), -0);
  t.is(roundHalfEven(13.333), 13);
});

test('photometric probabilities: jitter 0.8, flip 0.5, grayscale 0.2, blur 1.0 / 0.1 / 0.5, solarise 0.2; factors in range', (t) => {
  const rng = new Rng(testSeed(t));
  const [g1, g2, local] = multiCropRecipe({global: {size: 28}, local: {count: 1, size: 12}}) as [RandomCropSpec, RandomCropSpec, RandomCropSpec];
  const n = 4000;
  const freq = (spec: RandomCropSpec, pick: (p: CropParams) => boolean) => {
    let hits = 0;
    for (let i = 0; i < n; i++) if (pick(sampleCropParams(rng, spec, 28, 28))) hits++;
    return hits / n;
  };
  // Binomial sd at n = 4000 is at most 0.0079; allow 0.04 (5 sd).
  const near = (got: number, want: number, what: string) => t.true(Math.abs(got - want) < 0.04, `${what}: ${got}, expected ${want}`);
  near(freq(g1, (p) => p.jitter !== null), 0.8, 'jitter');
  near(freq(g1, (p) => p.flip), 0.5, 'flip');
  near(freq(g1, (p) => p.grayscale), 0.2, 'grayscale');
  t.is(freq(g1, (p) => p.blurSigma !== null), 1);
  near(freq(g2, (p) => p.blurSigma !== null), 0.1, 'blur of global 2');
  near(freq(local, (p) => p.blurSigma !== null), 0.5, 'blur of a local crop');
  t.is(freq(g1, (p) => p.solarize), 0);
  near(freq(g2, (p) => p.solarize), 0.2, 'solarise of global 2');
  t.is(freq(local, (p) => p.solarize), 0);

  const orders = new Set<string>();
  for (let i = 0; i < n; i++) {
    const p = sampleCropParams(rng, g1, 28, 28);
    if (p.blurSigma! < 0.1 || p.blurSigma! > 2) t.fail(`blur sigma ${p.blurSigma}`);
    if (p.jitter === null) continue;
    const {order, brightness, contrast, saturation, hue} = p.jitter;
    orders.add(order.join(''));
    if (!(brightness! >= 0.6 && brightness! <= 1.4 && contrast! >= 0.6 && contrast! <= 1.4)) t.fail(`brightness/contrast ${brightness} ${contrast}`);
    if (!(saturation! >= 0.8 && saturation! <= 1.2 && hue! >= -0.1 && hue! <= 0.1)) t.fail(`saturation/hue ${saturation} ${hue}`);
  }
  t.is(orders.size, 24, 'all 24 orders of the four jitter operations occur');
});

test('flip is an exact mirror of the same crop', (t) => {
  const rng = new Rng(testSeed(t));
  const img = randomImage(rng, 20, 26, 3);
  const spec = multiCropRecipe({global: {size: 16}})[1]!;
  for (let i = 0; i < 10; i++) {
    const params = sampleCropParams(rng, spec, img.height, img.width);
    const a = applyCropParams(img, spec, {...params, flip: false, blurSigma: null});
    const b = applyCropParams(img, spec, {...params, flip: true, blurSigma: null});
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) t.deepEqual(pixel(b, y, x), pixel(a, y, 15 - x));
  }
});

test('solarise inverts exactly the values ≥ 128/255; grayscale is ITU-R 601 luma; 1-channel grayscale is a no-op', (t) => {
  const img: FloatImage = {data: Float32Array.of(0, 0.2, 127 / 255, 128 / 255, 0.6, 1), height: 1, width: 6, channels: 1};
  solarize(img);
  const f = (x: number) => Math.fround(x);
  t.deepEqual(Array.from(img.data), [0, f(0.2), f(127 / 255), f(1 - f(128 / 255)), f(1 - f(0.6)), 0]);

  const rgb: FloatImage = {data: Float32Array.of(1, 0, 0, 0.2, 0.4, 0.6), height: 1, width: 2, channels: 3};
  toGrayscale(rgb);
  for (const [p, want] of [[0, 0.299], [1, 0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6]] as const) {
    t.deepEqual(pixel(rgb, 0, p).map((v) => close(v, want)), [true, true, true]);
  }
  const grey: FloatImage = {data: Float32Array.of(0.1, 0.7), height: 1, width: 2, channels: 1};
  toGrayscale(grey);
  adjustSaturation(grey, 0);
  adjustHue(grey, 0.3);
  t.deepEqual(Array.from(grey.data), [f(0.1), f(0.7)]);
});

test('colour jitter semantics on constructed images', (t) => {
  const make = () => ({data: Float32Array.of(1, 0, 0, 0.2, 0.4, 0.6, 0.5, 0.5, 0.5, 0.9, 0.8, 0.1), height: 2, width: 2, channels: 3}) as FloatImage;
  const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;
  // Brightness: scales and clips.
  let img = make();
  adjustBrightness(img, 1.4);
  t.deepEqual(pixel(img, 0, 0), [1, 0, 0]); // 1.4 clipped to 1
  t.true(close(img.data[4]!, 0.56));
  // Contrast 0: every value becomes the image's mean luma; contrast 1: identity.
  img = make();
  const meanLuma = (luma(1, 0, 0) + luma(0.2, 0.4, 0.6) + luma(0.5, 0.5, 0.5) + luma(0.9, 0.8, 0.1)) / 4;
  adjustContrast(img, 0);
  t.true(img.data.every((v) => close(v, meanLuma)));
  img = make();
  adjustContrast(img, 1);
  t.deepEqual(img.data, make().data);
  // Saturation 0 is grayscale; 1 is identity.
  img = make();
  adjustSaturation(img, 0);
  const gray = make();
  toGrayscale(gray);
  t.true(img.data.every((v, i) => close(v, gray.data[i]!)));
  // Hue: a third of a turn takes red to green and green to blue; grey stays grey; +s then −s is the identity.
  img = make();
  adjustHue(img, 1 / 3);
  t.deepEqual(pixel(img, 0, 0).map((v) => Math.round(v * 1e6) / 1e6), [0, 1, 0]);
  t.deepEqual(pixel(img, 1, 0), pixel(make(), 1, 0));
  img = make();
  adjustHue(img, 0.07);
  adjustHue(img, -0.07);
  t.true(img.data.every((v, i) => close(v, make().data[i]!, 1e-5)));
  // Hue keeps value (max) and saturation of each pixel.
  img = make();
  adjustHue(img, 0.21);
  for (let p = 0; p < 4; p++) {
    const a = pixel(make(), p >> 1, p & 1), b = pixel(img, p >> 1, p & 1);
    t.true(close(Math.max(...a), Math.max(...b), 1e-6) && close(Math.min(...a), Math.min(...b), 1e-6));
  }
});

test('a grey crop is unchanged by saturation and hue jitter (no-ops for one channel)', (t) => {
  const rng = new Rng(testSeed(t));
  const img = randomImage(rng, 28, 28, 1);
  const spec = multiCropRecipe({global: {size: 20}})[0]!;
  for (let i = 0; i < 10; i++) {
    const p = sampleCropParams(rng, spec, 28, 28);
    const jitter = {order: [0, 1, 2, 3], brightness: 1.2, contrast: 0.8, saturation: 0.8, hue: 0.05};
    const a = applyCropParams(img, spec, {...p, jitter});
    const b = applyCropParams(img, spec, {...p, jitter: {...jitter, saturation: null, hue: null}});
    t.deepEqual(a.data, b.data);
  }
});

test('bicubic resize: constants stay constant, linear ramps stay linear, same-size full boxes are the identity', (t) => {
  const rng = new Rng(testSeed(t));
  const constant: FloatImage = {data: new Float32Array(17 * 23 * 3).fill(0.3), height: 17, width: 23, channels: 3};
  for (const [oh, ow] of [[5, 9], [30, 41], [17, 23]] as const) {
    const out = resizeBicubic(constant, {top: 2, left: 3, height: 13, width: 17}, oh, ow);
    t.true(out.data.every((v) => close(v, 0.3, 1e-6)));
  }
  // f(y, x) = 0.01 x + 0.02 y + 0.1 sampled at pixel centres: interior outputs equal f at the output pixel's centre
  // mapped back into the box (Pillow's convention: centre = (o + 0.5) · in/out − 0.5 in box pixel units).
  const ramp: FloatImage = {data: new Float32Array(30 * 30), height: 30, width: 30, channels: 1};
  for (let y = 0; y < 30; y++) for (let x = 0; x < 30; x++) ramp.data[y * 30 + x] = 0.01 * x + 0.02 * y + 0.1;
  for (const [bh, bw, oh, ow] of [[20, 24, 10, 8], [12, 10, 25, 21]] as const) {
    const box = {top: 4, left: 3, height: bh, width: bw};
    const out = resizeBicubic(ramp, box, oh, ow);
    const margin = (n: number, o: number) => Math.ceil((2 * Math.max(n / o, 1)) / (n / o)) + 1;
    for (let y = margin(bh, oh); y < oh - margin(bh, oh); y++) {
      for (let x = margin(bw, ow); x < ow - margin(bw, ow); x++) {
        const sy = box.top + (y + 0.5) * (bh / oh) - 0.5, sx = box.left + (x + 0.5) * (bw / ow) - 0.5;
        const want = 0.01 * sx + 0.02 * sy + 0.1;
        if (!close(out.data[y * ow + x]!, want, 1e-5)) t.fail(`(${y}, ${x}) of ${bh}×${bw}→${oh}×${ow}: ${out.data[y * ow + x]} vs ${want}`);
      }
    }
  }
  const img = randomImage(rng, 9, 11, 3);
  t.deepEqual(resizeBicubic(img, {top: 0, left: 0, height: 9, width: 11}, 9, 11).data, img.data);
  t.throws(() => resizeBicubic(img, {top: 5, left: 0, height: 5, width: 11}, 4, 4), {message: /not inside/});
});

test('Gaussian blur keeps constants and the total of an interior impulse, and smooths more with a larger sigma', (t) => {
  const constant: FloatImage = {data: new Float32Array(12 * 12).fill(0.7), height: 12, width: 12, channels: 1};
  gaussianBlur(constant, 1.7);
  t.true(constant.data.every((v) => close(v, 0.7, 1e-6)));
  const impulse = (sigma: number) => {
    const img: FloatImage = {data: new Float32Array(31 * 31), height: 31, width: 31, channels: 1};
    img.data[15 * 31 + 15] = 1;
    gaussianBlur(img, sigma);
    return img;
  };
  // sigma 0.1 (the low end of the recipe's range) hardly blurs: the neighbours' weight is exp(−50).
  t.true(impulse(0.1).data[15 * 31 + 15]! > 0.999);
  for (const sigma of [0.1, 0.8, 2]) t.true(close(impulse(sigma).data.reduce((a, b) => a + b, 0), 1, 1e-5));
  for (const sigma of [0.8, 1.3, 2]) {
    const img = impulse(sigma);
    // Second moment along x ≈ sigma² (exact up to the 3-sigma truncation).
    let m2 = 0;
    for (let y = 0; y < 31; y++) for (let x = 0; x < 31; x++) m2 += img.data[y * 31 + x]! * (x - 15) ** 2;
    t.true(Math.abs(m2 - sigma * sigma) < 0.03 * sigma * sigma + 1e-6, `sigma ${sigma}: second moment ${m2}`);
  }
  t.true(impulse(2).data[15 * 31 + 15]! < impulse(0.8).data[15 * 31 + 15]!);
});

test('centre crop: shorter side resized, centred crop; same size is the identity', (t) => {
  const rng = new Rng(testSeed(t));
  const img = randomImage(rng, 28, 28, 1);
  t.deepEqual(centerCrop(img, {kind: 'center', size: 28}).data, img.data);
  const wide = randomImage(rng, 20, 31, 3);
  const out = centerCrop(wide, {kind: 'center', size: 20});
  // No resize (shorter side already 20); left = round((31 − 20) / 2) = round(5.5) = 6 (Python rounds half to even).
  for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) t.deepEqual(pixel(out, y, x), pixel(wide, y, x + 6));
  const resized = centerCrop(wide, {kind: 'center', size: 8, resize: 10});
  t.deepEqual([resized.height, resized.width], [8, 8]);
  // Resize(40) enlarges 20×31 to 40×62 (long side truncated, as torchvision does) before the crop.
  const enlarged = centerCrop(wide, {kind: 'center', size: 40});
  t.deepEqual([enlarged.height, enlarged.width], [40, 40]);
});

test('hflip mirrors columns and keeps channel order', (t) => {
  const img: FloatImage = {data: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), height: 1, width: 3, channels: 3};
  hflip(img);
  t.deepEqual(Array.from(img.data), [7, 8, 9, 4, 5, 6, 1, 2, 3]);
});
