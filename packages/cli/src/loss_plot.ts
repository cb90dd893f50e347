// The loss curve written at the end of a run: an SVG drawn here (axes, ticks, one polyline per series, legend) and
// converted to PNG with sharp. Non-finite values break a line instead of bending the axes.
import {renameSync} from 'node:fs';

export interface Series {
  name: string;
  color: string;
  /** [x, y] points in x order; y may be null or non-finite (a gap). */
  points: Array<[number, number | null]>;
  /** Line width in px (default 2). */
  width?: number;
  opacity?: number;
}

export interface PlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number; // default 900
  height?: number; // default 520
  /** x takes integer values (steps): no fractional ticks. */
  integerX?: boolean;
}

const MARGIN = {left: 70, right: 20, top: 40, bottom: 55};

/** About `count` round tick values (1, 2, 2.5 or 5 × 10^k steps, at least minStep apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 6, minStep = 0): number[] {
  if (!(hi > lo)) return [lo];
  const raw = Math.max((hi - lo) / Math.max(1, count), minStep);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Exponential moving average that skips gaps (the official logs' smoothed loss, for noisy per-step values). */
export function smooth(points: ReadonlyArray<[number, number | null]>, alpha: number): Array<[number, number | null]> {
  let avg: number | null = null;
  return points.map(([x, y]) => {
    if (y === null || !Number.isFinite(y)) return [x, null];
    avg = avg === null ? y : alpha * y + (1 - alpha) * avg;
    return [x, avg];
  });
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => ({'<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;'})[c]!);
const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(4))));

/** An SVG line chart of the series. */
export function renderLineChartSvg(series: readonly Series[], options: PlotOptions = {}): string {
  const W = options.width ?? 900, H = options.height ?? 520;
  const plotW = W - MARGIN.left - MARGIN.right, plotH = H - MARGIN.top - MARGIN.bottom;
  const finite = series.flatMap((s) => s.points.filter((p): p is [number, number] => p[1] !== null && Number.isFinite(p[1])));
  let x0 = Math.min(...finite.map((p) => p[0])), x1 = Math.max(...finite.map((p) => p[0]));
  let y0 = Math.min(...finite.map((p) => p[1])), y1 = Math.max(...finite.map((p) => p[1]));
  if (finite.length === 0) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x1 === x0) [x0, x1] = [x0 - 0.5, x1 + 0.5];
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = 0.05 * (y1 - y0);
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) => MARGIN.top + (1 - (y - y0) / (y1 - y0)) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  for (const t of niceTicks(y0, y1)) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${MARGIN.left - 8}" y="${y}" font-size="12" text-anchor="end" dominant-baseline="middle" fill="#333">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(x0, x1, 8, options.integerX ? 1 : 0)) {
    const x = sx(t).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 5}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${MARGIN.top + plotH + 20}" font-size="12" text-anchor="middle" fill="#333">${fmt(t)}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  for (const s of series) {
    // One polyline per run of finite points.
    let run: string[] = [];
    const flush = () => {
      if (run.length > 0) {
        out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}" stroke-opacity="${s.opacity ?? 1}" stroke-linejoin="round" points="${run.join(' ')}"/>`);
      }
      run = [];
    };
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y)) flush();
      else run.push(`${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    }
    flush();
  }
  series.forEach((s, i) => {
    const y = MARGIN.top + 16 + i * 18, x = MARGIN.left + plotW - 170;
    out.push(`<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="3" stroke-opacity="${s.opacity ?? 1}"/>`);
    out.push(`<text x="${x + 30}" y="${y}" font-size="12" dominant-baseline="middle" fill="#333">${escapeXml(s.name)}</text>`);
  });
  if (options.title) out.push(`<text x="${W / 2}" y="24" font-size="16" text-anchor="middle" fill="#111">${escapeXml(options.title)}</text>`);
  if (options.xLabel) out.push(`<text x="${MARGIN.left + plotW / 2}" y="${H - 12}" font-size="13" text-anchor="middle" fill="#333">${escapeXml(options.xLabel)}</text>`);
  if (options.yLabel) {
    out.push(`<text x="18" y="${MARGIN.top + plotH / 2}" font-size="13" text-anchor="middle" fill="#333" transform="rotate(-90 18 ${MARGIN.top + plotH / 2})">${escapeXml(options.yLabel)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

export interface StepPoint {
  globalStep: number;
  loss: number | null;
  cls: number | null;
  patch: number | null;
}

/** The chart of a training run: the raw total loss (faint), its smoothed curve, and the smoothed CLS and patch terms. */
export function lossCurveSvg(steps: readonly StepPoint[], title = 'iBOT training loss'): string {
  const alpha = steps.length > 50 ? 0.1 : 1; // a short run is shown unsmoothed
  const pts = (f: (s: StepPoint) => number | null) => steps.map((s): [number, number | null] => [s.globalStep, f(s)]);
  const series: Series[] = [];
  if (alpha < 1) series.push({name: 'loss (per step)', color: '#1f77b4', points: pts((s) => s.loss), width: 1, opacity: 0.25});
  series.push({name: alpha < 1 ? 'loss (smoothed)' : 'loss', color: '#1f77b4', points: smooth(pts((s) => s.loss), alpha)});
  series.push({name: 'CLS term', color: '#ff7f0e', points: smooth(pts((s) => s.cls), alpha), width: 1.5});
  series.push({name: 'patch (MIM) term', color: '#2ca02c', points: smooth(pts((s) => s.patch), alpha), width: 1.5});
  return renderLineChartSvg(series, {title, xLabel: 'step', yLabel: 'loss', integerX: true});
}

/** Renders `svg` to a PNG file (written to a temporary name, then renamed). */
export async function writeSvgAsPng(svg: string, path: string): Promise<void> {
  const {default: sharp} = await import('sharp');
  const tmp = `${path}.tmp-${process.pid}`;
  await sharp(Buffer.from(svg)).png().toFile(tmp);
  renameSync(tmp, path);
}
