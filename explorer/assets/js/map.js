// Maps (Leaflet and topojson-client, vendored globals; no tile server: the
// basemap is Natural Earth countries) with devices as H3 hexagons.

import { html } from './html.js';
import { amount, compact, href, plural } from './format.js';
import { gql } from './api.js';
import { $, showError } from './page.js';
import { debounce } from './timers.js';

// unwrap: rings crossing the antimeridian (hex cells, Fiji, Chukotka) mix
// longitudes of both signs and would be drawn as bands around the world:
// move their western part east of 180°. Antarctica really does circle the
// globe and stays. lonAt: where the longitude is in a point ([lat, lon]
// from the API, [lon, lat] in GeoJSON).
export function unwrap(ring, lonAt = 1) {
  const lons = ring.map((q) => q[lonAt]);
  if (Math.max(...lons) - Math.min(...lons) <= 180 || ring.some((q) => q[1 - lonAt] < -85)) return ring;
  return ring.map((q) => (q[lonAt] < 0 ? Object.assign([...q], { [lonAt]: q[lonAt] + 360 }) : q));
}

// resolutionFor is the H3 resolution of the hexes shown at a zoom level.
export const resolutionFor = (z) => (z <= 4 ? 4 : z <= 6 ? 5 : z <= 8 ? 6 : z <= 10 ? 7 : 8);
export const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

export const palettes = {
  devices: ['#9ecae1', '#6baed6', '#3182bd', '#08519c', '#08306b'],
  rewards: ['#fed976', '#feb24c', '#fd8d3c', '#e31a1c', '#800026'],
};

// classBounds: up to five log-spaced upper bounds of classes up to max, so
// a few dense cities do not wash out the rest.
export function classBounds(max) {
  const ups = [];
  for (let k = 1; k <= 5; k++) {
    const u = Math.ceil(Math.max(max, 1) ** (k / 5));
    if (u > (ups[ups.length - 1] ?? 0)) ups.push(u);
  }
  return ups;
}

// classIndex is the palette entry (0–4) of value v's class.
export function classIndex(v, ups) {
  const i = ups.findIndex((u) => v <= u);
  return ups.length === 1 ? 2 : Math.round(((i < 0 ? ups.length - 1 : i) * 4) / (ups.length - 1));
}

// classColour is the colour of value v's class in palette pal.
export const classColour = (v, ups, pal) => pal[classIndex(v, ups)];

// A hex drawn smaller than MIN_HEX_PX across (a city's cell seen from
// world zoom) becomes a dot of markerRadius(class) pixels at its centre,
// so devices show at any zoom.
export const MIN_HEX_PX = 10;
export const markerRadius = (k) => 4 + k;

// pixelSpan is how many pixels across a ring of points is once projected
// by project ([lat, lon] → {x, y}).
export function pixelSpan(ring, project) {
  const ps = ring.map(project);
  const xs = ps.map((q) => q.x), ys = ps.map((q) => q.y);
  return Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
}

// extentOf is the [[south, west], [north, east]] box of hexes' centres,
// or null for none: what a map of them is framed on.
export function extentOf(hexes) {
  if (!hexes.length) return null;
  const lats = hexes.map((h) => h.lat), lons = hexes.map((h) => h.lon);
  return [[Math.min(...lats), Math.min(...lons)], [Math.max(...lats), Math.max(...lons)]];
}

// legendHtml: the colour classes of what is in view; when nothing is,
// whether there are devices elsewhere (any: a "Show all devices" button)
// or none at all.
export function legendHtml(by, hexes, ups, any = true) {
  const title = by === 'devices' ? 'Devices per hex' : 'Rewards per hex';
  if (!hexes.length) {
    return any ? html`<strong>${title}</strong><br>No devices in view<br><button type="button" class="fit">Show all devices</button>`
      : html`<strong>${title}</strong><br>No devices yet`;
  }
  const fmt = (v) => (by === 'devices' ? amount(String(v)) : compact.format(v));
  return html`<strong>${title}</strong>${ups.map((u, i) => {
    const lo = i === 0 ? null : by === 'devices' ? ups[i - 1] + 1 : ups[i - 1];
    const text = lo == null ? `≤ ${fmt(u)}` : lo === u ? fmt(u) : `${fmt(lo)}–${fmt(u)}`;
    return html`<br><i style="background:${classColour(u, ups, palettes[by])}"></i> ${text}`;
  })}`;
}

// mapShell: a map's element and its controls (network choice, colouring).
// networks: [{id, frozen}] for a choice of network, or none.
export function mapShell(id, networks) {
  return html`<div class="map-controls">
      ${networks ? html`<p><label for="${id}-net">Network</label>
        <select id="${id}-net"><option value="">All networks</option>${networks.map((n) => html`<option value="${n.id}">${n.id}${n.frozen ? ' (frozen)' : ''}</option>`)}</select></p>` : ''}
      <fieldset><legend>Colour by</legend>
        <label><input type="radio" name="${id}-by" value="devices" checked> devices</label>
        <label><input type="radio" name="${id}-by" value="rewards"> rewards</label></fieldset></div>
      <div id="${id}" class="map" role="region" aria-label="Device map"></div>`;
}

