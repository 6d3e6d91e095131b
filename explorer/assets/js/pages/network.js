// A network: whether it is frozen, its details, its storage market (when
// it runs one), its compute market's figures (when it runs one; the
// market has a page of its own), its virtual power plants and its
// token's emission against what was burned for credits (when it runs
// them), rewards per epoch, rejected reports, its
// device map and its devices.

import { html } from '../html.js';
import { amount, href, plural, tokens, words } from '../format.js';
import { coin, frozenBanner, kv, link, num, section, table } from '../ui.js';
import { gql, orNull } from '../api.js';
import { $, notFound, ready, render, update } from '../page.js';
import { pager } from '../pager.js';
import { chart, figure } from '../chart.js';
import { hexMap, mapShell } from '../map.js';
import { auditSeries, auditSummary, auditTable, dealsTable, repairsTable, storageNodesTable, storageSummary } from '../storage.js';
import { computeSummary } from '../compute.js';
import { poolsTable, supplySeries, supplySummary, supplyTable, vppSummary } from '../vpp.js';

const Q_NETWORK = `query($id: ID!, $net: String!) {
    network(id: $id) { id owner class rewardDenom createdHeight devices rejectReasons { reason count } hasMarket frozen frozenReason
      storage { denom bytesStored capacity freeBytes dealCount activeDealCount nodeCount nodesWithFreeSpace disqualifiedNodes repairCount }
      compute { denom jobCount runningJobs taskCount tasksVerified tasksFailed providerCount penaltyCount }
      vpp { poolCount openPools memberCount dispatchCount challengeCount deliveredWh creditPrice }
      supply { denom minted burned creditsMinted creditsSpent flows(last: 20) { epoch height minted burned } } }
    rewardsPerEpoch(network: $net) { epoch emission distributed treasury devices } }`;
const Q_DEVICES = `query($first: Int, $after: String, $where: DeviceWhere) {
    devices(first: $first, after: $after, where: $where, orderBy: { field: ID }) {
      totalCount edges { node { id owner model status reportsAccepted cell } } pageInfo { hasNextPage endCursor } } }`;
const Q_STORAGE = `query($id: ID!) { network(id: $id) { storage {
      audits(last: 20) { epoch passed missed } nodeAudits(epochs: 20, nodes: 8) { device epoch passed missed }
      repairs(last: 10) { height deal piece fromNode toNode repairer feeDue feePaid status paidHeight denom } } } }`;
const Q_SNODES = `query($id: ID!, $first: Int, $after: String) { network(id: $id) { storage { nodes(first: $first, after: $after) {
      totalCount edges { node { device status endpoint usedBytes freeBytes pieces auditsPassed auditsMissed disqualified earned denom acceptsPieces } }
      pageInfo { hasNextPage endCursor } } } } }`;
const Q_POOLS = `query($first: Int, $after: String, $network: String!) { pools(network: $network, first: $first, after: $after) {
      totalCount edges { node { id name network operator status memberCount maxW pricePerKwh denom dispatchCount deliveredWh } } pageInfo { hasNextPage endCursor } } }`;
const Q_DEALS = `query($first: Int, $after: String, $network: String!) { deals(network: $network, first: $first, after: $after) {
      totalCount edges { node { id owner network size pieceCount livePieces status closeReason escrow paid denom end } } pageInfo { hasNextPage endCursor } } }`;

// storageHtml is the storage market's sections (s: StorageMarket's key
// figures), filled by fillStorage and the pagers.
export const storageHtml = (s) => html`${section('net-storage', 'Storage', storageSummary(s))}
      ${section('net-audits', 'Audit pass rate')}
      <section aria-labelledby="net-deals-h"><h2 id="net-deals-h">Storage deals</h2><div id="net-deals"></div></section>
      <section aria-labelledby="net-snodes-h"><h2 id="net-snodes-h">Storage nodes</h2><div id="net-snodes"></div></section>
      ${section('net-repairs', 'Repairs')}`;

// computeHtml is a compute market's figures (n.compute) and the way to
// its page.
export const computeHtml = (n) => html`${computeSummary(n.compute)}
      <p><a id="net-compute-link" href="${href.compute(n.id)}">Jobs, providers and penalties</a></p>`;

