// A network: whether it is frozen, its details, rewards per epoch,
// rejected reports, its device map and its devices.

import { html } from '../html.js';
import { amount, href, plural, tokens, words } from '../format.js';
import { coin, frozenBanner, kv, link, num, section, table } from '../ui.js';
import { gql, orNull } from '../api.js';
import { $, notFound, ready, render, update } from '../page.js';
import { pager } from '../pager.js';
import { chart, figure } from '../chart.js';
import { hexMap, mapShell } from '../map.js';

const Q_NETWORK = `query($id: ID!, $net: String!) {
    network(id: $id) { id owner class rewardDenom createdHeight devices rejectReasons { reason count } hasMarket frozen frozenReason }
    rewardsPerEpoch(network: $net) { epoch emission distributed treasury devices } }`;
const Q_DEVICES = `query($first: Int, $after: String, $where: DeviceWhere) {
    devices(first: $first, after: $after, where: $where, orderBy: { field: ID }) {
      totalCount edges { node { id owner model status reportsAccepted cell } } pageInfo { hasNextPage endCursor } } }`;

function fillNetwork(p, n, epochs) {
  update($('#net-frozen'), frozenBanner(n));
  update($('#net-details'), kv([
    ['Status', n.frozen ? 'Frozen' : 'Running'],
    ['Class', words(n.class)], ['Owner', link('account', n.owner)], ['Reward token', html`${tokens(0, n.rewardDenom)[1]} <span class="mono">(${n.rewardDenom})</span>`],
    ['Created at block', link('block', n.createdHeight, amount(n.createdHeight))], ['Devices', amount(n.devices)],
    ['Energy market', n.hasMarket ? html`<a href="${href.market(n.id)}">Order book and clearing prices</a>` : 'None'],
  ]));
  update($('#net-rejects'), table('Rejected reports per reason', ['Reason', num('Reports')],
    n.rejectReasons.map((r) => [words(r.reason), amount(r.count)]), { empty: 'No rejected reports.' }));
  const last = epochs[0];
  update($('#net-rewards'), last ? figure('net-rewards-chart', `Bar chart of rewards distributed per epoch, ${epochs.length} epochs`,
    `Latest epoch ${last.epoch}: ${tokens(last.distributed, n.rewardDenom).join(' ')} of ${tokens(last.emission, n.rewardDenom).join(' ')} distributed to ${plural(last.devices, 'device')}, ${tokens(last.treasury, n.rewardDenom).join(' ')} to the treasury.`,
    table('Rewards per epoch', [num('Epoch'), num('Emission'), num('Distributed'), num('Treasury'), num('Devices')],
      epochs.map((e) => [e.epoch, coin(e.emission, n.rewardDenom), coin(e.distributed, n.rewardDenom), coin(e.treasury, n.rewardDenom), amount(e.devices)]), { stack: false }))
    : html`<p class="empty">No epoch has ended yet.</p>`);
  if (last) {
    const asc = [...epochs].reverse();
    const unit = tokens(0, n.rewardDenom)[1];
    chart(p, 'net-rewards-chart', 'Epoch', asc.map((e) => e.epoch), [[`Distributed (${unit})`, '#2b8cbe', asc.map((e) => Number(e.distributed) / 1e6)]], { bars: true });
  }
}

export async function pageNetwork(p, id, params) {
  const d = await orNull(Q_NETWORK, { id, net: id });
  if (!p.alive) return;
  const n = d?.network;
  if (!n) return notFound(p, 'No such network', html`There is no network <span class="mono">${id}</span> on this chain. The home page lists every network.`);
  const cell = params.get('cell');
  render(html`<h1 tabindex="-1">Network <span class="mono">${n.id}</span></h1>
      <div id="net-frozen"></div>
      ${section('net-details', 'Details')}
      ${section('net-rewards', 'Rewards per epoch')}
      ${section('net-rejects', 'Rejected reports')}
      <section aria-labelledby="map-h"><h2 id="map-h">Device map</h2>${mapShell('net-map')}</section>
      <section aria-labelledby="net-devices-h"><h2 id="net-devices-h">Devices</h2>
        ${cell ? html`<p>In hex <span class="mono">${cell}</span> · <a href="${href.network(n.id)}">Show all devices</a></p>` : ''}
        <div id="net-devices"></div></section>`);
  fillNetwork(p, n, d.rewardsPerEpoch);
  const where = { network: { eq: n.id }, ...(cell ? { cellR7: { eq: cell } } : {}) };
  const showDevices = pager(p, $('#net-devices'), 25, async (after) => (await gql(Q_DEVICES, { first: 25, after, where })).devices,
    (c) => table('Devices', ['Device', 'Owner', 'Model', 'Status', num('Reports accepted'), 'Cell'],
      c.edges.map(({ node: v }) => [link('device', v.id), link('account', v.owner), v.model, words(v.status), amount(v.reportsAccepted), html`<span class="mono">${v.cell}</span>`]),
      { empty: cell ? 'No devices in this hex.' : 'No devices yet.' }));
  const m = hexMap(p, 'net-map', n.id);
  p.refresh = async () => {
    const r = await gql(Q_NETWORK, { id, net: id });
    if (p.alive && r.network) fillNetwork(p, r.network, r.rewardsPerEpoch);
    await showDevices();
  };
  await Promise.all([showDevices(), m.ready]);
  ready(p, 'network', `Network ${n.id}`);
}
