// Home: index status, networks, the device map and the latest blocks.

import { html } from '../html.js';
import { amount, plural, tokens, when, words } from '../format.js';
import { frozenMarker, link, num, section, table } from '../ui.js';
import { gql } from '../api.js';
import { $, ready, render, setHeight, update } from '../page.js';
import { hexMap, mapShell } from '../map.js';

const Q_HOME = `{ status { height chainHeight lag } networks { id class devices rewardDenom frozen frozenReason }
    blocks(first: 10) { edges { node { height time txs } } } }`;

export const statusLine = (s) => `Indexed to block ${amount(s.height)} of ${amount(s.chainHeight)} — ${s.lag === 0 ? 'in sync' : `${plural(s.lag, 'block')} behind`}.`;
export const networksTable = (ns) => table('Networks', ['Network', 'Class', num('Devices'), 'Reward token'],
  ns.map((n) => [html`${link('network', n.id)}${frozenMarker(n)}`, words(n.class), amount(n.devices), html`${tokens(0, n.rewardDenom)[1]} <span class="mono dim">(${n.rewardDenom})</span>`]), { empty: 'No networks yet.' });
const latestTable = (bs) => table('Latest blocks', [num('Height'), 'Time', num('Transactions')],
  bs.map((b) => [link('block', b.height, amount(b.height)), when(b.time), amount(b.txs)]), { empty: 'No blocks yet.' });

export async function pageHome(p) {
  const d = await gql(Q_HOME);
  if (!p.alive) return;
  const blocks = d.blocks.edges.map((e) => e.node);
  render(html`<h1 tabindex="-1">depin explorer</h1>
      <p id="status" class="status">${statusLine(d.status)}</p>
      ${section('networks', 'Networks', networksTable(d.networks))}
      <section aria-labelledby="map-h"><h2 id="map-h">Device map</h2>${mapShell('home-map', d.networks)}</section>
      ${section('latest', 'Latest blocks', latestTable(blocks))}
      <p><a href="#/blocks">All blocks</a></p>`);
  setHeight(d.status.height);
  const m = hexMap(p, 'home-map');
  p.onBlock = (b) => {
    if (blocks.length && b.height <= blocks[0].height) return;
    blocks.unshift(b);
    blocks.length = Math.min(blocks.length, 10);
    update($('#latest'), latestTable(blocks));
  };
  p.refresh = async () => {
    const r = await gql('{ status { height chainHeight lag } networks { id class devices rewardDenom frozen frozenReason } }');
    if (!p.alive) return;
    update($('#status'), statusLine(r.status));
    update($('#networks'), networksTable(r.networks));
  };
  await m.ready;
  ready(p, 'home', 'Home');
}
