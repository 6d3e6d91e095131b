// The list of blocks, newest first, a page at a time.

import { html } from '../html.js';
import { amount, when } from '../format.js';
import { link, num, table } from '../ui.js';
import { gql } from '../api.js';
import { $, ready, render } from '../page.js';
import { pager } from '../pager.js';

const Q_BLOCKS = `query($after: String) { blocks(first: 20, after: $after) {
    totalCount edges { node { height time hash txs events } } pageInfo { hasNextPage endCursor } } }`;

export async function pageBlocks(p) {
  render(html`<h1 tabindex="-1">Blocks</h1><div id="blocks"></div>`);
  const show = pager(p, $('#blocks'), 20, async (after) => (await gql(Q_BLOCKS, { after })).blocks,
    (c) => table('Blocks, newest first', [num('Height'), 'Time', num('Transactions'), num('Events'), 'Hash'],
      c.edges.map(({ node: b }) => [link('block', b.height, amount(b.height)), when(b.time), amount(b.txs), amount(b.events), html`<span class="id mono" title="${b.hash}">${b.hash}</span>`]),
      { empty: 'No blocks yet.' }));
  await show();
  p.refresh = show;
  ready(p, 'blocks', 'Blocks');
}
