import test from 'ava';
import {existsSync} from 'node:fs';
import {copyFile, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {gunzipSync, gzipSync} from 'node:zlib';
import {splitDataset} from './dataset.js';
import {
  DEBIAN_FASHION_MNIST_DIR,
  EMBEDDED_FASHION_MNIST_DIR,
  embeddedFashionMnist,
  loadFashionMnist,
  loadIdxDataset,
} from './fashion_mnist.js';
import {parseIdx, readIdx} from './idx.js';
import {Rng} from './rng.js';
import {testSeed} from './testing/fixtures.js';

const embeddedImages = join(EMBEDDED_FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz');
const embeddedLabels = join(EMBEDDED_FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz');

/** A fresh temporary folder, removed after the test. */
async function tempDir(t: {teardown(fn: () => Promise<void>): void}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ibotjs-idx-'));
  t.teardown(() => rm(dir, {recursive: true, force: true}));
  return dir;
}

/** IDX bytes built by hand: magic 0x0000TTNN, big-endian dims, then the payload. */
function idxBytes(type: number, dims: number[], payload: Uint8Array): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint8(2, type);
  header.setUint8(3, dims.length);
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(header.byteLength + payload.length);
  out.set(new Uint8Array(header.buffer), 0);
  out.set(payload, header.byteLength);
  return out;
}

test('the embedded Fashion-MNIST test split: 10000 images of 28×28×1, labels 0–9, pixels and labels as in the raw bytes', async (t) => {
  const ds = await embeddedFashionMnist();
  t.is(ds.size, 10000);
  t.deepEqual(ds.imageShape, [28, 28, 1]);
  t.is(ds.numClasses, 10);
  t.is(ds.classNames[9], 'Ankle boot');
  // The raw files, read independently: header 16 (images) / 8 (labels) bytes, then row-major bytes.
  const rawImages = gunzipSync(await readFile(embeddedImages));
  const rawLabels = gunzipSync(await readFile(embeddedLabels));
  t.is(rawImages.readUInt32BE(0), 0x00000803);
  t.is(rawLabels.readUInt32BE(0), 0x00000801);
  t.is(rawImages.length, 16 + 10000 * 784);
  const rng = new Rng(testSeed(t));
  for (let k = 0; k < 50; k++) {
    const i = rng.below(10000), y = rng.below(28), x = rng.below(28);
    const sample = await ds.get(i);
    t.is(sample.label, rawLabels[8 + i]!);
    t.is(sample.image[y * 28 + x], rawImages[16 + i * 784 + y * 28 + x]!);
    t.is(ds.labelOf(i), rawLabels[8 + i]!);
  }
  const last = await ds.get(9999);
  t.deepEqual(Array.from(last.image), Array.from(rawImages.subarray(16 + 9999 * 784)));
  // The test split is balanced: 1000 images per class (the dataset's documentation).
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < ds.size; i++) counts[ds.labelOf(i)]!++;
  t.deepEqual(counts, new Array(10).fill(1000));
  t.deepEqual(ds.description, {kind: 'idx', images: embeddedImages, labels: embeddedLabels, classNames: [...ds.classNames]});
});

test('loadFashionMnist reads raw (ungzipped) files from any folder with the Debian layout, and the Debian copy when installed', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 't10k-images-idx3-ubyte'), gunzipSync(await readFile(embeddedImages)));
  await copyFile(embeddedLabels, join(dir, 't10k-labels-idx1-ubyte.gz'));
  const raw = await loadFashionMnist({dir, split: 'test'});
  const gz = await embeddedFashionMnist();
  t.is(raw.size, 10000);
  t.deepEqual((await raw.get(1234)).image, (await gz.get(1234)).image);
  await t.throwsAsync(loadFashionMnist({dir, split: 'train'}), {message: /train-images-idx3-ubyte\.gz not found.*apt-get install dataset-fashion-mnist/s});
  if (existsSync(join(DEBIAN_FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'))) {
    const train = await loadFashionMnist({split: 'train'});
    t.is(train.size, 60000);
    t.deepEqual(train.imageShape, [28, 28, 1]);
  } else {
    t.log(`${DEBIAN_FASHION_MNIST_DIR} is not installed here: the 60000-image train split was not checked`);
  }
});

