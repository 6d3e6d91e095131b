// An account: unclaimed rewards, balances, devices, device shares,
// agreements, storage deals it owns, compute jobs it submitted, virtual
// power plants it operates, reward claims and recent transactions.

import { html } from '../html.js';
import { amount, msgSummary, plural, shareOf, tokens, words } from '../format.js';
import { coin, link, num, section, table } from '../ui.js';
import { gql, orNull } from '../api.js';
import { $, notFound, ready, render, update } from '../page.js';
import { agreementsTable } from './device.js';
import { dealsTable } from '../storage.js';
import { jobsTable } from '../compute.js';
import { poolsTable } from '../vpp.js';

const Q_ACCOUNT = `query($a: String!) {
    account(address: $a) { address balances { denom amount } devices { id network model status reportsAccepted }
      shares { device amount total } txs(last: 20) { hash height code msgTypes } }
    agreements(consumer: $a, last: 20) { id device denom escrow paid unitsPaid refunded status reason openedHeight }
    claims(owner: $a, last: 20) { height denom amount kind device }
    deals(owner: $a, first: 20) { totalCount edges { node { id owner network size pieceCount livePieces status closeReason escrow paid denom end } } }
    jobs(consumer: $a, first: 20) { totalCount edges { node { id consumer network taskCount verified failed running status escrow paid denom submitted } } }
    pools(operator: $a, first: 20) { totalCount edges { node { id name network operator status memberCount maxW pricePerKwh denom dispatchCount deliveredWh } } } }`;
// Read from the chain by the API (the index cannot know it), so asked
// apart: when the chain cannot be read, the rest of the page still shows.
const Q_UNCLAIMED = `query($a: String!) { account(address: $a) { deviceCount unclaimed { device network denom amount tokenized } } }`;

const txTable = (label, txs) => table(label, ['Transaction', num('Block'), 'Result', 'Messages'],
  txs.map((t) => [link('tx', t.hash), link('block', t.height, amount(t.height)), t.code === 0 ? 'Success' : `Failed (code ${t.code})`, msgSummary(t.msgTypes)]),
  { empty: 'No transactions.' });

// unclaimedTotals sums the owner's unclaimed rewards per denom, exactly
// (amounts may exceed 2^53), in denom order; tokenized devices' rewards
// are their share holders' and are left out.
export function unclaimedTotals(rows) {
  const sums = new Map();
  for (const r of rows) {
    if (r.tokenized) continue;
    sums.set(r.denom, (sums.get(r.denom) ?? 0n) + BigInt(r.amount));
  }
  return [...sums].filter(([, v]) => v > 0n).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([denom, v]) => ({ denom, amount: String(v) }));
}

// unclaimedHtml shows the account's unclaimed rewards: the total in
// display units, then per device; u is account { deviceCount unclaimed }.
export function unclaimedHtml(address, u) {
  const rows = u.unclaimed;
  if (!rows.length) return html`<p class="empty">No devices, so no rewards to claim.</p>`;
  const totals = unclaimedTotals(rows);
  const more = u.deviceCount - rows.length;
  const list = (cs) => cs.map((c, i) => html`${i === 0 ? '' : i === cs.length - 1 ? ' and ' : ', '}<strong>${coin(c.amount, c.denom)}</strong>`);
  const first = more > 0 ? ` from the first ${plural(rows.length, 'device')}` : '';
  return html`<p id="unclaimed-total">${totals.length ? html`To claim${first}: ${list(totals)}. Claim with <code>depin tx reward claim --from ${address}</code>.`
    : `Nothing to claim${first}.`}</p>
    ${table('Unclaimed rewards per device', ['Device', 'Network', num('Unclaimed')],
    rows.map((r) => [link('device', r.device), link('network', r.network),
      r.tokenized ? html`${coin(r.amount, r.denom)} <span class="dim">(its share holders’)</span>` : coin(r.amount, r.denom)]), { id: 'unclaimed-devices' })}
    ${more > 0 ? html`<p>… and ${plural(more, 'more device')}.</p>` : ''}`;
}

