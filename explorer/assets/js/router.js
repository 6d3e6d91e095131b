// Hash routes: #/network/ID, #/device/ID, #/account/ADDR, #/blocks,
// #/block/H, #/tx/HASH, #/market/NET, #/deal/ID, #/compute/NET, #/job/ID,
// #/pool/ID, #/dispatch/ID,
// #/search?q=…, and #/ (home).

import { html } from './html.js';
import { GqlError } from './api.js';
import { $, enter, notFound, ready, render, showError } from './page.js';

// decode percent-decodes a route argument; malformed escapes stay as they are.
export function decode(s) { try { return decodeURIComponent(s); } catch { return s; } }

// parseHash splits a location hash into its path (no leading "#/", no
// trailing "/") and its query parameters.
export function parseHash(hash) {
  const h = String(hash ?? '').replace(/^#\/?/, '');
  const qi = h.indexOf('?');
  const path = (qi < 0 ? h : h.slice(0, qi)).replace(/\/$/, '');
  const params = new URLSearchParams(qi < 0 ? '' : h.slice(qi + 1));
  return { path, params };
}

// match finds the first of routes ([regexp, page], …) whose regexp matches
// path, and the page's decoded argument (its first group, or "").
export function match(routes, path) {
  const r = routes.find(([re]) => re.test(path));
  return r ? { page: r[1], arg: decode(path.match(r[0])[1] ?? '') } : null;
}

// router returns route(), which shows the page of location.hash.
export function router(routes) {
  const route = async () => {
    const p = enter();
    window.scrollTo(0, 0);
    const { path, params } = parseHash(location.hash);
    const m = match(routes, path);
    try {
      if (!m) return notFound(p, 'No such page', 'There is no page at this address.');
      await m.page(p, m.arg, params);
    } catch (e) {
      if (!p.alive) return;
      if (e instanceof GqlError) return notFound(p, 'Not found', e.message);
      render(html`<h1 tabindex="-1">Could not load this page</h1><p>${e.message}</p><p><button type="button" id="retry">Try again</button></p>`);
      $('#retry').addEventListener('click', route);
      showError(e.message);
      ready(p, 'error', 'Error');
    }
  };
  return route;
}
