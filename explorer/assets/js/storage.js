// Storage markets and deals: the summaries, tables and chart series the
// network, deal, account and device pages show. Pure: no DOM.

import { html } from './html.js';
import { amount, bytes, passRate, plural, short, tokens, when, words } from './format.js';
import { coin, kv, link, num, table } from './ui.js';

// earned shows a node's earnings in display units when the denom is
// known (a network's deals pay in one denom), else as a base amount.
const earned = (v, denom) => (denom ? coin(v, denom) : amount(v));

// dealStatus: "Active", or "Closed (expired)".
export const dealStatus = (d) => (d.closeReason ? `${words(d.status)} (${d.closeReason})` : words(d.status));

// storageSummary is a storage market's key figures (StorageMarket's
// scalar fields) as a key–value list.
export function storageSummary(s) {
  return kv([
    ['Stored', html`${bytes(s.bytesStored)} <span class="dim">in the pieces of ${plural(s.activeDealCount, 'active deal')}</span>`],
    ['Capacity', html`${bytes(s.capacity)}, of which ${bytes(s.freeBytes)} free <span class="dim">(nodes that can take pieces)</span>`],
    ['Nodes', `${amount(s.nodeCount)}: ${amount(s.nodesWithFreeSpace)} with free space, ${amount(s.disqualifiedNodes)} disqualified`],
    ['Deals', `${amount(s.activeDealCount)} active of ${amount(s.dealCount)}`],
    ['Repairs', amount(s.repairCount)],
    ['Deals pay in', s.denom ? html`${tokens(0, s.denom)[1]} <span class="mono dim">(${s.denom})</span>` : 'No deal yet'],
  ]);
}