const accountHtml = (d) => html`
    ${section('acct-balances', 'Balances', table('Balances', ['Token', num('Amount'), 'Denom'], d.account.balances.map((b) => [tokens(b.amount, b.denom)[1], tokens(b.amount, b.denom)[0], html`<span class="mono">${b.denom}</span>`]), { id: 'balances', empty: 'No balances.' }))}
    ${section('acct-devices', 'Devices owned', table('Devices owned', ['Device', 'Network', 'Model', 'Status', num('Reports accepted')],
    d.account.devices.map((v) => [link('device', v.id), link('network', v.network), v.model, words(v.status), amount(v.reportsAccepted)]), { empty: 'No devices.' }))}
    ${section('acct-shares', 'Device shares held', table('Device shares held', ['Device', num('Shares held'), num('Total shares'), num('Share')],
    d.account.shares.map((s) => [link('device', s.device), amount(s.amount), amount(s.total), shareOf(s.amount, s.total)]), { empty: 'No shares.' }))}
    ${section('acct-agreements', 'Agreements as consumer', agreementsTable('Agreements as consumer', d.agreements, 'device'))}
    ${section('acct-deals', 'Storage deals', html`${dealsTable('Storage deals owned', d.deals.edges.map((e) => e.node), { owner: false })}
      ${d.deals.totalCount > d.deals.edges.length ? html`<p>The ${amount(d.deals.edges.length)} newest of ${plural(d.deals.totalCount, 'deal')}.</p>` : ''}`)}
    ${section('acct-jobs', 'Compute jobs', html`${jobsTable('Compute jobs submitted', d.jobs.edges.map((e) => e.node), { consumer: false })}
      ${d.jobs.totalCount > d.jobs.edges.length ? html`<p>The ${amount(d.jobs.edges.length)} newest of ${plural(d.jobs.totalCount, 'job')}.</p>` : ''}`)}
    ${d.pools.totalCount ? section('acct-pools', 'Virtual power plants operated', html`${poolsTable('Virtual power plants operated', d.pools.edges.map((e) => e.node), { operator: false })}
      ${d.pools.totalCount > d.pools.edges.length ? html`<p>The ${amount(d.pools.edges.length)} newest of ${plural(d.pools.totalCount, 'pool')}.</p>` : ''}`) : ''}
    ${section('acct-claims', 'Reward claims', table('Reward claims', [num('Block'), 'Kind', 'Device', num('Amount')],
    d.claims.map((c) => [link('block', c.height, amount(c.height)), words(c.kind.toUpperCase()), link('device', c.device), coin(c.amount, c.denom)]), { empty: 'No claims.' }))}
    ${section('acct-txs', 'Recent transactions', txTable('Recent transactions', d.account.txs))}`;

// seen: the account holds, owns or did something the index knows of.
const seen = (d) => d.account.balances.length || d.account.devices.length || d.account.shares.length || d.account.txs.length || d.agreements.length || d.claims.length ||
  d.deals.totalCount || d.jobs.totalCount || d.pools.totalCount;

async function fillUnclaimed(p, addr) {
  let body;
  try {
    body = unclaimedHtml(addr, (await gql(Q_UNCLAIMED, { a: addr })).account);
  } catch (e) {
    body = html`<p class="empty">Could not read the unclaimed rewards from the chain: ${e.message}</p>`;
  }
  if (p.alive) update($('#acct-unclaimed'), body);
}

export async function pageAccount(p, addr) {
  const d = await orNull(Q_ACCOUNT, { a: addr });
  if (!p.alive) return;
  if (!d || !seen(d)) {
    return notFound(p, 'No such account', d ? html`No account <span class="mono">${addr}</span> has been seen on this chain: it holds nothing, owns no device and has signed no transaction.`
      : html`<span class="mono">${addr}</span> is not an account address: addresses start with <span class="mono">depin1</span>.`);
  }
  render(html`<h1 tabindex="-1">Account</h1><p class="mono lead">${d.account.address}</p>
      ${section('acct-unclaimed', 'Unclaimed rewards', html`<p class="loading">Reading the chain…</p>`)}<div id="acct"></div>`);
  update($('#acct'), accountHtml(d));
  fillUnclaimed(p, addr); // the chain may answer later than the index
  p.refresh = async () => {
    const r = await gql(Q_ACCOUNT, { a: addr });
    if (p.alive) update($('#acct'), accountHtml(r));
    await fillUnclaimed(p, addr);
  };
  ready(p, 'account', `Account ${addr}`);
}
