// Search results; a single hit opens its page at once.

import { html } from '../html.js';
import { href } from '../format.js';
import { gql } from '../api.js';
import { $, ready, render } from '../page.js';

// hitHref is the page of a search hit, undefined for a kind with no page.
export const hitHref = (h) => (Object.hasOwn(href, h.kind) ? href[h.kind](h.id) : undefined);

export async function pageSearch(p, _, params) {
  const q = (params.get('q') ?? '').trim();
  $('#q').value = q;
  const hits = q ? (await gql('query($q: String!) { search(q: $q) { kind id label } }', { q })).search : [];
  if (!p.alive) return;
  const found = hits.filter(hitHref);
  if (found.length === 1) { location.replace(hitHref(found[0])); return; }
  render(html`<h1 tabindex="-1">Search</h1>${!q ? html`<p>Type an address, device id, transaction hash, block height or network id into the search box.</p>`
    : found.length ? html`<p>${found.length} results for “${q}”:</p><ul class="hits">${found.map((h) => html`<li><span class="kind">${h.kind}</span> <a href="${hitHref(h)}">${h.label || h.id}</a></li>`)}</ul>`
      : html`<p>Nothing found for “${q}”.</p>`}`);
  ready(p, 'search', `Search ${q}`);
}
