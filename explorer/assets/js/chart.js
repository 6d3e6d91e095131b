// Charts (uPlot, a vendored global) with a text alternative.

import { html } from './html.js';
import { compact } from './format.js';

// figure: a chart's place with its label, a summary in words and
// optionally its data as a table.
export function figure(id, label, summary, data = '') {
  return html`<figure class="fig"><div id="${id}" class="chart" role="img" aria-label="${label}"></div>
      <figcaption>${summary}</figcaption>
      ${data ? html`<details><summary>The data as a table</summary>${data}</details>` : ''}</figure>`;
}

let barPaths = null;

// chart draws (or keeps, when its data has not changed) the chart in the
// element id of page p. series: [[label, colour, values], …] over xs
// (ascending); bars draws bars instead of lines.
export function chart(p, id, xLabel, xs, series, bars = false) {
  const { uPlot } = globalThis;
  const el = document.getElementById(id);
  const sig = JSON.stringify([xs, series]);
  const old = p.charts.get(id);
  if (!el || (old && old.sig === sig && old.el === el && el.isConnected)) return;
  old?.u.destroy();
  barPaths ??= uPlot.paths.bars({ size: [0.7, 48] });
  const step = xs.slice(1).reduce((m, x, i) => Math.min(m, x - xs[i]), Infinity);
  const pad = bars ? (Number.isFinite(step) ? step : 1) / 2 : 0;
  const axis = { stroke: '#333', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#d1d5db' } };
  const u = new uPlot({
    width: el.clientWidth || 320,
    height: 220,
    scales: {
      // One point: a fixed window around it (uPlot's own single-value
      // range would start the axis at 0).
      x: xs.length === 1 ? { time: false, auto: false, min: xs[0] - 1, max: xs[0] + 1 }
        : { time: false, range: (_, lo, hi) => (lo === hi ? [lo - 1, hi + 1] : [lo - pad, hi + pad]) },
      y: { range: (_, lo, hi) => [Math.min(0, lo), hi > 0 ? hi * 1.08 : 1] }, // from zero: bar heights must compare honestly
    },
    // x is a count (block, epoch, interval): whole-number ticks only.
    axes: [{ ...axis, label: xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7],
      values: (_, ticks) => ticks.map((v) => String(v)) }, { ...axis, size: 64, values: (_, ticks) => ticks.map((v) => compact.format(v)) }],
    series: [{ label: xLabel }, ...series.map(([label, colour]) => ({
      label, stroke: colour, width: 2, fill: bars ? `${colour}bb` : undefined, paths: bars ? barPaths : undefined, points: { show: !bars && xs.length < 60 },
    }))],
  }, [xs, ...series.map((s) => s[2])], el);
  p.charts.set(id, { u, el, sig });
}

// resizeCharts fits page p's charts to their elements' widths.
export function resizeCharts(p) {
  p?.charts.forEach(({ u, el }) => u.setSize({ width: el.clientWidth, height: 220 }));
}
