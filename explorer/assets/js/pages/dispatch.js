// A dispatch (or a challenge) of a virtual power plant: its terms and
// results, a chart of the power asked for, the baseline, what was metered
// and what was delivered over its window — of all its batteries or of
// one — and each battery's row.

import { html } from '../html.js';
import { short } from '../format.js';
import { section } from '../ui.js';
import { gql, orNull } from '../api.js';
import { pager } from '../pager.js';
import { $, notFound, ready, render, update } from '../page.js';
import { chart, figure } from '../chart.js';
import { allocationsTable, batteries, dispatchDetails, dispatchSeries, seriesSummary, seriesTable } from '../vpp.js';

// MEMBERS_SHOWN is how many batteries a page of the table lists, each
// with its series (within the API's complexity limit); the chart can show
// any battery of the page.
export const MEMBERS_SHOWN = 40; // as in Q_MEMBERS

const Q_DISPATCH = `query($id: Int!) {
    dispatch(id: $id) { id pool network operator challenge direction powerW start end intervalSeconds status denom pricePerKwh escrow credits
      allocatedW allocatedWh memberCount baselineWh deliveredWh paid refunded responded missed penalties createdHeight settledHeight
      series { start requestedW baselineW meteredW deliveredW } } }`;
const Q_MEMBERS = `query($id: Int!, $after: String) { dispatch(id: $id) {
      members(first: 40, after: $after) { device owner direction powerW allocatedWh baselineWh meteredWh deliveredWh paid responded penalty settled
        series { start requestedW baselineW meteredW deliveredW } } } }`;

// drawChart draws the series of who (a battery of members, or '' for all).
function drawChart(p, d, members, who) {
  const member = who ? members.find((m) => m.device === who) : null;
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

// memberOptions fills the chart's selector with the page's batteries.
function memberOptions(members, who) {
  const sel = $('#dispatch-who');
  const options = html`<option value="">All batteries</option>${members.map((m) => html`<option value="${m.device}"${m.device === who ? html` selected` : ''}>${short(m.device)}</option>`)}`;
  if (sel && sel.dataset.sig !== String(options)) {
    sel.innerHTML = String(options);
    sel.dataset.sig = String(options);
  }
}

// membersPage is a page of a dispatch's batteries as a connection for
// pager: members are listed by device id, so the last one is the cursor.
export function membersPage(list, first, total) {
  return { edges: list.map((node) => ({ node })), totalCount: total,
    pageInfo: { endCursor: list.length ? list[list.length - 1].device : null, hasNextPage: list.length === MEMBERS_SHOWN && first + list.length < total } };
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
  let members = [];
  update($('#dispatch-details'), dispatchDetails(d));
  // The table pages through the batteries; the chart's selector offers
  // those of the page shown.
  const cursors = new Map();
  const showMembers = pager(p, $('#dispatch-members'), MEMBERS_SHOWN, async (after) => {
    const list = (await gql(Q_MEMBERS, { id, after })).dispatch?.members ?? [];
    const first = after ? cursors.get(after) : 0;
    const conn = membersPage(list, first, d.memberCount);
    if (conn.pageInfo.endCursor) cursors.set(conn.pageInfo.endCursor, first + list.length);
    members = list;
    if (!members.some((m) => m.device === who)) who = '';
    memberOptions(members, who);
    drawChart(p, d, members, who);
    return conn;
  }, (c) => allocationsTable(c.edges.map((e) => e.node), d.denom));
  await showMembers(); // fills the selector and draws the chart
  $('#dispatch-who').addEventListener('change', (e) => { who = e.target.value; drawChart(p, d, members, who); });
  p.refresh = async () => {
    const r = (await gql(Q_DISPATCH, { id })).dispatch;
    if (!p.alive || !r) return;
    d = r;
    update($('#dispatch-details'), dispatchDetails(d));
    await showMembers();
  };
  ready(p, 'dispatch', `${d.challenge ? 'Challenge' : 'Dispatch'} ${d.id}`);
}