const landCache = {};
function countries(scale) {
  landCache[scale] ??= fetch(`/assets/vendor/world-atlas/countries-${scale}.json`)
    .then((r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); return r.json(); })
    .then((topo) => {
      const geo = globalThis.topojson.feature(topo, topo.objects.countries);
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
  const { L } = globalThis;
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

function hexPopup(h, network, map) {
  const div = document.createElement('div');
  const zoomTo = { 4: 5, 5: 7, 6: 9, 7: 11 }[h.resolution];
  const list = h.resolution === 7 && network;
  div.innerHTML = html`<p><strong>Hex</strong> <span class="mono">${h.hex}</span></p>
      <p>${plural(h.devices, 'device')}<br>${amount(h.rewards)} rewards earned</p>
      ${list ? html`<p><a href="${href.network(network)}?cell=${encodeURIComponent(h.hex)}">List the devices in this hex</a></p>` : zoomTo ? html`<p><button type="button">Zoom in</button></p>` : ''}`;
  $('button', div)?.addEventListener('click', () => map.setView([h.lat, h.lon], zoomTo));
  return div;
}

export const Q_HEXES = `query($network: String, $res: Int!, $bbox: [Float!]) {
    hexes(network: $network, resolution: $res, bbox: $bbox) { hex resolution devices rewards lat lon boundary } }`;

// viewBox is a map's view as the API's bbox [west, south, east, north].
function viewBox(map) {
  const b = map.getBounds();
  return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -85, 85), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -85, 85)];
}

// drawHexes draws hexes into layer: each as its outline, or as a dot
// when the outline would be too small to see or click. style(h) gives
// {fill, k} (colour and class 0–4); popup(h) the popup's element.
function drawHexes(map, layer, hexes, style, popup) {
  const { L } = globalThis;
  layer.clearLayers();
  // Cells are only a few pixels across until zoom 9: a thick stroke in
  // the fill colour keeps them visible and clickable.
  const z = map.getZoom();
  const project = (q) => map.latLngToLayerPoint(q);
  for (const h of hexes) {
    const { fill, k } = style(h);
    const ring = unwrap(h.boundary);
    // A ring unwrap moved east of 180° takes its centre along.
    const lon = ring !== h.boundary && h.lon < 0 ? h.lon + 360 : h.lon;
    const shape = pixelSpan(ring, project) < MIN_HEX_PX
      ? L.circleMarker([h.lat, lon], { className: 'hex', radius: markerRadius(k), color: '#1f2f3f', weight: 1, opacity: 0.8, fillColor: fill, fillOpacity: 0.9 })
      : L.polygon(ring, { className: 'hex', ...(z >= 9 ? { color: '#1f2f3f', weight: 1, opacity: 0.6 } : { color: fill, weight: z <= 4 ? 4 : 3, opacity: 1 }), fillColor: fill, fillOpacity: 0.75 });
    shape.bindPopup(() => popup(h)).addTo(layer);
  }
}

// hexMap draws a map of hexagons (of one network, or all) in the element
// id, made by mapShell(id), framed on the devices. Returns { ready }, a
// promise of the first view's hexes drawn.
export function hexMap(p, id, network = null) {
  const { L } = globalThis;
  const el = document.getElementById(id);
  const map = baseMap(p, el, (m) => m.setView([20, 0], el.clientWidth < 600 ? 1 : 2));
  const layer = L.featureGroup().addTo(map);
  const legend = L.control({ position: 'bottomright' });
  legend.onAdd = () => {
    const div = L.DomUtil.create('div', 'legend');
    L.DomEvent.disableClickPropagation(div);
    div.addEventListener('click', (e) => { if (e.target.closest('button.fit')) frame(); });
    return div;
  };
  legend.addTo(map);
  // all: whether the chosen network has devices anywhere (known once framed).
  const st = { network, by: 'devices', hexes: [], seq: 0, all: true };
  const value = (h) => (st.by === 'devices' ? h.devices : Number(h.rewards));
  const draw = () => {
    const ups = classBounds(Math.max(0, ...st.hexes.map(value)));
    drawHexes(map, layer, st.hexes, (h) => ({ fill: classColour(value(h), ups, palettes[st.by]), k: classIndex(value(h), ups) }), (h) => hexPopup(h, st.network, map));
    legend.getContainer().innerHTML = legendHtml(st.by, st.hexes, ups, st.all);
  };
  const load = async () => {
    if (!p.alive) return;
    const seq = ++st.seq;
    try {
      const d = await gql(Q_HEXES, { network: st.network, res: resolutionFor(map.getZoom()), bbox: viewBox(map) });
      if (!p.alive || seq !== st.seq) return;
      st.hexes = d.hexes;
      draw();
    } catch (e) {
      if (p.alive) showError(`Could not load the map's hexagons: ${e.message}`);
    }
  };
  // frame fits the view to the devices (of the chosen network, or all):
  // every cell at the coarsest resolution, wherever it is, then the
  // view's hexes.
  const frame = async () => {
    if (!p.alive) return;
    try {
      const d = await gql(Q_HEXES, { network: st.network, res: resolutionFor(0), bbox: null });
      if (!p.alive) return;
      const box = extentOf(d.hexes);
      st.all = box != null;
      if (box) map.fitBounds(box, { maxZoom: 8, padding: [24, 24], animate: false });
    } catch (e) {
      if (p.alive) showError(`Could not load the map's hexagons: ${e.message}`);
    }
    await load();
  };
  map.on('moveend', debounce(load, 300));
  $(`#${id}-net`)?.addEventListener('change', (e) => { st.network = e.target.value || null; frame(); });
  document.getElementsByName(`${id}-by`).forEach((r) => r.addEventListener('change', (e) => { st.by = e.target.value; draw(); }));
  p.maps.push({ refresh: load });
  return { ready: frame() };
}