// vppHtml is a network's virtual power plants' figures and their list.
export const vppHtml = (n) => html`${section('net-vpp', 'Virtual power plants', vppSummary(n.vpp, n.rewardDenom))}
      <section aria-labelledby="net-pools-h"><h2 id="net-pools-h">Pools</h2><div id="net-pools"></div></section>`;

// showsSupply: a network's token supply is charted once it can be burned.
export const showsSupply = (n) => Boolean(n.vpp) || n.supply.burned !== '0';

function fillSupply(p, s) {
  update($('#net-supply'), s.flows.length ? figure('net-supply-chart', `Bar chart of the token minted by emission and burned for service credits, per epoch, ${s.flows.length} epochs`,
    supplySummary(s), supplyTable(s)) : html`<p class="empty">${supplySummary(s)}</p>`);
  if (s.flows.length) {
    const { xs, series } = supplySeries(s.flows);
    const unit = tokens(0, s.denom)[1];
    chart(p, 'net-supply-chart', 'Epoch', xs, series.map(([label, colour, v]) => [`${label} (${unit})`, colour, v]), { bars: true });
  }
}

function fillStorage(p, d) {
  const s = d.network?.storage;
  if (!s) return;
  const { xs, series, devices } = auditSeries(s.audits, s.nodeAudits);
  update($('#net-audits'), s.audits.length ? figure('net-audits-chart', `Line chart of the share of audits passed per epoch, over all nodes and for ${plural(devices.length, 'node')}`,
    auditSummary(s.audits, devices), auditTable(xs, series)) : html`<p class="empty">${auditSummary(s.audits, devices)}</p>`);
  if (s.audits.length) chart(p, 'net-audits-chart', 'Epoch', xs, series.map(([label, colour, v]) => [`${label} (% passed)`, colour, v]));
  update($('#net-repairs'), repairsTable('Repairs', s.repairs));
}

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
      ${n.storage ? storageHtml(n.storage) : ''}
      ${n.compute ? section('net-compute', 'Compute', computeHtml(n)) : ''}
      ${n.vpp ? vppHtml(n) : ''}
      ${showsSupply(n) ? section('net-supply', 'Minted and burned') : ''}
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
  // A storage market: its audits and repairs, its deals and its nodes.
  const storage = n.storage ? [
    async () => fillStorage(p, await gql(Q_STORAGE, { id })),
    pager(p, $('#net-deals'), 20, async (after) => (await gql(Q_DEALS, { first: 20, after, network: n.id })).deals,
      (c) => dealsTable('Storage deals', c.edges.map((e) => e.node), { network: false })),
    pager(p, $('#net-snodes'), 25, async (after) => (await gql(Q_SNODES, { id, first: 25, after })).network.storage.nodes,
      (c) => storageNodesTable(c.edges.map((e) => e.node))),
  ] : [];
  const vpp = n.vpp ? [pager(p, $('#net-pools'), 20, async (after) => (await gql(Q_POOLS, { first: 20, after, network: n.id })).pools,
    (c) => poolsTable('Pools', c.edges.map((e) => e.node), { network: false }))] : [];
  if (showsSupply(n)) fillSupply(p, n.supply);
  p.refresh = async () => {
    const r = await gql(Q_NETWORK, { id, net: id });
    if (p.alive && r.network) {
      fillNetwork(p, r.network, r.rewardsPerEpoch);
      if (r.network.vpp) update($('#net-vpp'), vppSummary(r.network.vpp, r.network.rewardDenom));
      if (showsSupply(n) && showsSupply(r.network)) fillSupply(p, r.network.supply);
      if (r.network.storage) update($('#net-storage'), storageSummary(r.network.storage));
      if (r.network.compute) update($('#net-compute'), computeHtml(r.network));
    }
    await Promise.all([showDevices(), ...storage.map((f) => f()), ...vpp.map((f) => f())]);
  };
  await Promise.all([showDevices(), m.ready, ...storage.map((f) => f()), ...vpp.map((f) => f())]);
  ready(p, 'network', `Network ${n.id}`);
}
