// The loss-curve writer: tick choice, smoothing, one polyline per run of finite values, and a real PNG from sharp whose
// pixels show the curve where the data says it is.
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import test from 'ava';
import sharp from 'sharp';

import {lossCurveSvg, niceTicks, renderLineChartSvg, smooth, writeSvgAsPng} from './loss_plot.js';

test('niceTicks: round steps covering the range', (t) => {
  t.deepEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
  t.deepEqual(niceTicks(0.13, 0.61, 5), [0.2, 0.3, 0.4, 0.5, 0.6]);
  t.deepEqual(niceTicks(3, 3), [3]);
  t.deepEqual(niceTicks(0, 2, 8, 1), [0, 1, 2]); // integer steps: no 0.25 ticks
  const many = niceTicks(-7.3, 1234, 6);
  t.true(many.length >= 4 && many.length <= 8);
  t.true(many.every((v) => v >= -7.3 && v <= 1234));
});

test('smooth: an exponential moving average that passes over gaps', (t) => {
  const s = smooth([[0, 1], [1, 3], [2, null], [3, Number.NaN], [4, 5]], 0.5);
  t.deepEqual(s, [[0, 1], [1, 2], [2, null], [3, null], [4, 3.5]]);
  t.deepEqual(smooth([[0, 4], [1, 8]], 1), [[0, 4], [1, 8]]);
});

test('the SVG has one polyline per finite run, a legend and escaped labels', (t) => {
  const svg = renderLineChartSvg([
    {name: 'a<b', color: '#ff0000', points: [[0, 1], [1, 2], [2, Number.NaN], [3, 1], [4, 0]]},
    {name: 'c', color: '#00ff00', points: [[0, 0.5], [4, 0.5]]},
  ], {title: 'T & U'});
  t.is(svg.match(/<polyline/g)!.length, 3);
  t.true(svg.includes('a&lt;b'));
  t.true(svg.includes('T &amp; U'));
  t.false(svg.includes('NaN'));
  // A short run is drawn unsmoothed; a long one adds the faint per-step line.
  const steps = (n: number) => Array.from({length: n}, (_, i) => ({globalStep: i, loss: 10 - i / n, cls: 5, patch: 5 - i / n}));
  t.is(lossCurveSvg(steps(10)).match(/<polyline/g)!.length, 3);
  t.is(lossCurveSvg(steps(200)).match(/<polyline/g)!.length, 4);
  t.notThrows(() => renderLineChartSvg([{name: 'empty', color: '#000', points: []}]));
});

test('writeSvgAsPng writes a PNG of the chart: the curve is red where the data puts it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-plot-'));
  try {
    const path = join(dir, 'loss.png');
    // A horizontal red line at y = 1 between y = 0 and y = 2: the middle row of the plot area.
    const svg = renderLineChartSvg([{name: 'flat', color: '#ff0000', width: 4, points: [[0, 0], [0.001, 1], [9.999, 1], [10, 2]]}], {width: 400, height: 300});
    await writeSvgAsPng(svg, path);
    const meta = await sharp(path).metadata();
    t.is(meta.format, 'png');
    t.is(meta.width, 400);
    t.is(meta.height, 300);
    const {data, info} = await sharp(path).removeAlpha().raw().toBuffer({resolveWithObject: true});
    const red = (x: number, y: number) => {
      const o = (y * info.width + x) * info.channels;
      return data[o]! > 200 && data[o + 1]! < 80 && data[o + 2]! < 80;
    };
    // Plot area: x 70..380, y 40..245; y = 1 is its vertical middle, ≈ 142.5.
    const midRow = [140, 141, 142, 143, 144, 145].some((y) => red(200, y));
    t.true(midRow, 'the red line crosses the middle of the plot');
    t.false(red(200, 60), 'no red far above the line');
    t.false(red(200, 230), 'no red far below the line');
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});