// deviceMap shows one device d (with lat, lon, boundary, cell, network
// and neighbours, its resolution-8 hex and the two rings around it) in
// the element id: the hexes around it coloured by the network's devices
// there, its own cell (with a pin while the cell is too small to see) and
// a scale bar.
export function deviceMap(p, id, d) {
  const { L } = globalThis;
  const el = document.getElementById(id);
  if (!d.boundary.length) { el.textContent = 'This device has no location.'; return; }
  const shape = unwrap(d.boundary);
  const around = d.neighbours.map((h) => unwrap(h.boundary));
  const map = baseMap(p, el, (m) => m.fitBounds(L.latLngBounds(around.length ? around.flat() : shape), { maxZoom: 14, padding: [8, 8] }));
  L.control.scale({ imperial: false, maxWidth: 120 }).addTo(map);
  const ups = classBounds(Math.max(0, ...d.neighbours.map((h) => h.devices)));
  d.neighbours.forEach((h, i) => {
    const style = h.devices > 0 ? { color: '#1f2f3f', weight: i === 0 ? 2 : 1, opacity: 0.7, fillColor: classColour(h.devices, ups, palettes.devices), fillOpacity: 0.6 }
      : { color: '#6b7280', weight: 1, opacity: 0.7, dashArray: '3 3', fillOpacity: 0 };
    L.polygon(around[i], { className: 'hex', ...style }).bindPopup(() => hexPopup(h, d.network, map)).addTo(map);
  });
  const cellPopup = () => { const div = document.createElement('div'); div.innerHTML = html`<p><strong>This device's cell</strong> <span class="mono">${d.cell}</span></p>`; return div; };
  const cell = L.polygon(shape, { className: 'hex device-cell', color: '#9a3412', weight: 2, fillColor: '#ea580c', fillOpacity: 0.7 }).bindPopup(cellPopup).addTo(map);
  const pin = L.circleMarker([d.lat, d.lon], { className: 'device-pin', radius: 7, color: '#fff', weight: 2, fillColor: '#c2410c', fillOpacity: 1 }).bindPopup(cellPopup);
  const showPin = () => {
    if (pixelSpan(shape, (q) => map.latLngToLayerPoint(q)) < 16) pin.addTo(map); else pin.remove();
    cell.bringToFront();
  };
  showPin();
  map.on('zoomend', showPin);
  const others = Math.max(0, d.neighbours.reduce((n, h) => n + h.devices, 0) - 1);
  el.insertAdjacentHTML('afterend', String(html`<p class="map-note"><i class="pin"></i> This device ·
      <i style="background:${palettes.devices[2]}"></i> hexes with devices of ${d.network}: ${plural(others, 'other device')} in the two rings around.</p>`));
}

// nodePlaces are the deal's nodes (DealNode) the map can place, each with
// its class: 'lost' (disqualified: its pieces are lost or were repaired
// away), 'held' otherwise.
export const nodePlaces = (nodes) => nodes.filter((n) => n.cell && n.boundary.length)
  .map((n) => ({ ...n, kind: n.disqualified || n.livePieces === 0 ? 'lost' : 'held' }));

const NODE_COLOURS = { held: ['#1d4ed8', '#60a5fa'], lost: ['#991b1b', '#f87171'] };

