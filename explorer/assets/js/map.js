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

// classColour is the colour of value v's class in palette pal.
export function classColour(v, ups, pal) {
  const i = ups.findIndex((u) => v <= u);
  return pal[ups.length === 1 ? 2 : Math.round(((i < 0 ? ups.length - 1 : i) * 4) / (ups.length - 1))];
}

export function legendHtml(by, hexes, ups) {
  const title = by === 'devices' ? 'Devices per hex' : 'Rewards per hex';
  if (!hexes.length) return html`<strong>${title}</strong><br>No devices in view`;
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

// hexMap draws a map of hexagons (of one network, or all) in the element
// id, made by mapShell(id). Returns { ready }, a promise of the first load.
export function hexMap(p, id, network = null) {
  const { L } = globalThis;
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

// deviceMap shows one device's cell d (with boundary and cell) in the element id.
export function deviceMap(p, id, d) {
  const { L } = globalThis;
  const el = document.getElementById(id);
  if (!d.boundary.length) { el.textContent = 'This device has no location.'; return; }
  const shape = unwrap(d.boundary);
  const map = baseMap(p, el, (m) => m.fitBounds(L.latLngBounds(shape), { maxZoom: 12, padding: [24, 24] }));
  L.polygon(shape, { className: 'hex', color: '#045a8d', weight: 2, fillColor: '#2b8cbe', fillOpacity: 0.35 })
    .bindPopup(() => { const div = document.createElement('div'); div.innerHTML = html`<p><strong>Cell</strong> <span class="mono">${d.cell}</span></p>`; return div; })
    .addTo(map);
}
