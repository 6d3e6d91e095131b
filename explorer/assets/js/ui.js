// The explorer's HTML building blocks (links, tables, key–value lists,
// sections, network markers), built with html`…`. Pure: no DOM.

import { html } from './html.js';
import { href, tokens } from './format.js';

// coin: an amount of a denom in display units, with the unit; the base
// amount and denom are in its tooltip.
export function coin(v, denom) {
  const [n, unit] = tokens(v, denom);
  return html`<span title="${v} ${denom}">${n} <span class="denom">${unit}</span></span>`;
}

// link to the page of an id of a kind (see href), "—" for no id.
export const link = (kind, id, text = id) => (id === '' || id == null ? '—' : html`<a class="id" href="${href[kind](id)}" title="${id}">${text}</a>`);

// num('Label') is a numeric (right-aligned) table column.
export const num = (h) => ({ h, num: true });

// STACK_COLUMNS: tables with at least this many columns stack on a
// phone-sized screen (each row a card of "column: value" lines) instead
// of being cut off at the screen's edge.
export const STACK_COLUMNS = 4;

// table: a table inside a horizontally scrolling, labelled wrapper. On a
// narrow screen a table of STACK_COLUMNS or more columns stacks its rows
// (each cell carries its column's name in data-label), unless stack is
// false: grids of numbers to compare down a column keep their columns and
// scroll inside the wrapper.
export function table(label, cols, rows, { id = '', empty = 'None yet.', stack = cols.length >= STACK_COLUMNS } = {}) {
  const cls = cols.map((c) => (c.num ? 'num' : ''));
  const names = cols.map((c) => c.h ?? c);
  const body = rows.length
    ? rows.map((r) => html`<tr>${r.map((c, i) => html`<td class="${cls[i]}"${stack ? html` data-label="${names[i]}"` : ''}>${c}</td>`)}</tr>`)
    : html`<tr><td colspan="${cols.length}" class="empty">${empty}</td></tr>`;
  return html`<div class="scroll" tabindex="0" role="region" aria-label="${label}"><table${id ? html` id="${id}"` : ''}${stack ? html` class="stack"` : ''}>
      <caption class="sr">${label}</caption>
      <thead><tr>${names.map((n, i) => html`<th scope="col" class="${cls[i]}">${n}</th>`)}</tr></thead>
      <tbody>${body}</tbody></table></div>`;
}

export const kv = (pairs) => html`<dl class="kv">${pairs.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;

export const section = (id, title, body = '') => html`<section aria-labelledby="${id}-h"><h2 id="${id}-h">${title}</h2><div id="${id}">${body}</div></section>`;

// frozenBanner tells that a network is frozen (a block step failed; see
// docs/SECURITY.md), why, and how it comes back; nothing for a running one.
export function frozenBanner(n) {
  if (!n.frozen) return html``;
  return html`<div class="banner frozen" role="status">
      <p><strong>This network is frozen.</strong> One of its block steps failed${n.frozenReason ? html`: <span class="reason">${n.frozenReason}</span>` : ''}.
      Until it is resumed it takes no reports and its rewards, payments and market do not run; every other network goes on.</p>
      <p>Its owner can resume it (<code>depin tx network resume ${n.id}</code>).</p></div>`;
}

// frozenMarker follows a network's name in lists.
export const frozenMarker = (n) => (n.frozen ? html` <span class="tag frozen" title="${n.frozenReason || 'frozen'}">Frozen</span>` : html``);