// nodePopupHtml is what a deal's node says on the map.
export const nodePopupHtml = (n) => html`<p><strong>Node</strong> <a href="${href.device(n.device)}" class="mono">${n.device}</a></p>
    <p>${plural(n.pieces, 'piece')} of this deal${n.pieces !== n.livePieces ? html`, ${amount(n.pieces - n.livePieces)} lost` : ''}${n.disqualified ? html`<br><strong>Disqualified</strong>` : ''}</p>`;

// dealMap shows the nodes holding a deal's pieces (nodes: DealNode with
// cell, lat, lon, boundary) in the element id: each node's cell, with a
// dot while the cell is too small to see, framed on all of them.
export function dealMap(p, id, nodes) {
  const { L } = globalThis;
  const el = document.getElementById(id);
  const places = nodePlaces(nodes);
  if (!places.length) { el.textContent = 'The index does not know where this deal\'s nodes are.'; return; }
  const rings = places.map((n) => unwrap(n.boundary));
  const map = baseMap(p, el, (m) => m.fitBounds(L.latLngBounds(rings.flat()), { maxZoom: 9, padding: [24, 24] }));
  L.control.scale({ imperial: false, maxWidth: 120 }).addTo(map);
  const dots = places.map((n, i) => {
    const [stroke, fill] = NODE_COLOURS[n.kind];
    const popup = () => { const div = document.createElement('div'); div.innerHTML = String(nodePopupHtml(n)); return div; };
    L.polygon(rings[i], { className: 'hex', color: stroke, weight: 2, fillColor: fill, fillOpacity: 0.7 }).bindPopup(popup).addTo(map);
    const lon = rings[i] !== n.boundary && n.lon < 0 ? n.lon + 360 : n.lon;
    return { ring: rings[i], dot: L.circleMarker([n.lat, lon], { className: 'node-dot', radius: 6 + Math.min(4, n.pieces), color: '#fff', weight: 2, fillColor: stroke, fillOpacity: 1 }).bindPopup(popup) };
  });
  const showDots = () => dots.forEach(({ ring, dot }) => {
    if (pixelSpan(ring, (q) => map.latLngToLayerPoint(q)) < 16) dot.addTo(map); else dot.remove();
  });
  showDots();
  map.on('zoomend', showDots);
  const lost = places.filter((n) => n.kind === 'lost').length;
  el.insertAdjacentHTML('afterend', String(html`<p class="map-note"><i style="background:${NODE_COLOURS.held[0]}"></i> nodes holding pieces
      ${lost ? html`· <i style="background:${NODE_COLOURS.lost[0]}"></i> disqualified nodes (${amount(lost)})` : ''}
      ${places.length < nodes.length ? html`· ${plural(nodes.length - places.length, 'node')} not placed` : ''}</p>`));
}

// poolMap shows a pool's region (pool: VppPool with cell and boundary)
// and its batteries (members: VppMember with lat and lon; those the
// index cannot place are counted) in the element id, framed on the
// region.
export function poolMap(p, id, pool, members) {
  const { L } = globalThis;
  const el = document.getElementById(id);
  if (!pool.boundary.length) { el.textContent = 'The pool\'s region is not an H3 cell the map can draw.'; return; }
  const region = unwrap(pool.boundary);
  const map = baseMap(p, el, (m) => m.fitBounds(L.latLngBounds(region), { maxZoom: 12, padding: [16, 16] }));
  L.control.scale({ imperial: false, maxWidth: 120 }).addTo(map);
  L.polygon(region, { className: 'hex pool-region', color: '#7c3aed', weight: 2, dashArray: '4 4', fillColor: '#a78bfa', fillOpacity: 0.15, interactive: false }).addTo(map);
  const placed = members.filter((m) => m.lat != null && m.lon != null);
  for (const m of placed) {
    const popup = () => { const div = document.createElement('div'); div.innerHTML = String(memberPopupHtml(m)); return div; };
    L.circleMarker([m.lat, m.lon], { className: 'member-dot', radius: 7, color: '#fff', weight: 2, fillColor: m.status === 'LEAVING' ? '#d97706' : '#059669', fillOpacity: 1 })
      .bindPopup(popup).addTo(map);
  }
  el.insertAdjacentHTML('afterend', String(html`<p class="map-note"><i style="background:#a78bfa"></i> the pool's region ·
      <i style="background:#059669"></i> batteries (${amount(placed.length)})${placed.length < members.length ? html` · ${plural(members.length - placed.length, 'battery')} not placed` : ''}</p>`));
}

// memberPopupHtml is what a pool's battery says on the map.
export const memberPopupHtml = (m) => html`<p><strong>Battery</strong> <a href="${href.device(m.device)}" class="mono">${m.device}</a></p>
    <p>${m.status === 'LEAVING' ? 'Leaving the pool' : 'In the pool'}; ${amount(m.passed)} of ${amount(m.passed + m.failed)} responses delivered</p>`;
