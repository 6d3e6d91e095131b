// Charts (uPlot, a vendored global) with a text alternative.

import { html } from './html.js';
import { compact, when } from './format.js';

// figure: a chart's place with its label, a summary in words and
// optionally its data as a table.
export function figure(id, label, summary, data = '') {
  return html`<figure class="fig"><div id="${id}" class="chart" role="img" aria-label="${label}"></div>
      <figcaption>${summary}</figcaption>
      ${data ? html`<details><summary>The data as a table</summary>${data}</details>` : ''}</figure>`;
}

let barPaths = null;

// timeTicks labels a time axis's ticks (unix seconds) in UTC: "14:05",
// "14:05:30" when a tick has seconds, "01-02 14:05" when the ticks span
// more than a day.
export function timeTicks(ticks) {
  const iso = ticks.map((t) => new Date(t * 1e3).toISOString());
  const secs = ticks.some((t) => t % 60 !== 0);
  const days = ticks.length > 1 && ticks[ticks.length - 1] - ticks[0] >= 86400;
  return iso.map((s) => (days ? `${s.slice(5, 10)} ` : '') + s.slice(11, secs ? 19 : 16));
}

// The whole-number steps of a count axis (block, epoch, interval).
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7];

// chart draws (or keeps, when its data has not changed) the chart in the
// element id of page p. series: [[label, colour, values], …] over xs
// (ascending): counts, or with time unix seconds shown as UTC times; bars
// draws bars instead of lines.
export function chart(p, id, xLabel, xs, series, { bars = false, time = false } = {}) {
  const { uPlot } = globalThis;
  const el = document.getElementById(id);
  const sig = JSON.stringify([xs, series, time]);
  const old = p.charts.get(id);
  if (!el || (old && old.sig === sig && old.el === el && el.isConnected)) return;
  old?.u.destroy();
  barPaths ??= uPlot.paths.bars({ size: [0.7, 48] });
  const step = xs.slice(1).reduce((m, x, i) => Math.min(m, x - xs[i]), Infinity);
  const pad = bars ? (Number.isFinite(step) ? step : 1) / 2 : 0;
  // One point: a fixed window around it (uPlot's own single-value range
  // would start the axis at 0).
  const one = time ? 60 : 1;
  const axis = { stroke: '#333', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#d1d5db' } };
  const xAxis = time
    ? { ...axis, label: xLabel, space: 80, values: (_, ticks) => timeTicks(ticks) } // a label is up to 11 characters
    : { ...axis, label: xLabel, incrs: COUNT_STEPS, values: (_, ticks) => ticks.map((v) => String(v)) };
  const u = new uPlot({
    width: el.clientWidth || 320,
    height: 220,
    // Times are UTC, as everywhere in the explorer.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    scales: {
      x: xs.length === 1 ? { time, auto: false, min: xs[0] - one, max: xs[0] + one }
        : { time, range: (_, lo, hi) => (lo === hi ? [lo - one, hi + one] : [lo - pad, hi + pad]) },
      y: { range: (_, lo, hi) => [Math.min(0, lo), hi > 0 ? hi * 1.08 : 1] }, // from zero: bar heights must compare honestly
    },
    axes: [xAxis, { ...axis, size: 64, values: (_, ticks) => ticks.map((v) => compact.format(v)) }],
    series: [{ label: xLabel, value: time ? (_, v) => (v == null ? '—' : when(v * 1e3)) : undefined }, ...series.map(([label, colour]) => ({
      label, stroke: colour, width: 2, fill: bars ? `${colour}bb` : undefined, paths: bars ? barPaths : undefined, points: { show: !bars && xs.length < 60 },
    }))],
  }, [xs, ...series.map((s) => s[2])], el);
  p.charts.set(id, { u, el, sig });
}

// resizeCharts fits page p's charts to their elements' widths.
export function resizeCharts(p) {
  p?.charts.forEach(({ u, el }) => u.setSize({ width: el.clientWidth, height: 220 }));
}
