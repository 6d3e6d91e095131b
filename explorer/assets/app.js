// depin explorer: a hash-routed single page over the indexer's GraphQL API
// and its /live server-sent events. No build step; Leaflet, topojson and
// uPlot are vendored globals.
'use strict';

(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const main = $('#main');
  const alertBox = $('#alert');
  const enc = encodeURIComponent;

  // ---- HTML building: html`…` escapes every interpolated value unless it
  // is itself html`…`, so text from the API can never become markup.
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  class Html { constructor(s) { this.s = s; } toString() { return this.s; } }
  const part = (v) => (v instanceof Html ? v.s : Array.isArray(v) ? v.map(part).join('') : v == null || v === false ? '' : esc(v));
  const html = (strings, ...vals) => new Html(strings.reduce((out, s, i) => out + part(vals[i - 1]) + s));

  // ---- formatting. Amounts are decimal strings that may exceed 2^53.
  function amount(v) {
    const m = /^(-?)(\d+)(\.\d+)?$/.exec(String(v ?? ''));
    return m ? m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (m[3] || '') : String(v ?? '');
  }
  const coin = (v, denom) => html`${amount(v)} <span class="denom">${denom}</span>`;
  const plural = (n, word) => `${amount(n)} ${word}${n === 1 ? '' : 's'}`;
  const pct = (ppm) => `${(ppm / 1e4).toFixed(1)} %`;
  const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
  function when(t) {
    const d = new Date(t);
    return Number.isNaN(d.getTime()) ? String(t) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  }

  const href = {
    block: (h) => `#/block/${enc(h)}`,
    tx: (h) => `#/tx/${enc(h)}`,
    account: (a) => `#/account/${enc(a)}`,
    device: (id) => `#/device/${enc(id)}`,
    network: (id) => `#/network/${enc(id)}`,
    market: (id) => `#/market/${enc(id)}`,
  };
  const link = (kind, id, text = id) => (id === '' || id == null ? '—' : html`<a class="id" href="${href[kind](id)}" title="${id}">${text}</a>`);

  // A table inside a horizontally scrolling wrapper. Columns given as
  // num('Label') are numeric (right-aligned).
  const num = (h) => ({ h, num: true });
  function table(label, cols, rows, { id = '', empty = 'None yet.' } = {}) {
    const cls = cols.map((c) => (c.num ? 'num' : ''));
    const body = rows.length
      ? rows.map((r) => html`<tr>${r.map((c, i) => html`<td class="${cls[i]}">${c}</td>`)}</tr>`)
      : html`<tr><td colspan="${cols.length}" class="empty">${empty}</td></tr>`;
    return html`<div class="scroll" tabindex="0" role="region" aria-label="${label}"><table${id ? html` id="${id}"` : ''}>
      <caption class="sr">${label}</caption>
      <thead><tr>${cols.map((c, i) => html`<th scope="col" class="${cls[i]}">${c.h ?? c}</th>`)}</tr></thead>
      <tbody>${body}</tbody></table></div>`;
  }
  const kv = (pairs) => html`<dl class="kv">${pairs.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
  const section = (id, title, body = '') => html`<section aria-labelledby="${id}-h"><h2 id="${id}-h">${title}</h2><div id="${id}">${body}</div></section>`;

  // Live refreshes re-render sections; skip unchanged ones and keep keyboard
  // focus on the same link or button when one does change.
  const rendered = new WeakMap();
  function update(el, content) {
    const s = String(content);
    if (!el || rendered.get(el) === s) return;
    const f = el.contains(document.activeElement) ? document.activeElement : null;
    const sel = f?.getAttribute('href') ? `[href="${CSS.escape(f.getAttribute('href'))}"]` : f?.dataset.go ? `[data-go="${f.dataset.go}"]` : null;
    el.innerHTML = s;
    rendered.set(el, s);
    if (sel) el.querySelector(sel)?.focus();
  }

  // ---- errors and the API
  class GqlError extends Error {}
  function showError(msg) {
    alertBox.innerHTML = html`<p>${msg} <button type="button">Dismiss</button></p>`;
    $('button', alertBox).addEventListener('click', clearError);
  }
  function clearError() { alertBox.textContent = ''; }

  async function gql(query, variables = {}) {
    let res;
    try {
      res = await fetch('/graphql', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    } catch (e) {
      throw new Error(`Cannot reach the server (${e.message}).`);
    }
    const body = await res.json().catch(() => null);
    if (body?.errors?.length) throw new GqlError(body.errors.map((e) => e.message).join('; '));
    if (!res.ok || !body?.data) throw new Error(`The server answered ${res.status} ${res.statusText}.`);
    return body.data;
  }

  const debounce = (fn, ms) => { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; };
  // Runs fn at most once per ms, trailing: calls in between collapse into one.
  function throttle(fn, ms) {
    let last = 0, timer = null;
    return () => {
      if (timer) return;
      timer = setTimeout(() => { timer = null; last = Date.now(); fn(); }, Math.max(0, last + ms - Date.now()));
    };
  }

  // ---- pages: one Page per navigation owns its maps, charts and timers.
  class Page {
    constructor() { this.alive = true; this.cleanups = []; this.charts = new Map(); this.maps = []; this.refresh = null; this.busy = false; }
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
  let page = null;
  let firstRoute = true;

  function ready(p, name, title) {
    if (!p.alive) return;
    document.title = `${title} · depin explorer`;
    main.dataset.page = name;
    main.dataset.loaded = 'true';
    if (!firstRoute) $('h1', main)?.focus();
    firstRoute = false;
  }
  function notFound(p, msg) {
    main.innerHTML = html`<h1 tabindex="-1">Not found</h1><p>${msg}</p><p><a href="#/">Go to the home page</a></p>`;
    ready(p, 'notfound', 'Not found');
  }

  // Message types of a transaction, repeats folded: "RegisterDevice ×12".
  function msgSummary(types) {
    const runs = [];
    for (const t of types) {
      const last = runs[runs.length - 1];
      if (last && last[0] === t) last[1]++;
      else runs.push([t, 1]);
    }
    return runs.map(([t, n]) => (n > 1 ? `${t} ×${n}` : t)).join(', ');
  }

  // ---- charts (uPlot) with a text alternative
  function figure(id, label, summary, data = '') {
    return html`<figure class="fig"><div id="${id}" class="chart" role="img" aria-label="${label}"></div>
      <figcaption>${summary}</figcaption>
      ${data ? html`<details><summary>The data as a table</summary>${data}</details>` : ''}</figure>`;
  }
  const barPaths = uPlot.paths.bars({ size: [0.7, 48] });
  // series: [[label, colour, values], …] over xs (ascending).
  function chart(p, id, xLabel, xs, series, bars = false) {
    const el = document.getElementById(id);
    const sig = JSON.stringify([xs, series]);
    const old = p.charts.get(id);
    if (!el || (old && old.sig === sig && old.el === el && el.isConnected)) return;
    old?.u.destroy();
    const step = xs.slice(1).reduce((m, x, i) => Math.min(m, x - xs[i]), Infinity);
    const pad = bars ? (Number.isFinite(step) ? step : 1) / 2 : 0;
    const axis = { stroke: '#333', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#d1d5db' } };
    const u = new uPlot({
      width: el.clientWidth || 320,
      height: 220,
      scales: {
        // One point: a fixed window around it (uPlot's own single-value
        // range would start the axis at 0).
        x: xs.length === 1 ? { time: false, auto: false, min: xs[0] - 1, max: xs[0] + 1 }
          : { time: false, range: (_, lo, hi) => (lo === hi ? [lo - 1, hi + 1] : [lo - pad, hi + pad]) },
        y: { range: (_, lo, hi) => [Math.min(0, lo), hi > 0 ? hi * 1.08 : 1] }, // from zero: bar heights must compare honestly
      },
      // x is a count (block, epoch, interval): whole-number ticks only.
      axes: [{ ...axis, label: xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7],
        values: (_, ticks) => ticks.map((v) => String(v)) }, { ...axis, size: 64, values: (_, ticks) => ticks.map((v) => compact.format(v)) }],
      series: [{ label: xLabel }, ...series.map(([label, colour]) => ({
        label, stroke: colour, width: 2, fill: bars ? `${colour}bb` : undefined, paths: bars ? barPaths : undefined, points: { show: !bars && xs.length < 60 },
      }))],
    }, [xs, ...series.map((s) => s[2])], el);
    p.charts.set(id, { u, el, sig });
  }
  window.addEventListener('resize', debounce(() => page?.charts.forEach(({ u, el }) => u.setSize({ width: el.clientWidth, height: 220 })), 150));

  // ---- maps (Leaflet, no tiles: the basemap is Natural Earth countries)
  const landCache = {};
  function countries(scale) {
    landCache[scale] ??= fetch(`/assets/vendor/world-atlas/countries-${scale}.json`)
      .then((r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); return r.json(); })
      .then((topo) => {
        const geo = topojson.feature(topo, topo.objects.countries);
        geo.features.forEach(({ geometry: g }) => {
          if (g?.type === 'Polygon') g.coordinates = g.coordinates.map((r) => unwrap(r, 0));
          if (g?.type === 'MultiPolygon') g.coordinates = g.coordinates.map((poly) => poly.map((r) => unwrap(r, 0)));
        });
        return geo;
      })
      .catch((e) => { delete landCache[scale]; throw e; });
    return landCache[scale];
  }
  function baseMap(p, el, fit) {
    const map = L.map(el, { minZoom: 1, maxZoom: 14, maxBounds: [[-90, -200], [90, 200]], maxBoundsViscosity: 1 });
    map.attributionControl.addAttribution('Countries: Natural Earth');
    p.onLeave(() => map.remove());
    map.createPane('land').style.zIndex = 250; // below the hexes' overlay pane
    fit(map);
    let scale = '', land = null;
    const drawLand = () => {
      const want = map.getZoom() >= 5 ? '50m' : '110m';
      if (want === scale) return;
      scale = want;
      countries(want).then((geo) => {
        if (!p.alive || scale !== want) return;
        land?.remove();
        land = L.geoJSON(geo, { pane: 'land', interactive: false, style: { className: 'land', color: '#a8a29e', weight: 0.7, fillColor: '#f6f3ea', fillOpacity: 1 } }).addTo(map);
      }).catch((e) => { scale = ''; if (p.alive) showError(`Could not load the world map (${e.message}).`); });
    };
    drawLand();
    map.on('zoomend', drawLand);
    return map;
  }
  // Rings crossing the antimeridian (hex cells, Fiji, Chukotka) mix
  // longitudes of both signs and would be drawn as bands around the world:
  // move their western part east of 180°. Antarctica really does circle the
  // globe and stays. lonAt: where the longitude is in a point ([lat, lon]
  // from the API, [lon, lat] in GeoJSON).
  function unwrap(ring, lonAt = 1) {
    const lons = ring.map((q) => q[lonAt]);
    if (Math.max(...lons) - Math.min(...lons) <= 180 || ring.some((q) => q[1 - lonAt] < -85)) return ring;
    return ring.map((q) => (q[lonAt] < 0 ? Object.assign([...q], { [lonAt]: q[lonAt] + 360 }) : q));
  }
  const resolutionFor = (z) => (z <= 4 ? 4 : z <= 6 ? 5 : z <= 8 ? 6 : z <= 10 ? 7 : 8);
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const palettes = {
    devices: ['#9ecae1', '#6baed6', '#3182bd', '#08519c', '#08306b'],
    rewards: ['#fed976', '#feb24c', '#fd8d3c', '#e31a1c', '#800026'],
  };
  // Log-spaced class bounds, so a few dense cities do not wash out the rest.
  function classBounds(max) {
    const ups = [];
    for (let k = 1; k <= 5; k++) {
      const u = Math.ceil(Math.max(max, 1) ** (k / 5));
      if (u > (ups[ups.length - 1] ?? 0)) ups.push(u);
    }
    return ups;
  }
  function classColour(v, ups, pal) {
    const i = ups.findIndex((u) => v <= u);
    return pal[ups.length === 1 ? 2 : Math.round(((i < 0 ? ups.length - 1 : i) * 4) / (ups.length - 1))];
  }
  function legendHtml(by, hexes, ups) {
    const title = by === 'devices' ? 'Devices per hex' : 'Rewards per hex';
    if (!hexes.length) return html`<strong>${title}</strong><br>No devices in view`;
    const fmt = (v) => (by === 'devices' ? amount(String(v)) : compact.format(v));
    return html`<strong>${title}</strong>${ups.map((u, i) => {
      const lo = i === 0 ? null : by === 'devices' ? ups[i - 1] + 1 : ups[i - 1];
      const text = lo == null ? `≤ ${fmt(u)}` : lo === u ? fmt(u) : `${fmt(lo)}–${fmt(u)}`;
      return html`<br><i style="background:${classColour(u, ups, palettes[by])}"></i> ${text}`;
    })}`;
  }
  function hexPopup(h, network, map) {
    const div = document.createElement('div');
    const zoomTo = { 4: 5, 5: 7, 6: 9, 7: 11 }[h.resolution];
    const list = h.resolution === 7 && network;
    div.innerHTML = html`<p><strong>Hex</strong> <span class="mono">${h.hex}</span></p>
      <p>${plural(h.devices, 'device')}<br>${amount(h.rewards)} rewards earned</p>
      ${list ? html`<p><a href="${href.network(network)}?cell=${enc(h.hex)}">List the devices in this hex</a></p>` : zoomTo ? html`<p><button type="button">Zoom in</button></p>` : ''}`;
    $('button', div)?.addEventListener('click', () => map.setView([h.lat, h.lon], zoomTo));
    return div;
  }
  function mapShell(id, networks) {
    return html`<div class="map-controls">
      ${networks ? html`<p><label for="${id}-net">Network</label>
        <select id="${id}-net"><option value="">All networks</option>${networks.map((n) => html`<option value="${n.id}">${n.id}</option>`)}</select></p>` : ''}
      <fieldset><legend>Colour by</legend>
        <label><input type="radio" name="${id}-by" value="devices" checked> devices</label>
        <label><input type="radio" name="${id}-by" value="rewards"> rewards</label></fieldset></div>
      <div id="${id}" class="map" role="region" aria-label="Device map"></div>`;
  }
  const Q_HEXES = `query($network: String, $res: Int!, $bbox: [Float!]) {
    hexes(network: $network, resolution: $res, bbox: $bbox) { hex resolution devices rewards lat lon boundary } }`;
  // A map of hexagons; returns { ready } (a promise of the first load).
  function hexMap(p, id, network = null) {
    const el = document.getElementById(id);
    const map = baseMap(p, el, (m) => m.setView([20, 0], el.clientWidth < 600 ? 1 : 2));
    const layer = L.featureGroup().addTo(map);
    const legend = L.control({ position: 'bottomright' });
    legend.onAdd = () => L.DomUtil.create('div', 'legend');
    legend.addTo(map);
    const st = { network, by: 'devices', hexes: [], seq: 0 };
    const value = (h) => (st.by === 'devices' ? h.devices : Number(h.rewards));
    const draw = () => {
      layer.clearLayers();
      const ups = classBounds(Math.max(0, ...st.hexes.map(value)));
      // Cells are only a few pixels across until zoom 9: a thick stroke in
      // the fill colour keeps them visible and clickable.
      const z = map.getZoom();
      for (const h of st.hexes) {
        const fill = classColour(value(h), ups, palettes[st.by]);
        const stroke = z >= 9 ? { color: '#1f2f3f', weight: 1, opacity: 0.6 } : { color: fill, weight: z <= 4 ? 4 : 3, opacity: 1 };
        L.polygon(unwrap(h.boundary), { className: 'hex', ...stroke, fillColor: fill, fillOpacity: 0.75 })
          .bindPopup(() => hexPopup(h, st.network, map)).addTo(layer);
      }
      legend.getContainer().innerHTML = legendHtml(st.by, st.hexes, ups);
    };
    const load = async () => {
      if (!p.alive) return;
      const seq = ++st.seq;
      const b = map.getBounds();
      const bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -85, 85), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -85, 85)];
      try {
        const d = await gql(Q_HEXES, { network: st.network, res: resolutionFor(map.getZoom()), bbox });
        if (!p.alive || seq !== st.seq) return;
        st.hexes = d.hexes;
        draw();
      } catch (e) {
        if (p.alive) showError(`Could not load the map's hexagons: ${e.message}`);
      }
    };
    map.on('moveend', debounce(load, 300));
    $(`#${id}-net`)?.addEventListener('change', (e) => { st.network = e.target.value || null; load(); });
    document.getElementsByName(`${id}-by`).forEach((r) => r.addEventListener('change', (e) => { st.by = e.target.value; draw(); }));
    p.maps.push({ refresh: load });
    // A network's map starts framed on its devices (the world's when they are everywhere).
    const first = load().then(() => {
      if (network && p.alive && st.hexes.length) map.fitBounds(L.latLngBounds(st.hexes.map((h) => [h.lat, h.lon])), { maxZoom: 8, padding: [32, 32] });
    });
    return { ready: first };
  }
  function deviceMap(p, id, d) {
    const el = document.getElementById(id);
    if (!d.boundary.length) { el.textContent = 'This device has no location.'; return; }
    const shape = unwrap(d.boundary);
    const map = baseMap(p, el, (m) => m.fitBounds(L.latLngBounds(shape), { maxZoom: 12, padding: [24, 24] }));
    L.polygon(shape, { className: 'hex', color: '#045a8d', weight: 2, fillColor: '#2b8cbe', fillOpacity: 0.35 })
      .bindPopup(() => { const div = document.createElement('div'); div.innerHTML = html`<p><strong>Cell</strong> <span class="mono">${d.cell}</span></p>`; return div; })
      .addTo(map);
  }

  // A "Previous page / Next page" list over a Relay connection. Returns
  // show(), which (re)loads the current page.
  function pager(p, el, size, fetchPage, render) {
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

  // ---- home
  const Q_HOME = `{ status { height chainHeight lag } networks { id class devices rewardDenom }
    blocks(first: 10) { edges { node { height time txs } } } }`;
  const statusLine = (s) => `Indexed to block ${amount(s.height)} of ${amount(s.chainHeight)} — ${s.lag === 0 ? 'in sync' : `${plural(s.lag, 'block')} behind`}.`;
  const networksTable = (ns) => table('Networks', ['Network', 'Class', num('Devices'), 'Reward denom'],
    ns.map((n) => [link('network', n.id), n.class, amount(n.devices), n.rewardDenom]), { empty: 'No networks yet.' });
  const latestTable = (bs) => table('Latest blocks', [num('Height'), 'Time', num('Transactions')],
    bs.map((b) => [link('block', b.height, amount(b.height)), when(b.time), amount(b.txs)]), { empty: 'No blocks yet.' });

  async function pageHome(p) {
    const d = await gql(Q_HOME);
    if (!p.alive) return;
    const blocks = d.blocks.edges.map((e) => e.node);
    main.innerHTML = html`<h1 tabindex="-1">depin explorer</h1>
      <p id="status" class="status">${statusLine(d.status)}</p>
      ${section('networks', 'Networks', networksTable(d.networks))}
      <section aria-labelledby="map-h"><h2 id="map-h">Device map</h2>${mapShell('home-map', d.networks)}</section>
      ${section('latest', 'Latest blocks', latestTable(blocks))}
      <p><a href="#/blocks">All blocks</a></p>`;
    setHeight(d.status.height);
    const m = hexMap(p, 'home-map');
    p.onBlock = (b) => {
      if (blocks.length && b.height <= blocks[0].height) return;
      blocks.unshift(b);
      blocks.length = Math.min(blocks.length, 10);
      update($('#latest'), latestTable(blocks));
    };
    p.refresh = async () => {
      const r = await gql('{ status { height chainHeight lag } networks { id class devices rewardDenom } }');
      if (!p.alive) return;
      update($('#status'), statusLine(r.status));
      update($('#networks'), networksTable(r.networks));
    };
    await m.ready;
    ready(p, 'home', 'Home');
  }

  // ---- network
  const Q_NETWORK = `query($id: ID!, $net: String!) {
    network(id: $id) { id owner class rewardDenom createdHeight devices rejectReasons { reason count } hasMarket }
    rewardsPerEpoch(network: $net) { epoch emission distributed treasury devices } }`;
  const Q_DEVICES = `query($first: Int, $after: String, $where: DeviceWhere) {
    devices(first: $first, after: $after, where: $where, orderBy: { field: ID }) {
      totalCount edges { node { id owner model status reportsAccepted cell } } pageInfo { hasNextPage endCursor } } }`;

  function fillNetwork(p, n, epochs) {
    update($('#net-details'), kv([
      ['Class', n.class], ['Owner', link('account', n.owner)], ['Reward denom', n.rewardDenom],
      ['Created at block', link('block', n.createdHeight, amount(n.createdHeight))], ['Devices', amount(n.devices)],
      ['Energy market', n.hasMarket ? html`<a href="${href.market(n.id)}">Order book and clearing prices</a>` : 'None'],
    ]));
    update($('#net-rejects'), table('Rejected reports per reason', ['Reason', num('Reports')],
      n.rejectReasons.map((r) => [r.reason, amount(r.count)]), { empty: 'No rejected reports.' }));
    const last = epochs[0];
    update($('#net-rewards'), last ? figure('net-rewards-chart', `Bar chart of rewards distributed per epoch, ${epochs.length} epochs`,
      `Latest epoch ${last.epoch}: ${amount(last.distributed)} of ${amount(last.emission)} ${n.rewardDenom} distributed to ${plural(last.devices, 'device')}, ${amount(last.treasury)} to the treasury.`,
      table('Rewards per epoch', [num('Epoch'), num('Emission'), num('Distributed'), num('Treasury'), num('Devices')],
        epochs.map((e) => [e.epoch, amount(e.emission), amount(e.distributed), amount(e.treasury), amount(e.devices)])))
      : html`<p class="empty">No epoch has ended yet.</p>`);
    if (last) {
      const asc = [...epochs].reverse();
      chart(p, 'net-rewards-chart', 'Epoch', asc.map((e) => e.epoch), [[`Distributed (${n.rewardDenom})`, '#2b8cbe', asc.map((e) => Number(e.distributed))]], true);
    }
  }

  async function pageNetwork(p, id, params) {
    const d = await gql(Q_NETWORK, { id, net: id });
    if (!p.alive) return;
    const n = d.network;
    if (!n) return notFound(p, `There is no network “${id}”.`);
    const cell = params.get('cell');
    main.innerHTML = html`<h1 tabindex="-1">Network <span class="mono">${n.id}</span></h1>
      ${section('net-details', 'Details')}
      ${section('net-rewards', 'Rewards per epoch')}
      ${section('net-rejects', 'Rejected reports')}
      <section aria-labelledby="map-h"><h2 id="map-h">Device map</h2>${mapShell('net-map')}</section>
      <section aria-labelledby="net-devices-h"><h2 id="net-devices-h">Devices</h2>
        ${cell ? html`<p>In hex <span class="mono">${cell}</span> · <a href="${href.network(n.id)}">Show all devices</a></p>` : ''}
        <div id="net-devices"></div></section>`;
    fillNetwork(p, n, d.rewardsPerEpoch);
    const where = { network: { eq: n.id }, ...(cell ? { cellR7: { eq: cell } } : {}) };
    const showDevices = pager(p, $('#net-devices'), 25, async (after) => (await gql(Q_DEVICES, { first: 25, after, where })).devices,
      (c) => table('Devices', ['Device', 'Owner', 'Model', 'Status', num('Reports accepted'), 'Cell'],
        c.edges.map(({ node: v }) => [link('device', v.id), link('account', v.owner), v.model, v.status, amount(v.reportsAccepted), html`<span class="mono">${v.cell}</span>`]),
        { empty: cell ? 'No devices in this hex.' : 'No devices yet.' }));
    const m = hexMap(p, 'net-map', n.id);
    p.refresh = async () => {
      const r = await gql(Q_NETWORK, { id, net: id });
      if (p.alive && r.network) fillNetwork(p, r.network, r.rewardsPerEpoch);
      await showDevices();
    };
    await Promise.all([showDevices(), m.ready]);
    ready(p, 'network', `Network ${n.id}`);
  }

  // ---- device
  const Q_DEVICE = `query($id: ID!, $dev: String!) {
    device(id: $id) { id network owner model capacity cell cellR7 status stake registeredHeight reportsAccepted reportsRejected lastReportHeight lat lon boundary
      reports(last: 100) { height accepted rejected }
      rewards(last: 30) { epoch reward denom workReward availabilityReward uptimePpm reputationPpm geoPpm boostBps belowThreshold }
      latest: rewards(last: 1) { explanation } }
    agreements(device: $dev, last: 20) { id consumer denom escrow paid unitsPaid refunded status reason openedHeight } }`;
  const agreementsTable = (label, rows, who) => table(label,
    [num('Id'), who === 'consumer' ? 'Consumer' : 'Device', 'Status', num('Escrow'), num('Paid'), num('Units paid'), num('Refunded'), num('Opened at')],
    rows.map((a) => [a.id, who === 'consumer' ? link('account', a.consumer) : link('device', a.device),
      a.reason ? `${a.status} (${a.reason})` : a.status, coin(a.escrow, a.denom), coin(a.paid, a.denom), amount(a.unitsPaid), coin(a.refunded, a.denom),
      link('block', a.openedHeight, amount(a.openedHeight))]), { empty: 'No agreements.' });

  function fillDevice(p, d, agreements) {
    update($('#dev-details'), kv([
      ['Network', link('network', d.network)], ['Owner', link('account', d.owner)], ['Model', d.model], ['Capacity', amount(d.capacity)],
      ['Status', d.status], ['Stake', amount(d.stake)], ['Cell', html`<span class="mono">${d.cell}</span>`],
      ['Registered at block', link('block', d.registeredHeight, amount(d.registeredHeight))],
      ['Reports', `${amount(d.reportsAccepted)} accepted, ${amount(d.reportsRejected)} rejected`],
      ['Last report at block', d.lastReportHeight ? link('block', d.lastReportHeight, amount(d.lastReportHeight)) : 'None yet'],
    ]));
    const reps = [...d.reports].reverse();
    const acc = reps.reduce((s, r) => s + r.accepted, 0), rej = reps.reduce((s, r) => s + r.rejected, 0);
    update($('#dev-reports'), reps.length ? figure('dev-reports-chart', `Line chart of accepted and rejected reports per block over ${reps.length} blocks`,
      `${plural(acc, 'report')} accepted and ${amount(rej)} rejected in the last ${plural(reps.length, 'block')} with reports (blocks ${amount(reps[0].height)} to ${amount(reps[reps.length - 1].height)}).`,
      table('Reports per block', [num('Block'), num('Accepted'), num('Rejected')], d.reports.map((r) => [link('block', r.height, amount(r.height)), r.accepted, r.rejected])))
      : html`<p class="empty">No reports yet.</p>`);
    if (reps.length) chart(p, 'dev-reports-chart', 'Block', reps.map((r) => r.height), [['Accepted', '#15803d', reps.map((r) => r.accepted)], ['Rejected', '#b91c1c', reps.map((r) => r.rejected)]]);
    const rw = [...d.rewards].reverse();
    const denom = d.rewards[0]?.denom ?? '';
    update($('#dev-rewards'), rw.length ? html`${figure('dev-rewards-chart', `Bar chart of the device's reward per epoch over ${rw.length} epochs`,
      `Latest epoch ${d.rewards[0].epoch}: ${amount(d.rewards[0].reward)} ${denom}. The table below lists each epoch.`)}
      ${table('Rewards per epoch', [num('Epoch'), num('Reward'), num('Work'), num('Availability'), num('Uptime'), num('Reputation'), num('Geography'), num('Boost')],
        d.rewards.map((r) => [r.epoch, coin(r.reward, r.denom), amount(r.workReward), amount(r.availabilityReward), pct(r.uptimePpm),
          r.belowThreshold ? html`${pct(r.reputationPpm)} <strong>below threshold</strong>` : pct(r.reputationPpm), pct(r.geoPpm), `×${r.boostBps / 1e4}`]))}`
      : html`<p class="empty">No rewards yet.</p>`);
    if (rw.length) chart(p, 'dev-rewards-chart', 'Epoch', rw.map((r) => r.epoch), [[`Reward (${denom})`, '#d97706', rw.map((r) => Number(r.reward))]], true);
    $('#reward-breakdown').textContent = d.latest[0]?.explanation || 'No rewards yet — the device\'s first epoch has not ended.';
    update($('#dev-agreements'), agreementsTable('Agreements with this device as provider', agreements, 'consumer'));
  }

  async function pageDevice(p, id) {
    const d = await gql(Q_DEVICE, { id, dev: id });
    if (!p.alive) return;
    const v = d.device;
    if (!v) return notFound(p, `There is no device “${id}”.`);
    main.innerHTML = html`<h1 tabindex="-1">Device <span class="mono">${v.id}</span></h1>
      <div class="cols">${section('dev-details', 'Details')}
        <section aria-labelledby="dev-map-h"><h2 id="dev-map-h">Location</h2><div id="dev-map" class="map small" role="region" aria-label="Device map"></div></section></div>
      ${section('dev-breakdown', 'Latest reward, explained', html`<pre id="reward-breakdown"></pre>`)}
      ${section('dev-rewards', 'Rewards')}
      ${section('dev-reports', 'Reports')}
      ${section('dev-agreements', 'Service agreements')}`;
    deviceMap(p, 'dev-map', v);
    fillDevice(p, v, d.agreements);
    connectLive(v.id);
    p.onLeave(() => connectLive(null));
    p.refresh = async () => {
      const r = await gql(Q_DEVICE, { id, dev: id });
      if (p.alive && r.device) fillDevice(p, r.device, r.agreements);
    };
    ready(p, 'device', `Device ${v.id}`);
  }

  // ---- account
  const Q_ACCOUNT = `query($a: String!) {
    account(address: $a) { address balances { denom amount } devices { id network model status reportsAccepted }
      shares { device amount total } txs(last: 20) { hash height code msgTypes } }
    agreements(consumer: $a, last: 20) { id device denom escrow paid unitsPaid refunded status reason openedHeight }
    claims(owner: $a, last: 20) { height denom amount kind device } }`;
  function shareOf(part, total) {
    try {
      const t = BigInt(total);
      if (t <= 0n) return '—';
      const bp = (BigInt(part) * 10000n) / t;
      return `${bp / 100n}.${String(bp % 100n).padStart(2, '0')} %`;
    } catch {
      return '—';
    }
  }
  const txTable = (label, txs) => table(label, ['Transaction', num('Block'), 'Result', 'Messages'],
    txs.map((t) => [link('tx', t.hash), link('block', t.height, amount(t.height)), t.code === 0 ? 'Success' : `Failed (code ${t.code})`, msgSummary(t.msgTypes)]),
    { empty: 'No transactions.' });
  const accountHtml = (d) => html`
    ${section('acct-balances', 'Balances', table('Balances', ['Denom', num('Amount')], d.account.balances.map((b) => [b.denom, amount(b.amount)]), { id: 'balances', empty: 'No balances.' }))}
    ${section('acct-devices', 'Devices owned', table('Devices owned', ['Device', 'Network', 'Model', 'Status', num('Reports accepted')],
      d.account.devices.map((v) => [link('device', v.id), link('network', v.network), v.model, v.status, amount(v.reportsAccepted)]), { empty: 'No devices.' }))}
    ${section('acct-shares', 'Device shares held', table('Device shares held', ['Device', num('Shares held'), num('Total shares'), num('Share')],
      d.account.shares.map((s) => [link('device', s.device), amount(s.amount), amount(s.total), shareOf(s.amount, s.total)]), { empty: 'No shares.' }))}
    ${section('acct-agreements', 'Agreements as consumer', agreementsTable('Agreements as consumer', d.agreements, 'device'))}
    ${section('acct-claims', 'Reward claims', table('Reward claims', [num('Block'), 'Kind', 'Device', num('Amount')],
      d.claims.map((c) => [link('block', c.height, amount(c.height)), c.kind, link('device', c.device), coin(c.amount, c.denom)]), { empty: 'No claims.' }))}
    ${section('acct-txs', 'Recent transactions', txTable('Recent transactions', d.account.txs))}`;

  async function pageAccount(p, addr) {
    const d = await gql(Q_ACCOUNT, { a: addr });
    if (!p.alive) return;
    main.innerHTML = html`<h1 tabindex="-1">Account</h1><p class="mono lead">${d.account.address}</p><div id="acct"></div>`;
    update($('#acct'), accountHtml(d));
    p.refresh = async () => {
      const r = await gql(Q_ACCOUNT, { a: addr });
      if (p.alive) update($('#acct'), accountHtml(r));
    };
    ready(p, 'account', `Account ${addr}`);
  }

  // ---- blocks, block, tx
  const Q_BLOCKS = `query($after: String) { blocks(first: 20, after: $after) {
    totalCount edges { node { height time hash txs events } } pageInfo { hasNextPage endCursor } } }`;
  async function pageBlocks(p) {
    main.innerHTML = html`<h1 tabindex="-1">Blocks</h1><div id="blocks"></div>`;
    const show = pager(p, $('#blocks'), 20, async (after) => (await gql(Q_BLOCKS, { after })).blocks,
      (c) => table('Blocks, newest first', [num('Height'), 'Time', num('Transactions'), num('Events'), 'Hash'],
        c.edges.map(({ node: b }) => [link('block', b.height, amount(b.height)), when(b.time), amount(b.txs), amount(b.events), html`<span class="id mono" title="${b.hash}">${b.hash}</span>`]),
        { empty: 'No blocks yet.' }));
    await show();
    p.refresh = show;
    ready(p, 'blocks', 'Blocks');
  }

  const Q_BLOCK = `query($h: Int!) { block(height: $h) { height time hash txs events proposer
    transactions { hash index signer code msgTypes } } }`;
  async function pageBlock(p, h) {
    if (!/^\d{1,15}$/.test(h)) return notFound(p, `“${h}” is not a block height.`);
    const height = Number(h);
    const b = (await gql(Q_BLOCK, { h: height })).block;
    if (!p.alive) return;
    if (!b) return notFound(p, `Block ${amount(h)} has not been indexed (yet).`);
    main.innerHTML = html`<h1 tabindex="-1">Block ${amount(b.height)}</h1>
      <nav class="prevnext" aria-label="Neighbouring blocks">${b.height > 1 ? html`<a href="${href.block(b.height - 1)}">← Block ${amount(b.height - 1)}</a>` : ''}
        <a href="${href.block(b.height + 1)}">Block ${amount(b.height + 1)} →</a></nav>
      ${section('block-details', 'Details', kv([['Time', when(b.time)], ['Hash', html`<span class="mono">${b.hash}</span>`],
        ['Proposer', html`<span class="mono">${b.proposer}</span>`], ['Transactions', amount(b.txs)], ['Events', amount(b.events)]]))}
      ${section('block-txs', 'Transactions', table('Transactions in this block', [num('#'), 'Transaction', 'Signer', 'Result', 'Messages'],
        b.transactions.map((t) => [t.index, link('tx', t.hash), link('account', t.signer), t.code === 0 ? 'Success' : `Failed (code ${t.code})`, msgSummary(t.msgTypes)]),
        { empty: 'No transactions.' }))}`;
    ready(p, 'block', `Block ${b.height}`);
  }

  // Event attribute values that are addresses become links.
  function attrValue(v) {
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    if (/^depindev1[02-9ac-hj-np-z]{20,}$/.test(s)) return link('device', s);
    if (/^depin1[02-9ac-hj-np-z]{38}$/.test(s)) return link('account', s);
    return html`<span class="mono">${s}</span>`;
  }
  function eventHtml(ev) {
    let attrs;
    try { attrs = Object.entries(JSON.parse(ev.attrs)); } catch { attrs = null; }
    return html`<li><h3>${ev.type}</h3>${attrs ? (attrs.length ? kv(attrs.map(([k, v]) => [k, attrValue(v)])) : html`<p>No attributes.</p>`) : html`<pre>${ev.attrs}</pre>`}</li>`;
  }
  const Q_TX = `query($h: String!) { tx(hash: $h) { hash height index signer code codespace log msgTypes size events { type attrs } } }`;
  async function pageTx(p, hash) {
    const t = (await gql(Q_TX, { h: hash })).tx;
    if (!p.alive) return;
    if (!t) return notFound(p, `There is no transaction “${hash}”.`);
    const ok = t.code === 0;
    main.innerHTML = html`<h1 tabindex="-1">Transaction</h1><p class="mono lead">${t.hash}</p>
      <p class="result ${ok ? 'ok' : 'fail'}">${ok ? '✓ Succeeded' : `✗ Failed: ${t.codespace ? `${t.codespace} ` : ''}code ${t.code}`}</p>
      ${t.log ? html`<pre class="log">${t.log}</pre>` : ''}
      ${section('tx-details', 'Details', kv([['Block', link('block', t.height, amount(t.height))], ['Position in block', t.index],
        ['Signer', link('account', t.signer)], ['Size', `${amount(t.size)} bytes`], ['Messages', t.msgTypes.length ? html`<ul class="plain">${t.msgTypes.map((m) => html`<li class="mono">${m}</li>`)}</ul>` : 'None']]))}
      ${section('tx-events', 'Events', t.events.length ? html`<ol class="events">${t.events.map(eventHtml)}</ol>` : html`<p class="empty">No events.</p>`)}`;
    ready(p, 'tx', 'Transaction');
  }

  // ---- market
  const Q_MARKET = `query($id: ID!, $n: String!) { network(id: $id) { id rewardDenom }
    marketClearings(network: $n, last: 100) { interval price volume trades delivered paid settled } }`;
  const Q_ORDERS = `query($n: String!, $i: Int!) { marketOrders(network: $n, interval: $i) { id side price quantity owner height } }`;
  function cmpDec(a, b) {
    try { const x = BigInt(a), y = BigInt(b); return x < y ? -1 : x > y ? 1 : 0; } catch { return Number(a) - Number(b); }
  }
  const bookTable = (label, orders) => table(label, [num('Price'), num('Quantity'), 'Owner', num('Block')],
    orders.map((o) => [amount(o.price), amount(o.quantity), link('account', o.owner), link('block', o.height, amount(o.height))]), { empty: 'No orders.' });

  function fillMarket(p, net, cl, interval, orders) {
    const asc = [...cl].reverse();
    const prices = cl.map((c) => Number(c.price));
    update($('#mk-prices'), cl.length ? html`
      ${figure('mk-price-chart', `Line chart of the clearing price per interval over ${cl.length} intervals`,
        `Latest interval ${cl[0].interval}: price ${amount(cl[0].price)}, volume ${amount(cl[0].volume)}. Over these intervals the price ranged from ${compact.format(Math.min(...prices))} to ${compact.format(Math.max(...prices))}; the table below lists the recent clearings.`)}
      ${figure('mk-volume-chart', `Bar chart of the cleared volume per interval over ${cl.length} intervals`, 'Cleared volume per interval.')}`
      : html`<p class="empty">No interval has cleared yet.</p>`);
    if (cl.length) {
      chart(p, 'mk-price-chart', 'Interval', asc.map((c) => c.interval), [['Price', '#7c3aed', asc.map((c) => Number(c.price))]]);
      chart(p, 'mk-volume-chart', 'Interval', asc.map((c) => c.interval), [['Volume', '#0f766e', asc.map((c) => Number(c.volume))]], true);
    }
    update($('#mk-clearings'), table('Recent clearings', [num('Interval'), num('Price'), num('Volume'), num('Trades'), num('Delivered'), num('Paid'), 'Settled'],
      cl.slice(0, 20).map((c) => [html`<a href="${href.market(net)}?interval=${c.interval}">${c.interval}</a>`, amount(c.price), amount(c.volume), amount(c.trades),
        amount(c.delivered), amount(c.paid), c.settled ? 'Yes' : 'No']), { empty: 'No clearings yet.' }));
    const side = (s) => orders.filter((o) => o.side.toUpperCase().replace(/^SIDE_/, '') === s); // SIDE_BID, SIDE_ASK
    update($('#mk-book'), interval == null ? html`<p class="empty">No interval yet.</p>` : html`<p>Interval ${interval}.</p><div class="cols">
      <div><h3>Bids</h3>${bookTable(`Bids for interval ${interval}, highest price first`, side('BID').sort((a, b) => cmpDec(b.price, a.price)))}</div>
      <div><h3>Asks</h3>${bookTable(`Asks for interval ${interval}, lowest price first`, side('ASK').sort((a, b) => cmpDec(a.price, b.price)))}</div></div>`);
  }

  async function pageMarket(p, net, params) {
    const fixed = /^\d+$/.test(params.get('interval') ?? '') ? Number(params.get('interval')) : null;
    const load = async () => {
      const d = await gql(Q_MARKET, { id: net, n: net });
      const interval = fixed ?? d.marketClearings[0]?.interval ?? null;
      const orders = d.network && interval != null ? (await gql(Q_ORDERS, { n: net, i: interval })).marketOrders : [];
      return { ...d, interval, orders };
    };
    const d = await load();
    if (!p.alive) return;
    if (!d.network) return notFound(p, `There is no network “${net}”.`);
    main.innerHTML = html`<h1 tabindex="-1">Energy market of <a href="${href.network(net)}" class="mono">${net}</a></h1>
      ${section('mk-prices', 'Clearing prices')}
      ${section('mk-clearings', 'Recent clearings')}
      ${section('mk-book', fixed == null ? 'Order book of the latest interval' : 'Order book')}`;
    fillMarket(p, net, d.marketClearings, d.interval, d.orders);
    p.refresh = async () => {
      const r = await load();
      if (p.alive) fillMarket(p, net, r.marketClearings, r.interval, r.orders);
    };
    ready(p, 'market', `Market ${net}`);
  }

  // ---- search
  const hitHref = (h) => href[h.kind]?.(h.id);
  async function pageSearch(p, _, params) {
    const q = (params.get('q') ?? '').trim();
    $('#q').value = q;
    const hits = q ? (await gql('query($q: String!) { search(q: $q) { kind id label } }', { q })).search : [];
    if (!p.alive) return;
    const found = hits.filter(hitHref);
    if (found.length === 1) { location.replace(hitHref(found[0])); return; }
    main.innerHTML = html`<h1 tabindex="-1">Search</h1>${!q ? html`<p>Type an address, device id, transaction hash, block height or network id into the search box.</p>`
      : found.length ? html`<p>${found.length} results for “${q}”:</p><ul class="hits">${found.map((h) => html`<li><span class="kind">${h.kind}</span> <a href="${hitHref(h)}">${h.label || h.id}</a></li>`)}</ul>`
        : html`<p>Nothing found for “${q}”.</p>`}`;
    ready(p, 'search', `Search ${q}`);
  }

  // ---- router
  const routes = [
    [/^$/, pageHome], [/^blocks$/, pageBlocks], [/^block\/(.+)$/, pageBlock], [/^tx\/(.+)$/, pageTx],
    [/^network\/(.+)$/, pageNetwork], [/^device\/(.+)$/, pageDevice], [/^account\/(.+)$/, pageAccount],
    [/^market\/(.+)$/, pageMarket], [/^search$/, pageSearch],
  ];
  function decode(s) { try { return decodeURIComponent(s); } catch { return s; } }

  async function route() {
    page?.leave();
    const p = (page = new Page());
    clearError();
    main.dataset.loaded = 'false';
    main.dataset.page = '';
    main.innerHTML = '<p class="loading">Loading…</p>';
    window.scrollTo(0, 0);
    const h = location.hash.replace(/^#\/?/, '');
    const qi = h.indexOf('?');
    const path = (qi < 0 ? h : h.slice(0, qi)).replace(/\/$/, '');
    const params = new URLSearchParams(qi < 0 ? '' : h.slice(qi + 1));
    const match = routes.find(([re]) => re.test(path));
    try {
      if (!match) return notFound(p, 'There is no page at this address.');
      await match[1](p, decode(path.match(match[0])[1] ?? ''), params);
    } catch (e) {
      if (!p.alive) return;
      if (e instanceof GqlError) return notFound(p, e.message);
      main.innerHTML = html`<h1 tabindex="-1">Could not load this page</h1><p>${e.message}</p><p><button type="button" id="retry">Try again</button></p>`;
      $('#retry').addEventListener('click', route);
      showError(e.message);
      ready(p, 'error', 'Error');
    }
  }

  // ---- live updates
  const live = { es: null, device: null, retry: 0 };
  const setHeight = (h) => { $('#height').textContent = `Height ${amount(h)}`; };
  function setLiveState(s) {
    const el = $('#live-state');
    el.textContent = s;
    el.dataset.state = s;
  }
  const refreshPage = throttle(() => page?.runRefresh(), 3000);
  const refreshMaps = throttle(() => page?.maps.forEach((m) => m.refresh()), 10000);
  function onEvent(ev, fn) {
    let data;
    try { data = JSON.parse(ev.data); } catch { return; }
    fn(data);
  }
  // One stream at a time: /live, or /live?device=ID on a device page (it
  // carries the block events too).
  function connectLive(device) {
    if (live.es && live.device === device) return;
    live.es?.close();
    clearTimeout(live.retry);
    live.device = device;
    const es = (live.es = new EventSource(device ? `/live?device=${enc(device)}` : '/live'));
    setLiveState('connecting');
    es.onopen = () => setLiveState('live');
    es.onerror = () => {
      if (es.readyState !== EventSource.CLOSED) return setLiveState('reconnecting');
      // The browser gives up after an HTTP error; keep trying, slowly.
      setLiveState('offline');
      live.retry = setTimeout(() => { live.es = null; connectLive(device); }, 5000);
    };
    es.addEventListener('block', (ev) => onEvent(ev, (b) => {
      setHeight(b.height);
      page?.onBlock?.(b);
      refreshPage();
      refreshMaps();
    }));
    es.addEventListener('reports', refreshPage);
  }

  // ---- start
  $('#search').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('#q').value.trim();
    if (!q) return $('#q').focus();
    const target = `#/search?q=${enc(q)}`;
    if (location.hash === target) route();
    else location.hash = target;
  });
  // The skip link must not change the hash: that is the router's.
  $('.skip').addEventListener('click', (e) => { e.preventDefault(); main.focus(); });
  window.addEventListener('hashchange', route);
  gql('{ status { height } }').then((d) => setHeight(d.status.height), () => {});
  connectLive(null);
  route();
})();
