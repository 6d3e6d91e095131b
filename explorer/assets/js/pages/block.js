// One block and its transactions.

import { html } from '../html.js';
import { amount, href, msgSummary, when } from '../format.js';
import { kv, link, num, section, table } from '../ui.js';
import { gql } from '../api.js';
import { notFound, ready, render } from '../page.js';

const Q_BLOCK = `query($h: Int!) { block(height: $h) { height time hash txs events proposer
    transactions { hash index signer code msgTypes } } }`;

export async function pageBlock(p, h) {
  if (!/^\d{1,15}$/.test(h)) return notFound(p, 'No such block', `“${h}” is not a block height: heights are whole numbers.`);
  const height = Number(h);
  const b = (await gql(Q_BLOCK, { h: height })).block;
  if (!p.alive) return;
  if (!b) return notFound(p, 'No such block', `Block ${amount(h)} has not been indexed (yet).`);
  render(html`<h1 tabindex="-1">Block ${amount(b.height)}</h1>
      <nav class="prevnext" aria-label="Neighbouring blocks">${b.height > 1 ? html`<a href="${href.block(b.height - 1)}">← Block ${amount(b.height - 1)}</a>` : ''}
        <a href="${href.block(b.height + 1)}">Block ${amount(b.height + 1)} →</a></nav>
      ${section('block-details', 'Details', kv([['Time', when(b.time)], ['Hash', html`<span class="mono">${b.hash}</span>`],
    ['Proposer', html`<span class="mono">${b.proposer}</span>`], ['Transactions', amount(b.txs)], ['Events', amount(b.events)]]))}
      ${section('block-txs', 'Transactions', table('Transactions in this block', [num('#'), 'Transaction', 'Signer', 'Result', 'Messages'],
    b.transactions.map((t) => [t.index, link('tx', t.hash), link('account', t.signer), t.code === 0 ? 'Success' : `Failed (code ${t.code})`, msgSummary(t.msgTypes)]),
    { empty: 'No transactions.' }))}`);
  ready(p, 'block', `Block ${b.height}`);
}