// PALETTE colours the nodes' lines of the audit chart (the network's
// line is black).
// No red or green: a node's colour must not read as good or bad.
export const PALETTE = ['#2563eb', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#92400e', '#4d7c0f', '#475569', '#c026d3', '#0f766e'];

// auditSeries turns a network's audits per epoch (newest first) and its
// nodes' audits per epoch into a pass-rate chart over the epochs, oldest
// first: xs the epochs, series [label, colour, percentages] — all nodes
// first, then each node, lowest pass rate over the epochs first (null
// where a node had no audit in an epoch) — and devices, the nodes in that
// order.
export function auditSeries(audits, nodeAudits) {
  const xs = [...new Set([...audits.map((a) => a.epoch), ...nodeAudits.map((a) => a.epoch)])].sort((a, b) => a - b);
  const rate = (a) => (a && a.passed + a.missed > 0 ? (a.passed * 100) / (a.passed + a.missed) : null);
  const byEpoch = new Map(audits.map((a) => [a.epoch, a]));
  const totals = new Map();
  for (const a of nodeAudits) {
    const t = totals.get(a.device) ?? { passed: 0, missed: 0 };
    totals.set(a.device, { passed: t.passed + a.passed, missed: t.missed + a.missed });
  }
  // a/(a+b) < c/(c+d) ⇔ a(c+d) < c(a+b); then the most audits, then by id.
  const devices = [...totals.keys()].sort((x, y) => {
    const a = totals.get(x), b = totals.get(y);
    const d = a.passed * (b.passed + b.missed) - b.passed * (a.passed + a.missed);
    return d || (b.passed + b.missed) - (a.passed + a.missed) || (x < y ? -1 : x > y ? 1 : 0);
  });
  const series = [['All nodes', '#111827', xs.map((e) => rate(byEpoch.get(e)))]];
  devices.forEach((dev, i) => {
    const mine = new Map(nodeAudits.filter((a) => a.device === dev).map((a) => [a.epoch, a]));
    series.push([short(dev), PALETTE[i % PALETTE.length], xs.map((e) => rate(mine.get(e)))]);
  });
  return { xs, series, devices };
}

// auditSummary says in words what the audit chart shows.
export function auditSummary(audits, devices) {
  if (!audits.length) return 'No audits yet: nodes are first challenged in the epoch after they hold a piece.';
  const passed = audits.reduce((n, a) => n + a.passed, 0), missed = audits.reduce((n, a) => n + a.missed, 0);
  const epochs = audits.length;
  return `Over the last ${plural(epochs, 'epoch')} with audits, ${passRate(passed, missed)} of ${plural(passed + missed, 'audit')} passed` +
    `${missed ? ` (${amount(missed)} missed)` : ''}. ` +
    (devices.length ? `The chart follows the ${plural(devices.length, 'node')} with the lowest pass rate; the table below has the numbers.` : '');
}

// auditTable lists pass rates per epoch (newest first): all nodes, then
// each followed node.
export function auditTable(xs, series) {
  const rows = xs.map((e, i) => [e, ...series.map((s) => (s[2][i] == null ? '—' : `${s[2][i].toFixed(1)} %`))]).reverse();
  return table('Audit pass rate per epoch', [num('Epoch'), ...series.map((s) => num(s[0]))], rows, { stack: false, empty: 'No audits yet.' });
}

// dealsTable lists deals (StorageDeal nodes); owner: show the owner column.
export const dealsTable = (label, deals, { owner = true, network = true } = {}) => table(label,
  [num('Deal'), ...(owner ? ['Owner'] : []), ...(network ? ['Network'] : []), num('File size'), num('Pieces'), 'Status', num('Escrow'), num('Paid'), 'Ends'],
  deals.map((d) => [link('deal', d.id, `#${d.id}`), ...(owner ? [link('account', d.owner)] : []), ...(network ? [link('network', d.network)] : []),
    bytes(d.size), d.livePieces === d.pieceCount ? amount(d.pieceCount) : `${amount(d.livePieces)} of ${amount(d.pieceCount)} live`,
    dealStatus(d), coin(d.escrow, d.denom), coin(d.paid, d.denom), when(d.end)]),
  { empty: 'No storage deals.' });

// nodeState: what a storage node is doing, in words.
export function nodeState(n) {
  if (n.disqualified) return 'Disqualified';
  if (n.status && n.status !== 'ACTIVE') return words(n.status);
  if (!n.endpoint) return 'No endpoint announced';
  return n.acceptsPieces ? 'Taking pieces' : 'Full';
}

// storageNodesTable lists a network's storage nodes (StorageNode).
export const storageNodesTable = (nodes) => table('Storage nodes', ['Node', 'State', num('Used'), num('Free'), num('Pieces'), num('Audits passed'), num('Pass rate'), num('Earned')],
  nodes.map((n) => [link('device', n.device), nodeState(n), bytes(n.usedBytes), bytes(n.freeBytes), amount(n.pieces),
    `${amount(n.auditsPassed)} of ${amount(n.auditsPassed + n.auditsMissed)}`, passRate(n.auditsPassed, n.auditsMissed), earned(n.earned, n.denom)]),
  { empty: 'No storage nodes yet.' });

// repairsTable lists repairs (StorageRepair); deal: show the deal column.
// repairFee: the repairer's fee and where it stands ("0.00005 DPIN, due").
export function repairFee(r) {
  if (r.status === 'NO_FEE') return 'None: the repair budget was spent';
  const fee = coin(r.status === 'PAID' ? r.feePaid : r.feeDue, r.denom);
  if (r.paidHeight) return html`${fee}, paid at block ${link('block', r.paidHeight, amount(r.paidHeight))}`;
  // DUE: paid once the piece passes an audit at its new node.
  const why = { DUE: 'due on its first passed audit', FORFEITED: 'forfeited (new node disqualified)', UNPAID: 'unpaid (no escrow left)' }[r.status];
  return html`${fee}, ${why ?? words(r.status).toLowerCase()}`;
}

export const repairsTable = (label, repairs, { deal = true } = {}) => table(label,
  [num('Block'), ...(deal ? [num('Deal')] : []), num('Piece'), 'From', 'To', 'Repairer', 'Fee'],
  repairs.map((r) => [link('block', r.height, amount(r.height)), ...(deal ? [link('deal', r.deal, `#${r.deal}`)] : []), amount(r.piece),
    link('device', r.fromNode), link('device', r.toNode), link('account', r.repairer), repairFee(r)]),
  { empty: 'No repairs.' });

// storageNodeDetails is a device's record as a storage node.
export const storageNodeDetails = (n) => kv([
  ['State', nodeState(n)], ['Endpoint', n.endpoint ? html`<span class="mono">${n.endpoint}</span>` : 'None announced'],
  ['Capacity', `${bytes(n.capacity)}: ${bytes(n.usedBytes)} used, ${bytes(n.freeBytes)} free`], ['Pieces held', amount(n.pieces)],
  ['Audits', `${amount(n.auditsPassed)} passed, ${amount(n.auditsMissed)} missed (${passRate(n.auditsPassed, n.auditsMissed)} passed)`],
  ['Earned from deals', earned(n.earned, n.denom)],
]);
