import test from 'ava';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import sharp from 'sharp';
import {openImageFolder} from './image_folder.js';
import {createLoader} from './loader.js';
import {Rng} from './rng.js';
import {testSeed} from './testing/fixtures.js';

/** Random RGB bytes [h, w, 3]. */
function randomPixels(rng: Rng, h: number, w: number): Buffer {
  return Buffer.from(Uint8Array.from({length: h * w * 3}, () => rng.below(256)));
}

/**
 * root/cat: a.png (6×5), b.jpg (smooth 40×32), broken.png (random bytes), notes.txt; root/dog: c.png (grey 4×7),
 * sub/d.png (nested), truncated.jpg (valid header, data cut off); root/.hidden is ignored.
 */
async function makeFolder(t: {teardown(fn: () => Promise<void>): void; log(...v: unknown[]): void}) {
  const rng = new Rng(testSeed(t));
  const root = await mkdtemp(join(tmpdir(), 'ibotjs-folder-'));
  t.teardown(() => rm(root, {recursive: true, force: true}));
  await mkdir(join(root, 'cat'));
  await mkdir(join(root, 'dog', 'sub'), {recursive: true});
  await mkdir(join(root, '.hidden'));
  const a = randomPixels(rng, 6, 5);
  await sharp(a, {raw: {width: 5, height: 6, channels: 3}}).png().toFile(join(root, 'cat', 'a.png'));
  const smooth = Buffer.alloc(40 * 32 * 3);
  for (let y = 0; y < 40; y++) for (let x = 0; x < 32; x++) smooth.set([4 * x, 5 * y, 120], (y * 32 + x) * 3);
  await sharp(smooth, {raw: {width: 32, height: 40, channels: 3}}).jpeg({quality: 95}).toFile(join(root, 'cat', 'b.jpg'));
  await writeFile(join(root, 'cat', 'broken.png'), Buffer.from(Uint8Array.from({length: 300}, () => rng.below(256))));
  await writeFile(join(root, 'cat', 'notes.txt'), 'not an image\n');
  const c = Buffer.from(Uint8Array.from({length: 4 * 7}, () => rng.below(256)));
  await sharp(c, {raw: {width: 7, height: 4, channels: 1}}).png().toFile(join(root, 'dog', 'c.png'));
  const d = randomPixels(rng, 3, 3);
  await sharp(d, {raw: {width: 3, height: 3, channels: 3}}).png().toFile(join(root, 'dog', 'sub', 'd.png'));
  const big = await sharp(randomPixels(rng, 64, 64), {raw: {width: 64, height: 64, channels: 3}}).jpeg().toBuffer();
  await writeFile(join(root, 'dog', 'truncated.jpg'), big.subarray(0, Math.floor(big.length / 2)));
  return {root, a, c, d};
}

