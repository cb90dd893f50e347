import test from 'ava';
import {embeddedFashionMnist} from './fashion_mnist.js';
import {openDataset} from './open.js';
import {computeChannelStats} from './stats.js';
import {SyntheticDataset} from './synthetic.js';
import {splitDataset} from './dataset.js';
import {testSeed} from './testing/fixtures.js';

test('synthetic set: deterministic for a seed, balanced labels, images in [0, 1], different seeds differ', async (t) => {
  const seed = testSeed(t);
  const a = new SyntheticDataset({size: 50, channels: 3, height: 12, width: 9, seed});
  const b = new SyntheticDataset({size: 50, channels: 3, height: 12, width: 9, seed});
  const c = new SyntheticDataset({size: 50, channels: 3, height: 12, width: 9, seed: seed + 1});
  t.deepEqual(await a.get(17), await b.get(17));
  t.notDeepEqual((await a.get(17)).image, (await c.get(17)).image);
  t.notDeepEqual((await a.get(17)).image, (await a.get(27)).image); // same class, different image
  const s = await a.get(3);
  t.deepEqual([s.height, s.width, s.channels, s.label, s.image.length], [12, 9, 3, 3, 12 * 9 * 3]);
  t.true(s.image.every((v) => v >= 0 && v <= 1));
  t.deepEqual(Array.from({length: 20}, (_, i) => a.labelOf(i)), Array.from({length: 20}, (_, i) => i % 10));
  t.throws(() => new SyntheticDataset({size: 0}), {message: /size must be an integer ≥ 1/});
  t.throws(() => a.labelOf(50), {message: /out of range/});
});

test('synthetic set: classes are separable by 1-NN on raw pixels (what a k-NN test needs)', async (t) => {
  const seed = testSeed(t);
  for (const channels of [1, 3] as const) {
    const ds = new SyntheticDataset({size: 300, channels, seed});
    const images = await Promise.all(Array.from({length: ds.size}, (_, i) => ds.get(i)));
    const {train, heldOut} = splitDataset(ds, {heldOut: 100, seed});
    let correct = 0;
    for (const q of heldOut.indices) {
      let best = -1, bestDist = Infinity;
      for (const r of train.indices) {
        let d = 0;
        const x = images[q]!.image, y = images[r]!.image;
        for (let i = 0; i < x.length; i++) d += (x[i]! - y[i]!) ** 2;
        if (d < bestDist) [best, bestDist] = [r, d];
      }
      if (ds.labelOf(best) === ds.labelOf(q)) correct++;
    }
    t.log(`${channels} channel(s): 1-NN accuracy ${correct}/100`);
    t.true(correct >= 90, `${channels} channels: 1-NN accuracy ${correct}/100`);
  }
});

test('openDataset re-opens every description kind to the same items', async (t) => {
  const fm = await embeddedFashionMnist();
  const {heldOut} = splitDataset(fm, {heldOut: 50, seed: 9});
  const reopened = await openDataset(heldOut.description!);
  t.is(reopened.size, 50);
  t.deepEqual(await reopened.get(7), await heldOut.get(7));
  const syn = new SyntheticDataset({size: 20, seed: 5, channels: 3});
  t.deepEqual(await (await openDataset(syn.description)).get(11), await syn.get(11));
  await t.throwsAsync(openDataset({kind: 'module', module: import.meta.url, exportName: 'nothing'}), {message: /has no function export 'nothing'/});
  await t.throwsAsync(openDataset({kind: 'bogus'} as never), {message: /unknown dataset kind "bogus"/});
});

test('computeChannelStats matches a direct computation over the bytes', async (t) => {
  const fm = await embeddedFashionMnist();
  const {mean, std} = await computeChannelStats(fm, {maxItems: 500});
  let sum = 0, sumSq = 0;
  const n = 500 * 784;
  for (let i = 0; i < n; i++) {
    const v = fm.images[i]! / 255;
    sum += v;
    sumSq += v * v;
  }
  t.true(Math.abs(mean[0]! - sum / n) < 1e-12);
  t.true(Math.abs(std[0]! - Math.sqrt(sumSq / n - (sum / n) ** 2)) < 1e-12);
});
