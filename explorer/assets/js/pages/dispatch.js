// A dispatch (or a challenge) of a virtual power plant: its terms and
// results, a chart of the power asked for, the baseline, what was metered
// and what was delivered over its window — of all its batteries or of
// one — and each battery's row.

import { html } from '../html.js';
import { short } from '../format.js';
import { section } from '../ui.js';
import { gql, orNull } from '../api.js';
import { $, notFound, ready, render, update } from '../page.js';
import { chart, figure } from '../chart.js';
import { allocationsTable, batteries, dispatchDetails, dispatchSeries, seriesSummary, seriesTable } from '../vpp.js';

// MEMBERS_SHOWN is how many batteries the page lists, each with its
// series (within the API's complexity limit).
export const MEMBERS_SHOWN = 40;

const Q_DISPATCH = `query($id: Int!) {
    dispatch(id: $id) { id pool network operator challenge direction powerW start end intervalSeconds status denom pricePerKwh escrow credits
      allocatedW allocatedWh memberCount baselineWh deliveredWh paid refunded responded missed penalties createdHeight settledHeight
      series { start requestedW baselineW meteredW deliveredW }
      members(first: 40) { device owner powerW allocatedWh baselineWh meteredWh deliveredWh paid responded penalty settled
        series { start requestedW baselineW meteredW deliveredW } } } }`;

// drawChart draws the series of who (a battery's id, or '' for all).
function drawChart(p, d, who) {
  const member = who ? d.members.find((m) => m.device === who) : null;
  const points = member ? member.series : d.series;
  const label = member ? `battery ${short(member.device)}` : `all ${batteries(d.memberCount)}`;
  update($('#dispatch-chart-box'), points.length ? figure('dispatch-chart', `Line chart of the power asked for, the baseline, metered and delivered per interval, ${label}`,
    seriesSummary(points, label[0].toUpperCase() + label.slice(1)), seriesTable(points)) : html`<p class="empty">No intervals.</p>`);
  if (points.length) {
    const every = d.intervalSeconds || (Date.parse(d.end) - Date.parse(d.start)) / 1000 / Math.max(1, points.length);
    const { xs, series } = dispatchSeries(points, every);
    chart(p, 'dispatch-chart', 'Interval (UTC)', xs, series, { time: true });
  }
}

function fillDispatch(p, d, who) {
  update($('#dispatch-details'), dispatchDetails(d));
  update($('#dispatch-members'), allocationsTable(d.members, d.denom));
  const sel = $('#dispatch-who');
  const options = html`<option value="">All batteries</option>${d.members.map((m) => html`<option value="${m.device}"${m.device === who ? html` selected` : ''}>${short(m.device)}</option>`)}`;
  if (sel && sel.dataset.sig !== String(options)) {
    sel.innerHTML = String(options);
    sel.dataset.sig = String(options);
  }
  drawChart(p, d, who);
}

export async function pageDispatch(p, arg) {
  const id = /^\d{1,15}$/.test(arg) ? Number(arg) : 0;
  let d = id ? (await orNull(Q_DISPATCH, { id }))?.dispatch : null;
  if (!p.alive) return;
  if (!d) return notFound(p, 'No such dispatch', /^\d+$/.test(arg) ? html`There is no dispatch ${arg} on this chain.` : html`Dispatches are numbered: <span class="mono">${arg}</span> is not a dispatch number.`);
  render(html`<h1 tabindex="-1">${d.challenge ? 'Challenge' : 'Dispatch'} ${d.id}</h1>
      ${section('dispatch-details', 'Details')}
      <section aria-labelledby="dispatch-chart-h"><h2 id="dispatch-chart-h">Power over its window</h2>
        <p><label for="dispatch-who">Show</label> <select id="dispatch-who"></select></p><div id="dispatch-chart-box"></div></section>
      ${section('dispatch-members', 'Batteries')}`);
  let who = '';
  fillDispatch(p, d, who);
  $('#dispatch-who').addEventListener('change', (e) => { who = e.target.value; drawChart(p, d, who); });
  p.refresh = async () => {
    const r = (await gql(Q_DISPATCH, { id })).dispatch;
    if (p.alive && r) { d = r; fillDispatch(p, d, who); }
  };
  ready(p, 'dispatch', `${d.challenge ? 'Challenge' : 'Dispatch'} ${d.id}`);
}