test('ImageFolder: classes from sorted subfolders, images decoded exactly (PNG) or closely (JPEG), junk skipped and counted', async (t) => {
  const {root, a, c, d} = await makeFolder(t);
  const ds = await openImageFolder(root);
  t.deepEqual(ds.classNames, ['cat', 'dog']);
  t.deepEqual(
    ds.entries.map(([p, l]) => [p, l]),
    [['cat/a.png', 0], ['cat/b.jpg', 0], ['dog/c.png', 1], ['dog/sub/d.png', 1], ['dog/truncated.jpg', 1]],
  );
  const report = ds.report();
  t.is(report.skipped.length, 2, JSON.stringify(report.skipped));
  t.regex(report.skipped.find((s) => s.path.endsWith('broken.png'))!.reason, /unreadable/);
  t.regex(report.skipped.find((s) => s.path.endsWith('notes.txt'))!.reason, /not an image \(extension \.txt/);
  t.is(ds.imageShape, null);
  t.is(ds.channels, 3);

  const sa = await ds.get(0);
  t.deepEqual([sa.height, sa.width, sa.channels, sa.label], [6, 5, 3, 0]);
  t.deepEqual(Buffer.from(sa.image), a);
  const sb = await ds.get(1);
  t.deepEqual([sb.height, sb.width], [40, 32]);
  // JPEG at quality 95 of a smooth gradient: within a few levels of the source (pixel (10, 20) = [80, 50, 120]).
  const px = Array.from(sb.image.subarray((10 * 32 + 20) * 3, (10 * 32 + 20) * 3 + 3));
  t.true(px.every((v, i) => Math.abs(v - [80, 50, 120][i]!) <= 6), `jpeg pixel ${px}`);
  const sc = await ds.get(2);
  t.deepEqual([sc.height, sc.width, sc.channels, sc.label], [4, 7, 3, 1]);
  t.deepEqual(Array.from(sc.image.filter((_, i) => i % 3 === 0)), Array.from(c)); // grey replicated to RGB
  t.deepEqual(Buffer.from((await ds.get(3)).image), d);
});

test('ImageFolder: an image that fails to decode is replaced by the next one, recorded once, never fatal', async (t) => {
  const {root, a} = await makeFolder(t);
  const ds = await openImageFolder(root);
  // Item 4 (truncated.jpg) passes the header check but not decoding: the next item, (4 + 1) mod 5 = 0 (a.png), stands in.
  const s = await ds.get(4);
  t.deepEqual(Buffer.from(s.image), a);
  t.is(s.label, 0);
  const taken = ds.takeSkipped();
  t.is(taken.length, 1);
  t.true(taken[0]!.path.endsWith('truncated.jpg'));
  t.regex(taken[0]!.reason, /decode failed/);
  await ds.get(4);
  t.deepEqual(ds.takeSkipped(), []);
  t.is(ds.report().skipped.length, 3);
  t.is(ds.report().images, 4);
  // verify: 'decode' finds it at the scan instead.
  const strict = await openImageFolder(root, {verify: 'decode'});
  t.is(strict.size, 4);
  t.is(strict.report().skipped.length, 3);
});

test('ImageFolder: 1-channel decoding, and a loader with a worker reports the skipped image', async (t) => {
  const {root, c} = await makeFolder(t);
  const grey = await openImageFolder(root, {channels: 1});
  const sc = await grey.get(2);
  t.deepEqual([sc.channels, sc.image.length], [1, 28]);
  t.deepEqual(Buffer.from(sc.image), c);

  const skipped: string[] = [];
  const loader = await createLoader({
    dataset: await openImageFolder(root),
    batchSize: 5,
    crops: [{kind: 'random', size: 8, scale: [0.5, 1], blurProb: 0.5, solarizeProb: 0}],
    mean: [0.5, 0.5, 0.5],
    std: [0.25, 0.25, 0.25],
    seed: 3,
    workers: 1,
    onSkip: (r) => skipped.push(r.path),
  });
  t.teardown(() => loader.close());
  const batches = [];
  for await (const b of loader.epoch(0)) batches.push(b);
  t.is(batches.length, 1);
  t.deepEqual(batches[0]!.shapes, [[5, 8, 8, 3]]);
  t.is(skipped.length, 1);
  t.true(skipped[0]!.endsWith('truncated.jpg'));
  t.deepEqual(loader.skipped.map((r) => r.path), skipped);
});

test('ImageFolder: a missing folder, a folder without class folders, and one without images are clear errors', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'ibotjs-folder-'));
  t.teardown(() => rm(root, {recursive: true, force: true}));
  await t.throwsAsync(openImageFolder(join(root, 'nope')), {message: /ImageFolder: cannot open .*nope/});
  await writeFile(join(root, 'file.png'), 'x');
  await t.throwsAsync(openImageFolder(join(root, 'file.png')), {message: /is not a directory/});
  await t.throwsAsync(openImageFolder(root), {message: /has no class subfolders/});
  await mkdir(join(root, 'empty'));
  await writeFile(join(root, 'empty', 'readme.md'), '# nothing');
  await t.throwsAsync(openImageFolder(root), {message: /no readable images \(1 files skipped\)/});
});
