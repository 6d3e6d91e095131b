// Virtual power plants and a token's supply: the summaries, tables,
// details and chart series the network, pool, dispatch and device pages
// show. Pure: no DOM.

import { html } from './html.js';
import { amount, plural, tokens, when, words } from './format.js';
import { coin, kv, link, num, table } from './ui.js';

// power shows watts (a decimal string) as people read them: "500 W",
// "3 kW", "1.25 MW".
export function power(w) {
  const n = Number(w);
  if (!Number.isFinite(n)) return String(w ?? '');
  if (Math.abs(n) < 1000) return `${amount(String(n))} W`;
  if (Math.abs(n) < 1e6) return `${trim(n / 1e3)} kW`;
  return `${trim(n / 1e6)} MW`;
}

// energy shows watt-hours: "50 Wh", "1.6 kWh", "2.5 MWh".
export function energy(wh) {
  const n = Number(wh);
  if (!Number.isFinite(n)) return String(wh ?? '');
  if (Math.abs(n) < 1000) return `${amount(String(n))} Wh`;
  if (Math.abs(n) < 1e6) return `${trim(n / 1e3)} kWh`;
  return `${trim(n / 1e6)} MWh`;
}

const trim = (x) => amount(String(Math.round(x * 1000) / 1000));

// share shows basis points or ‰ (per) as a percentage: bps(100) → "1 %".
export const bpsText = (bps) => `${trim(bps / 100)} %`;
export const pptText = (ppt) => `${trim(ppt / 10)} %`;

// batteries: "1 battery", "3 batteries".
export const batteries = (n) => `${amount(n)} ${n === 1 ? 'battery' : 'batteries'}`;

// direction: "discharge" (to the grid) or "charge" (from it); a
// challenge whose members are tested in different directions has none.
export const direction = (d) => (d === 'DIRECTION_UNSPECIFIED' ? 'Each its own' : words(String(d ?? '').replace(/^DIRECTION_/, '')));

// dispatchStatus in words.
export const DISPATCH_STATES = { ALLOCATING: 'Being allocated', ALLOCATED: 'Allocated, waiting for its window and reports', SETTLING: 'Settling', SETTLED: 'Settled' };
export const dispatchStatus = (d) => DISPATCH_STATES[d.status] ?? words(d.status);

// vppSummary is a network's virtual power plants (VppMarket) as a
// key–value list.
export function vppSummary(m, denom) {
  return kv([
    ['Pools', `${amount(m.openPools)} open of ${amount(m.poolCount)}`],
    ['Batteries', `${amount(m.memberCount)} in pools`],
    ['Dispatches', `${amount(m.dispatchCount)}, and ${plural(m.challengeCount, 'challenge')}`],
    ['Delivered', energy(m.deliveredWh)],
    ['Service credits', m.creditPrice == null ? 'No longer sold (the network\'s params no longer run virtual power plants)' : html`${coin(m.creditPrice, denom)} each, burned`],
  ]);
}

// poolsTable lists pools (VppPool).
export const poolsTable = (label, pools, { network = true, operator = true } = {}) => table(label,
  [num('Pool'), 'Name', ...(network ? ['Network'] : []), ...(operator ? ['Operator'] : []), 'Status', num('Batteries'), num('Offering'), num('Price per kWh'), num('Dispatches'), num('Delivered')],
  pools.map((p) => [link('pool', p.id, `#${p.id}`), link('pool', p.id, p.name), ...(network ? [link('network', p.network)] : []), ...(operator ? [link('account', p.operator)] : []),
    words(p.status), amount(p.memberCount), power(p.maxW), coin(p.pricePerKwh, p.denom), amount(p.dispatchCount), energy(p.deliveredWh)]),
  { empty: 'No virtual power plants yet.' });

// poolDetails is a pool's terms and totals.
export function poolDetails(p) {
  return kv([
    ['Status', p.closedHeight ? html`Closed at block ${link('block', p.closedHeight, amount(p.closedHeight))}` : 'Open'],
    ['Network', link('network', p.network)], ['Operator', link('account', p.operator)],
    ['Region', html`H3 cell <span class="mono">${p.cell}</span> (resolution ${p.resolution})`],
    ['Price', html`${coin(p.pricePerKwh, p.denom)} per kWh delivered`],
    ['Penalty', `${bpsText(p.penaltyBps)} of a member's stake per missed dispatch (delivering less than ${bpsText(p.minResponseBps)} of its allocation)`],
    ['Notice', `${amount(Number(p.noticeSeconds) / 60)} min to leave`],
    ['Batteries', `${amount(p.memberCount)}, offering ${power(p.maxW)}`],
    ['Dispatches', `${amount(p.dispatchCount)}, and ${plural(p.challengeCount, 'challenge')}`],
    ['Delivered', html`${energy(p.deliveredWh)}, paid ${coin(p.paid, p.denom)}`],
    ['Opened at block', link('block', p.createdHeight, amount(p.createdHeight))],
  ]);
}

