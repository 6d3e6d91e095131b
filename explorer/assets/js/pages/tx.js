// One transaction: result, details and events.

import { html } from '../html.js';
import { amount } from '../format.js';
import { kv, link, section } from '../ui.js';
import { gql } from '../api.js';
import { notFound, ready, render } from '../page.js';

// attrValue shows an event attribute's value; addresses become links.
export function attrValue(v) {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  if (/^depindev1[02-9ac-hj-np-z]{20,}$/.test(s)) return link('device', s);
  if (/^depin1[02-9ac-hj-np-z]{38}$/.test(s)) return link('account', s);
  return html`<span class="mono">${s}</span>`;
}

// eventHtml shows one event; attributes that are not a JSON object are shown raw.
export function eventHtml(ev) {
  let attrs;
  try { attrs = Object.entries(JSON.parse(ev.attrs)); } catch { attrs = null; }
  return html`<li><h3>${ev.type}</h3>${attrs ? (attrs.length ? kv(attrs.map(([k, v]) => [k, attrValue(v)])) : html`<p>No attributes.</p>`) : html`<pre>${ev.attrs}</pre>`}</li>`;
}

const Q_TX = `query($h: String!) { tx(hash: $h) { hash height index signer code codespace log msgTypes size events { type attrs } } }`;

export async function pageTx(p, hash) {
  const t = (await gql(Q_TX, { h: hash })).tx;
  if (!p.alive) return;
  if (!t) return notFound(p, `There is no transaction “${hash}”.`);
  const ok = t.code === 0;
  render(html`<h1 tabindex="-1">Transaction</h1><p class="mono lead">${t.hash}</p>
      <p class="result ${ok ? 'ok' : 'fail'}">${ok ? '✓ Succeeded' : `✗ Failed: ${t.codespace ? `${t.codespace} ` : ''}code ${t.code}`}</p>
      ${t.log ? html`<pre class="log">${t.log}</pre>` : ''}
      ${section('tx-details', 'Details', kv([['Block', link('block', t.height, amount(t.height))], ['Position in block', t.index],
    ['Signer', link('account', t.signer)], ['Size', `${amount(t.size)} bytes`], ['Messages', t.msgTypes.length ? html`<ul class="plain">${t.msgTypes.map((m) => html`<li class="mono">${m}</li>`)}</ul>` : 'None']]))}
      ${section('tx-events', 'Events', t.events.length ? html`<ol class="events">${t.events.map(eventHtml)}</ol>` : html`<p class="empty">No events.</p>`)}`);
  ready(p, 'tx', 'Transaction');
}
