// An account: balances, devices, device shares, agreements, reward claims
// and recent transactions.

import { html } from '../html.js';
import { amount, msgSummary, shareOf, tokens, words } from '../format.js';
import { coin, link, num, section, table } from '../ui.js';
import { gql } from '../api.js';
import { $, ready, render, update } from '../page.js';
import { agreementsTable } from './device.js';

const Q_ACCOUNT = `query($a: String!) {
    account(address: $a) { address balances { denom amount } devices { id network model status reportsAccepted }
      shares { device amount total } txs(last: 20) { hash height code msgTypes } }
    agreements(consumer: $a, last: 20) { id device denom escrow paid unitsPaid refunded status reason openedHeight }
    claims(owner: $a, last: 20) { height denom amount kind device } }`;

const txTable = (label, txs) => table(label, ['Transaction', num('Block'), 'Result', 'Messages'],
  txs.map((t) => [link('tx', t.hash), link('block', t.height, amount(t.height)), t.code === 0 ? 'Success' : `Failed (code ${t.code})`, msgSummary(t.msgTypes)]),
  { empty: 'No transactions.' });

const accountHtml = (d) => html`
    ${section('acct-balances', 'Balances', table('Balances', ['Token', num('Amount'), 'Denom'], d.account.balances.map((b) => [tokens(b.amount, b.denom)[1], tokens(b.amount, b.denom)[0], html`<span class="mono">${b.denom}</span>`]), { id: 'balances', empty: 'No balances.' }))}
    ${section('acct-devices', 'Devices owned', table('Devices owned', ['Device', 'Network', 'Model', 'Status', num('Reports accepted')],
    d.account.devices.map((v) => [link('device', v.id), link('network', v.network), v.model, words(v.status), amount(v.reportsAccepted)]), { empty: 'No devices.' }))}
    ${section('acct-shares', 'Device shares held', table('Device shares held', ['Device', num('Shares held'), num('Total shares'), num('Share')],
    d.account.shares.map((s) => [link('device', s.device), amount(s.amount), amount(s.total), shareOf(s.amount, s.total)]), { empty: 'No shares.' }))}
    ${section('acct-agreements', 'Agreements as consumer', agreementsTable('Agreements as consumer', d.agreements, 'device'))}
    ${section('acct-claims', 'Reward claims', table('Reward claims', [num('Block'), 'Kind', 'Device', num('Amount')],
    d.claims.map((c) => [link('block', c.height, amount(c.height)), words(c.kind.toUpperCase()), link('device', c.device), coin(c.amount, c.denom)]), { empty: 'No claims.' }))}
    ${section('acct-txs', 'Recent transactions', txTable('Recent transactions', d.account.txs))}`;

export async function pageAccount(p, addr) {
  const d = await gql(Q_ACCOUNT, { a: addr });
  if (!p.alive) return;
  render(html`<h1 tabindex="-1">Account</h1><p class="mono lead">${d.account.address}</p><div id="acct"></div>`);
  update($('#acct'), accountHtml(d));
  p.refresh = async () => {
    const r = await gql(Q_ACCOUNT, { a: addr });
    if (p.alive) update($('#acct'), accountHtml(r));
  };
  ready(p, 'account', `Account ${addr}`);
}