// memberState: "In the pool", "Leaving at …", "Left (why)".
export function memberState(m) {
  if (m.status === 'LEAVING') return m.leaveTime ? `Leaving at ${when(m.leaveTime)}` : 'Leaving';
  if (m.status === 'LEFT') return m.leftReason ? `Left (${m.leftReason})` : 'Left';
  return 'In the pool';
}

// membersTable lists a pool's batteries (VppMember).
export const membersTable = (members, denom) => table('Batteries',
  ['Battery', 'Owner', 'State', num('Max'), num('Min charge'), num('Stores'), num('Responses'), num('Delivered'), num('Earned')],
  members.map((m) => [link('device', m.device), link('account', m.owner), memberState(m), power(m.maxW), pptText(m.minSocPpt), energy(m.energyWh),
    `${amount(m.passed)} of ${amount(m.passed + m.failed)}${m.misses ? ` (${amount(m.misses)} missed in a row)` : ''}`,
    energy(m.deliveredWh), coin(m.earned, denom)]),
  { id: 'pool-members-table', empty: 'No batteries in this pool.' });

// dispatchesTable lists a pool's dispatches (VppDispatch).
export const dispatchesTable = (dispatches) => table('Dispatches',
  [num('Dispatch'), 'Direction', num('Power'), 'Window', 'Status', num('Batteries'), num('Delivered'), num('Paid')],
  dispatches.map((d) => [link('dispatch', d.id, `#${d.id}`), direction(d.direction), power(d.powerW), `${when(d.start)} – ${when(d.end).slice(11)}`,
    dispatchStatus(d), amount(d.memberCount), d.status === 'SETTLED' ? energy(d.deliveredWh) : '—', d.status === 'SETTLED' ? coin(d.paid, d.denom) : '—']),
  { id: 'pool-dispatches-table', empty: 'No dispatches yet.' });

// outcome is a member's result in a dispatch or challenge.
export function outcome(a) {
  if (!a.settled) return 'Waiting';
  return a.responded ? html`<span class="outcome good">responded</span>` : html`<span class="outcome bad">missed</span>`;
}

// challengesTable lists challenges (VppDispatch with members): each
// member tested, with its result.
export const challengesTable = (challenges) => table('Challenge results',
  [num('Challenge'), 'Window', 'Battery', 'Direction', num('Asked'), num('Delivered'), 'Result'],
  challenges.flatMap((c) => c.members.map((a) => [link('dispatch', c.id, `#${c.id}`), when(c.start), link('device', a.device), direction(a.direction ?? c.direction),
    energy(a.allocatedWh), a.settled ? energy(a.deliveredWh) : '—', outcome(a)])),
  { id: 'pool-challenges-table', empty: 'No challenges yet: the chain tests a few members of each pool at random.' });

// dispatchDetails is a dispatch's terms, allocation and results.
export function dispatchDetails(d) {
  const settled = d.status === 'SETTLED';
  return kv([
    ['Kind', d.challenge ? 'A challenge: the chain\'s unannounced test of a few members (pays nothing, takes no stake)' : html`Dispatch by ${link('account', d.operator)}`],
    ['Pool', link('pool', d.pool, `#${d.pool}`)], ['Network', link('network', d.network)],
    ['Asked', `${direction(d.direction)} ${power(d.powerW)}`],
    ['Window', `${when(d.start)} – ${when(d.end)}${d.intervalSeconds ? `, intervals of ${amount(d.intervalSeconds / 60)} min` : ''}`],
    ['Status', d.settledHeight ? html`${dispatchStatus(d)} at block ${link('block', d.settledHeight, amount(d.settledHeight))}` : dispatchStatus(d)],
    ['Allocated', `${power(d.allocatedW)} (${energy(d.allocatedWh)}) to ${batteries(d.memberCount)}`],
    ...(d.challenge ? [] : [['Price', html`${coin(d.pricePerKwh, d.denom)} per kWh`], ['Cost', `${amount(d.credits)} service credits`]]),
    ...(settled ? [
      ['Delivered', `${energy(d.deliveredWh)} beyond a baseline of ${energy(d.baselineWh)}; ${amount(d.responded)} responded, ${amount(d.missed)} missed`],
      ...(d.challenge ? [] : [['Money', html`paid ${coin(d.paid, d.denom)}, refunded ${coin(d.refunded, d.denom)}`]]),
      ['Penalties', d.penalties === '0' ? 'None' : coin(d.penalties, 'udpin')],
    ] : [['Escrow', d.challenge ? 'None' : coin(d.escrow, d.denom)]]),
    ['Made at block', link('block', d.createdHeight, amount(d.createdHeight))],
  ]);
}

