// The page being shown: one Page per navigation owns its maps, charts,
// timers and live refresh, and the helpers that render into <main>.

import { html } from './html.js';
import { amount } from './format.js';

export const $ = (sel, root = document) => root.querySelector(sel);
const main = () => document.getElementById('main');

// The alert box above <main> shows errors until dismissed or the next success.
export function showError(msg) {
  const box = $('#alert');
  box.innerHTML = html`<p>${msg} <button type="button">Dismiss</button></p>`;
  $('button', box).addEventListener('click', clearError);
}
export function clearError() { $('#alert').textContent = ''; }

export class Page {
  constructor() { this.alive = true; this.cleanups = []; this.charts = new Map(); this.maps = []; this.refresh = null; this.busy = false; this.onBlock = null; }
  onLeave(fn) { this.cleanups.push(fn); }
  leave() {
    this.alive = false;
    this.charts.forEach((c) => c.u.destroy());
    this.cleanups.forEach((fn) => fn());
  }
  async runRefresh() {
    if (!this.refresh || this.busy || !this.alive) return;
    this.busy = true;
    try {
      await this.refresh();
      if (this.alive) clearError();
    } catch (e) {
      if (this.alive) showError(`Live update failed: ${e.message}`);
    } finally {
      this.busy = false;
    }
  }
}

// current is the page shown (null before the first route).
export let current = null;
let firstRoute = true;

// enter leaves the current page and starts a new one, showing "Loading…".
export function enter() {
  current?.leave();
  const p = (current = new Page());
  clearError();
  const m = main();
  m.dataset.loaded = 'false';
  m.dataset.page = '';
  m.innerHTML = '<p class="loading">Loading…</p>';
  return p;
}

// render replaces <main>'s content.
export function render(content) { main().innerHTML = String(content); }

// ready marks the page rendered (main#main[data-page][data-loaded="true"]
// is the browser test's hook) and moves focus to its heading after a
// navigation, so screen readers announce it.
export function ready(p, name, title) {
  if (!p.alive) return;
  const m = main();
  document.title = `${title} · depin explorer`;
  m.dataset.page = name;
  m.dataset.loaded = 'true';
  if (!firstRoute) $('h1', m)?.focus();
  firstRoute = false;
}

// notFound says that what the address names does not exist: a title
// ("No such device"), why (text or html``), and where to go instead.
export function notFound(p, title, why = '') {
  render(html`<h1 tabindex="-1">${title}</h1>${why ? html`<p class="lead">${why}</p>` : ''}
      <p>Check the address, or type what you are looking for into the search box: an account (<span class="mono">depin1…</span>),
        a device (<span class="mono">depindev1…</span>), a transaction hash, a block height or a network id.</p>
      <p><a href="#/">Go to the home page</a></p>`);
  ready(p, 'notfound', title);
}

// Live refreshes re-render sections: update skips unchanged ones and keeps
// keyboard focus on the same link or button when one does change.
const rendered = new WeakMap();
export function update(el, content) {
  const s = String(content);
  if (!el || rendered.get(el) === s) return;
  const f = el.contains(document.activeElement) ? document.activeElement : null;
  const sel = f?.getAttribute('href') ? `[href="${CSS.escape(f.getAttribute('href'))}"]` : f?.dataset.go ? `[data-go="${f.dataset.go}"]` : null;
  el.innerHTML = s;
  rendered.set(el, s);
  if (sel) el.querySelector(sel)?.focus();
}

// The header's indexed height and live state.
export const setHeight = (h) => { $('#height').textContent = `Height ${amount(h)}`; };
export function setLiveState(s) {
  const el = $('#live-state');
  el.textContent = s;
  el.dataset.state = s;
}
