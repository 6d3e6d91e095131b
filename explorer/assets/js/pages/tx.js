// One transaction: result, details and events.

import { html } from '../html.js';
import { amount, words } from '../format.js';
import { kv, link, section } from '../ui.js';
import { coinsText, eventName, eventSentence } from '../events.js';
import { orNull } from '../api.js';
import { notFound, ready, render } from '../page.js';

// attrValue shows an event attribute's value: addresses become links,
// coin lists display units, enum names words.
export function attrValue(v, key = '') {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  if (/^depindev1[02-9ac-hj-np-z]{20,}$/.test(s)) return link('device', s);
  if (/^depin1[02-9ac-hj-np-z]{38}$/.test(s)) return link('account', s);
  if (key === 'amount' && s.startsWith('[')) return coinsText(s);
  if (/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(s)) return words(s);
  return html`<span class="mono">${s}</span>`;
}

// fieldName: "finder_fee" → "finder fee".
const fieldName = (k) => k.replace(/_/g, ' ');

// eventHtml shows one event: a sentence saying what happened (when there
// is one), then its fields; attributes that are not a JSON object are
// shown raw.
export function eventHtml(ev) {
  let obj = null;
  try { obj = JSON.parse(ev.attrs); } catch { obj = null; }
  const attrs = obj && typeof obj === 'object' ? Object.entries(obj) : null;
  const sentence = eventSentence(ev.type, obj);
  return html`<li><h3>${sentence ? html`<span class="sentence">${sentence}</span>` : eventName(ev.type)}</h3>
    <details${sentence ? '' : ' open'}><summary>${ev.type}</summary>
    ${attrs ? (attrs.length ? kv(attrs.map(([k, v]) => [fieldName(k), attrValue(v, k)])) : html`<p>No attributes.</p>`) : html`<pre>${ev.attrs}</pre>`}</details></li>`;
}

// messageName: "depin.bank.v1.MsgSend" → "Send".
const messageName = (t) => String(t).split('.').pop().replace(/^Msg/, '').replace(/([a-z])([A-Z])/g, '$1 $2');

const Q_TX = `query($h: String!) { tx(hash: $h) { hash height index signer code codespace log msgTypes size events { type attrs } } }`;

export async function pageTx(p, hash) {
  const t = (await orNull(Q_TX, { h: hash }))?.tx;
  if (!p.alive) return;
  if (!t) return notFound(p, 'No such transaction', /^[0-9a-fA-F]{64}$/.test(hash)
    ? html`No transaction with the hash <span class="mono">${hash}</span> has been indexed (yet).`
    : html`<span class="mono">${hash}</span> is not a transaction hash: hashes are 64 hexadecimal digits.`);
  const ok = t.code === 0;
  render(html`<h1 tabindex="-1">Transaction</h1><p class="mono lead">${t.hash}</p>
      <p class="result ${ok ? 'ok' : 'fail'}">${ok ? '✓ Succeeded' : `✗ Failed: ${t.codespace ? `${t.codespace} ` : ''}code ${t.code}`}</p>
      ${t.log ? html`<pre class="log">${t.log}</pre>` : ''}
      ${section('tx-details', 'Details', kv([['Block', link('block', t.height, amount(t.height))], ['Position in block', t.index],
    ['Signer', link('account', t.signer)], ['Size', `${amount(t.size)} bytes`], ['Messages', t.msgTypes.length ? html`<ul class="plain">${t.msgTypes.map((m) => html`<li>${messageName(m)} <span class="mono dim">${m}</span></li>`)}</ul>` : 'None']]))}
      ${section('tx-events', 'What happened', t.events.length ? html`<ol class="events">${t.events.map(eventHtml)}</ol>` : html`<p class="empty">No events.</p>`)}`);
  ready(p, 'tx', 'Transaction');
}