// allocationsTable lists a dispatch's members (VppAllocation).
export const allocationsTable = (members, denom) => table('Batteries',
  ['Battery', num('Asked'), num('Baseline'), num('Metered'), num('Delivered'), 'Result', num('Paid'), num('Penalty')],
  members.map((a) => [link('device', a.device), `${a.direction ? `${direction(a.direction)} ` : ''}${power(a.powerW)} (${energy(a.allocatedWh)})`, a.settled ? energy(a.baselineWh) : '—', a.settled ? energy(a.meteredWh) : '—',
    a.settled ? energy(a.deliveredWh) : '—', outcome(a), coin(a.paid, denom), a.penalty === '0' ? '—' : coin(a.penalty, 'udpin')]),
  { id: 'dispatch-members-table', empty: 'No battery was allocated a part.' });

// SERIES are the lines of a dispatch chart: [field, label, colour].
export const SERIES = [['requestedW', 'Asked', '#111827'], ['baselineW', 'Baseline', '#d97706'], ['meteredW', 'Metered', '#2563eb'], ['deliveredW', 'Delivered', '#059669']];

// dispatchSeries turns a series (VppPoint, intervals of every seconds)
// into a chart's x values (unix seconds) and lines in kW, each interval
// drawn as a step from its first second to its last (the chain meters
// whole intervals); lines with no values (baseline and delivered before
// settlement) are left out.
export function dispatchSeries(points, every) {
  const xs = points.flatMap((q) => { const t = Date.parse(q.start) / 1000; return [t, t + Math.max(1, every) - 1]; });
  const series = SERIES.filter(([f]) => points.some((q) => q[f] != null))
    .map(([f, label, colour]) => [`${label} (kW)`, colour, points.flatMap((q) => { const v = q[f] == null ? null : Number(q[f]) / 1000; return [v, v]; })]);
  return { xs, series };
}

// seriesSummary says in words what a dispatch chart shows.
export function seriesSummary(points, who) {
  if (!points.length) return 'No intervals.';
  const sum = (f) => points.reduce((n, q) => n + Number(q[f] ?? 0), 0);
  const mean = (f) => power(String(Math.round(sum(f) / points.length)));
  const settled = points.some((q) => q.deliveredW != null);
  return `${who}: ${plural(points.length, 'interval')}; asked ${mean('requestedW')} on average, metered ${mean('meteredW')}` +
    (settled ? `, baseline ${mean('baselineW')}, delivered ${mean('deliveredW')}.` : '; the baseline and what counts as delivered are known once it settles.');
}

// seriesTable lists a series' points.
export const seriesTable = (points) => table('Power per interval', ['Interval', num('Asked'), num('Baseline'), num('Metered'), num('Delivered')],
  points.map((q) => [when(q.start), power(q.requestedW), q.baselineW == null ? '—' : power(q.baselineW), power(q.meteredW), q.deliveredW == null ? '—' : power(q.deliveredW)]),
  { stack: false, empty: 'No intervals.' });

// supplySeries turns supply flows (SupplyFlow, oldest first) into a
// chart of what was minted and burned per epoch, in display units; the
// burns since the last rewarded epoch are one epoch on.
export function supplySeries(flows) {
  let last = 0;
  const xs = flows.map((f) => { last = f.epoch ?? last + 1; return last; });
  const val = (v) => Number(v) / 1e6;
  return { xs, series: [['Minted', '#2b8cbe', flows.map((f) => val(f.minted))], ['Burned', '#dc2626', flows.map((f) => val(f.burned))]] };
}

// supplySummary says what was minted and burned.
export function supplySummary(s) {
  const [m, unit] = tokens(s.minted, s.denom);
  const [b] = tokens(s.burned, s.denom);
  return `${m} ${unit} minted by the network's emission; ${b} ${unit} burned for ${amount(s.creditsMinted)} service credits (${amount(s.creditsSpent)} spent on dispatches).`;
}

// supplyTable lists the flows per epoch.
export const supplyTable = (s) => table('Minted and burned per epoch', [num('Epoch'), num('Minted'), num('Burned')],
  s.flows.map((f) => [f.epoch == null ? 'Since' : amount(f.epoch), coin(f.minted, s.denom), coin(f.burned, s.denom)]), { stack: false, empty: 'Nothing minted or burned yet.' });

// membershipDetails is a device's membership of a pool (VppMember).
export const membershipDetails = (m) => kv([
  ['Pool', link('pool', m.pool, `#${m.pool}`)], ['State', memberState(m)],
  ['Offers', `up to ${power(m.maxW)} (rated ${power(m.ratedW)}), never below ${pptText(m.minSocPpt)} charge; stores ${energy(m.energyWh)}`],
  ['Responses', `${amount(m.passed)} delivered, ${amount(m.failed)} missed`],
  ['Delivered', energy(m.deliveredWh)], ['Stake taken', m.penalties === '0' ? 'Nothing' : coin(m.penalties, 'udpin')],
]);