test('hostile IDX files: each fails with an error naming the file and the problem', async (t) => {
  const dir = await tempDir(t);
  const file = async (name: string, bytes: Uint8Array) => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  };
  const good = idxBytes(0x08, [2, 3, 3], new Uint8Array(18).fill(7));
  t.deepEqual(parseIdx(good, 'good').dims, [2, 3, 3]);

  const badMagic = await file('bad-magic', Uint8Array.from([0x50, 0x4b, 3, 4, ...good.subarray(4)]));
  await t.throwsAsync(readIdx(badMagic), {message: /bad-magic: not an IDX file \(magic number 0x504b0304/});
  const badType = await file('bad-type', idxBytes(0x07, [2], new Uint8Array(2)));
  await t.throwsAsync(readIdx(badType), {message: /bad-type: not an IDX file/});
  const tiny = await file('tiny', Uint8Array.from([0, 0]));
  await t.throwsAsync(readIdx(tiny), {message: /tiny: not an IDX file \(2 bytes/});
  const shortHeader = await file('short-header', good.subarray(0, 10));
  await t.throwsAsync(readIdx(shortHeader), {message: /short-header: truncated header/});
  const truncated = await file('truncated', good.subarray(0, good.length - 5));
  await t.throwsAsync(readIdx(truncated), {message: /truncated: truncated: the header says 2×3×3 ubyte \(18 data bytes\), the file has 13/});
  const trailing = await file('trailing', Uint8Array.from([...good, 1, 2]));
  await t.throwsAsync(readIdx(trailing), {message: /trailing: has trailing bytes/});
  const truncatedGz = await file('truncated.gz', gzipSync(good).subarray(0, 20));
  await t.throwsAsync(readIdx(truncatedGz), {message: /truncated\.gz: corrupt or truncated gzip data/});
  const corruptGz = gzipSync(good);
  corruptGz[15] = corruptGz[15]! ^ 0xff;
  await t.throwsAsync(readIdx(await file('corrupt.gz', corruptGz)), {message: /corrupt\.gz: corrupt or truncated gzip data/});
  await t.throwsAsync(readIdx(join(dir, 'missing')), {message: /cannot read .*missing: ENOENT/});

  // Pairs: the counts must agree, the labels must be 1-D ubyte and within the class names.
  const images = await file('images', good);
  const threeLabels = await file('three-labels', idxBytes(0x08, [3], Uint8Array.of(0, 1, 2)));
  await t.throwsAsync(loadIdxDataset(images, threeLabels), {message: /images has 2 images but .*three-labels has 3 labels/});
  const labels2d = await file('labels-2d', idxBytes(0x08, [2, 1], Uint8Array.of(0, 1)));
  await t.throwsAsync(loadIdxDataset(images, labels2d), {message: /labels-2d: expected ubyte labels \[N\], got ubyte \[2, 1\]/});
  const bigLabel = await file('big-label', idxBytes(0x08, [2], Uint8Array.of(0, 12)));
  await t.throwsAsync(loadIdxDataset(images, bigLabel, ['a', 'b']), {message: /big-label contains label 12 but only 2 classes/});
  await t.throwsAsync(loadIdxDataset(threeLabels, threeLabels), {message: /three-labels: expected ubyte images/});
  const ok = await loadIdxDataset(images, await file('labels', idxBytes(0x08, [2], Uint8Array.of(1, 0))));
  t.deepEqual([ok.size, ok.numClasses, ok.labelOf(0)], [2, 2, 1]);
});

test('parseIdx decodes big-endian short, int, float and double elements', (t) => {
  const view = new DataView(new ArrayBuffer(8 * 3));
  const cases: Array<[number, (i: number, v: number) => void, number[], number]> = [
    [0x0b, (i, v) => view.setInt16(2 * i, v), [-2, 300, 7], 2],
    [0x0c, (i, v) => view.setInt32(4 * i, v), [-70000, 5, 2 ** 30], 4],
    [0x0d, (i, v) => view.setFloat32(4 * i, v), [1.5, -0.25, 3e5], 4],
    [0x0e, (i, v) => view.setFloat64(8 * i, v), [Math.PI, -1e-300, 2], 8],
  ];
  for (const [type, set, values, size] of cases) {
    values.forEach((v, i) => set(i, v));
    const idx = parseIdx(idxBytes(type, [3], new Uint8Array(view.buffer, 0, 3 * size)), 'typed');
    t.deepEqual(Array.from(idx.data), values);
  }
});

test('splitDataset: a seeded 8000/2000 split of the embedded set, disjoint and complete, the same for the same seed', async (t) => {
  const ds = await embeddedFashionMnist();
  const seed = testSeed(t);
  const a = splitDataset(ds, {heldOut: 2000, seed});
  const b = splitDataset(ds, {heldOut: 0.2, seed});
  const c = splitDataset(ds, {heldOut: 2000, seed: seed + 1});
  t.is(a.train.size, 8000);
  t.is(a.heldOut.size, 2000);
  t.deepEqual(a.heldOut.indices, b.heldOut.indices);
  t.notDeepEqual(a.heldOut.indices, c.heldOut.indices);
  const all = new Set([...a.train.indices, ...a.heldOut.indices]);
  t.is(all.size, 10000);
  t.deepEqual((await a.heldOut.get(5)).image, (await ds.get(a.heldOut.indices[5]!)).image);
  t.is(a.heldOut.labelOf(5), ds.labelOf(a.heldOut.indices[5]!));
  t.deepEqual(a.train.description, {kind: 'subset', base: ds.description!, indices: [...a.train.indices]});
  t.throws(() => splitDataset(ds, {heldOut: 10000, seed}), {message: /heldOut must be/});
});
