// A "Previous page / Next page" list over a Relay connection.

import { html } from './html.js';
import { amount } from './format.js';
import { $, update, showError } from './page.js';

// pager renders pages of size rows into el: fetchPage(after) returns a
// connection, render(connection) its table. Returns show(), which
// (re)loads the current page.
export function pager(p, el, size, fetchPage, render) {
  const cursors = [null];
  let i = 0;
  const show = async () => {
    const conn = await fetchPage(cursors[i]);
    if (!p.alive) return;
    cursors[i + 1] = conn.pageInfo.endCursor;
    const first = i * size + 1;
    update(el, html`${render(conn)}<nav class="pager" aria-label="Pages">
        ${conn.edges.length ? html`<span>${amount(first)}–${amount(first + conn.edges.length - 1)} of ${amount(conn.totalCount)}</span>` : ''}
        <button type="button" data-go="prev" ${i === 0 ? html`disabled` : ''}>Previous page</button>
        <button type="button" data-go="next" ${conn.pageInfo.hasNextPage ? '' : html`disabled`}>Next page</button></nav>`);
    if (document.activeElement === document.body && el.dataset.paging) $('[data-go]:not([disabled])', el)?.focus();
    delete el.dataset.paging;
  };
  el.addEventListener('click', (e) => {
    const go = e.target.closest('[data-go]')?.dataset.go;
    if (!go) return;
    const before = i;
    i += go === 'next' ? 1 : -1;
    el.dataset.paging = 'true';
    show().catch((err) => { i = before; if (p.alive) showError(err.message); });
  });
  return show;
}
