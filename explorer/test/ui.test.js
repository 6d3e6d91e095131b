// The HTML building blocks, the frozen-network banner and marker, and the
// other pure parts of the pages and the map.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frozenBanner, frozenMarker, kv, link, num, section, STACK_COLUMNS, table } from '../assets/js/ui.js';
import { classBounds, classColour, classIndex, extentOf, legendHtml, mapShell, markerRadius, MIN_HEX_PX, palettes, pixelSpan, resolutionFor, unwrap } from '../assets/js/map.js';
import { networksTable, statusLine } from '../assets/js/pages/home.js';
import { hitHref } from '../assets/js/pages/search.js';
import { attrValue, eventHtml } from '../assets/js/pages/tx.js';
import { clearingAxis, intervalOf, sideOf } from '../assets/js/pages/market.js';
import { unclaimedHtml, unclaimedTotals } from '../assets/js/pages/account.js';

test('link escapes its text and title and encodes its target', () => {
  assert.equal(String(link('device', '"><script>')), '<a class="id" href="#/device/%22%3E%3Cscript%3E" title="&quot;&gt;&lt;script&gt;">&quot;&gt;&lt;script&gt;</a>');
  assert.equal(String(link('account', 'javascript:alert(1)')).includes('href="#/account/javascript%3Aalert(1)"'), true);
  assert.equal(link('device', ''), '—');
  assert.equal(link('device', null), '—');
  assert.equal(String(link('block', 1234, '1,234')), '<a class="id" href="#/block/1234" title="1234">1,234</a>');
});

test('table marks numeric columns, labels itself and says when it is empty', () => {
  const t = String(table('Things <1>', ['Name', num('Count')], [['<a>', '5']], { id: 'things' }));
  assert.match(t, /aria-label="Things &lt;1&gt;"/);
  assert.match(t, /<table id="things">/);
  assert.match(t, /<th scope="col" class="num">Count<\/th>/);
  assert.match(t, /<td class="">&lt;a&gt;<\/td><td class="num">5<\/td>/);
  assert.match(String(table('X', ['A', 'B'], [], { empty: 'Nothing.' })), /<td colspan="2" class="empty">Nothing.<\/td>/);
});

test('kv and section', () => {
  assert.equal(String(kv([['<k>', 'v']])), '<dl class="kv"><dt>&lt;k&gt;</dt><dd>v</dd></dl>');
  assert.equal(String(section('s', 'T')), '<section aria-labelledby="s-h"><h2 id="s-h">T</h2><div id="s"></div></section>');
});

test('frozenBanner says why, and how to resume', () => {
  assert.equal(String(frozenBanner({ id: 'solar', frozen: false, frozenReason: null })), '');
  const b = String(frozenBanner({ id: 'solar', frozen: true, frozenReason: 'reward: emission overflows' }));
  assert.match(b, /class="banner frozen" role="status"/);
  assert.match(b, /This network is frozen\./);
  assert.match(b, /<span class="reason">reward: emission overflows<\/span>/);
  assert.match(b, /Its owner can resume it \(<code>depin tx network resume solar<\/code>\)/);
  // No reason known: no empty "failed: ." clause.
  assert.match(String(frozenBanner({ id: 'x', frozen: true, frozenReason: '' })), /One of its block steps failed\./);
});

test('frozenBanner escapes a hostile reason and id', () => {
  const b = String(frozenBanner({ id: '<img src=x onerror=alert(1)>', frozen: true, frozenReason: '</span><script>alert(1)</script>' }));
  assert.doesNotMatch(b, /<script|<img/);
  assert.match(b, /&lt;\/span&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});

test('frozen networks are marked in the networks table and the map choice', () => {
  const ns = [{ id: 'solar', class: 'CLASS_ENERGY', devices: 3, rewardDenom: 'usolar', frozen: false }, { id: 'air', class: 'CLASS_SENSING', devices: 1200, rewardDenom: 'uair', frozen: true, frozenReason: 'market: "x"' }];
  assert.equal(String(frozenMarker(ns[0])), '');
  assert.equal(String(frozenMarker(ns[1])), ' <span class="tag frozen" title="market: &quot;x&quot;">Frozen</span>');
  const t = String(networksTable(ns));
  assert.equal(t.match(/class="tag frozen"/g).length, 1);
  assert.match(t, /href="#\/network\/air" title="air">air<\/a> <span class="tag frozen"/);
  assert.match(t, /1,200/);
  const m = String(mapShell('home-map', ns));
  assert.match(m, /<option value="air">air \(frozen\)<\/option>/);
  assert.match(m, /<option value="solar">solar<\/option>/);
});

test('statusLine', () => {
  assert.equal(statusLine({ height: 1200, chainHeight: 1200, lag: 0 }), 'Indexed to block 1,200 of 1,200 — in sync.');
  assert.equal(statusLine({ height: 10, chainHeight: 11, lag: 1 }), 'Indexed to block 10 of 11 — 1 block behind.');
});

test('search hits link only to kinds of page that exist', () => {
  assert.equal(hitHref({ kind: 'device', id: 'd' }), '#/device/d');
  for (const kind of ['constructor', '__proto__', 'toString', 'javascript', 'nope']) assert.equal(hitHref({ kind, id: 'x' }), undefined, kind);
});

test('event attributes: addresses become links, everything is escaped', () => {
  const dev = `depindev1${'q'.repeat(38)}`, acct = `depin1${'q'.repeat(38)}`;
  assert.match(String(attrValue(dev)), new RegExp(`href="#/device/${dev}"`));
  assert.match(String(attrValue(acct)), new RegExp(`href="#/account/${acct}"`));
  assert.equal(String(attrValue('<b>')), '<span class="mono">&lt;b&gt;</span>');
  assert.equal(String(attrValue({ a: 1 })), '<span class="mono">{&quot;a&quot;:1}</span>');
  assert.match(String(eventHtml({ type: '<t>', attrs: 'not json <x>' })), /<h3>&lt;t&gt;<\/h3>[\s\S]*<pre>not json &lt;x&gt;<\/pre>/);
  assert.match(String(eventHtml({ type: 't', attrs: '{}' })), /No attributes/);
});

test('order sides', () => {
  assert.equal(sideOf({ side: 'SIDE_BID' }), 'BID');
  assert.equal(sideOf({ side: 'ask' }), 'ASK');
});

test('map: resolution per zoom, log-spaced classes, colours', () => {
  assert.deepEqual([1, 4, 5, 6, 7, 8, 9, 10, 11, 14].map(resolutionFor), [4, 4, 5, 5, 6, 6, 7, 7, 8, 8]);
  assert.deepEqual(classBounds(0), [1]);
  assert.deepEqual(classBounds(1), [1]);
  const ups = classBounds(100000);
  assert.equal(ups.length, 5);
  assert.equal(ups[4], 100000);
  ups.forEach((u, i) => assert.ok(i === 0 || u > ups[i - 1] * 9, `${ups}: log-spaced`));
  assert.deepEqual(classBounds(3), [2, 3]); // no empty or repeated classes
  assert.equal(classColour(1, ups, palettes.devices), palettes.devices[0]);
  assert.equal(classColour(100000, ups, palettes.devices), palettes.devices[4]);
  assert.equal(classColour(1e9, ups, palettes.devices), palettes.devices[4]);
  assert.equal(classColour(5, [1], palettes.devices), palettes.devices[2]);
  assert.match(String(legendHtml('devices', [], [1])), /No devices in view<br><button type="button" class="fit">Show all devices<\/button>/);
  assert.match(String(legendHtml('devices', [], [1], false)), /No devices yet/);
  assert.doesNotMatch(String(legendHtml('devices', [], [1], false)), /in view|button/);
  assert.match(String(legendHtml('devices', [{}], [10, 100])), /≤ 10.*11–100/s);
});

test('unwrap moves antimeridian rings east and leaves the rest', () => {
  const fiji = [[-17, 179], [-17, -179], [-18, -179], [-18, 179]];
  assert.deepEqual(unwrap(fiji), [[-17, 179], [-17, 181], [-18, 181], [-18, 179]]);
  const berlin = [[52, 13], [52, 14], [53, 14]];
  assert.equal(unwrap(berlin), berlin);
  const antarctica = [[-179, -89], [179, -89], [0, -70]];
  assert.equal(unwrap(antarctica, 0), antarctica);
});

test('table stacks wide tables on a phone: each cell names its column', () => {
  const cols = ['Device', 'Network', 'Model', num('Reports')];
  assert.equal(cols.length, STACK_COLUMNS);
  const t = String(table('Devices', cols, [['d1', 'solar', 'm', '5']]));
  assert.match(t, /<table class="stack">/);
  assert.match(t, /<td class="" data-label="Device">d1<\/td>/);
  assert.match(t, /<td class="num" data-label="Reports">5<\/td>/);
  assert.doesNotMatch(String(table('Grid', cols, [['1', '2', '3', '4']], { stack: false })), /stack|data-label/);
  assert.doesNotMatch(String(table('Narrow', ['A', 'B', num('C')], [['1', '2', '3']])), /stack|data-label/);
  assert.match(String(table('X', ['<b>', 'B', 'C', 'D'], [['1', '2', '3', '4']])), /data-label="&lt;b&gt;"/);
});

test('map: classes, dots for hexes too small to see, and the frame of a set of hexes', () => {
  const ups = classBounds(100000);
  assert.deepEqual([1, ups[0] + 1, ups[2], ups[4], 1e9].map((v) => classIndex(v, ups)), [0, 1, 2, 4, 4]);
  assert.equal(classIndex(5, [1]), 2);
  assert.ok(markerRadius(0) * 2 >= MIN_HEX_PX - 2 && markerRadius(4) > markerRadius(0));
  const project = ([lat, lon]) => ({ x: lon * 10, y: -lat * 10 });
  assert.equal(pixelSpan([[0, 0], [0.5, 0.2], [0.1, 0.3]], project), 5);
  assert.equal(pixelSpan([[0, 0], [2, 0]], project), 20);
  assert.equal(extentOf([]), null);
  assert.deepEqual(extentOf([{ lat: 6.5, lon: 3.4 }, { lat: 19, lon: 72.8 }, { lat: 48.9, lon: 2.3 }]), [[6.5, 2.3], [48.9, 72.8]]);
});

test('market intervals: a cleared one by its times, an uncleared one on the newest known grid', () => {
  const cl = [
    { interval: 11, intervalSeconds: 900, start: '1970-01-01T02:45:00Z', end: '1970-01-01T03:00:00Z' },
    { interval: 10, intervalSeconds: 0, start: null, end: null },
  ];
  assert.equal(intervalOf(11, cl), cl[0]);
  assert.deepEqual(intervalOf(12, cl), { interval: 12, start: '1970-01-01T03:00:00.000Z', end: '1970-01-01T03:15:00.000Z' });
  assert.deepEqual(intervalOf(10, cl), { interval: 10, start: '1970-01-01T02:30:00.000Z', end: '1970-01-01T02:45:00.000Z' });
  assert.deepEqual(intervalOf(5, [cl[1]]), { interval: 5, start: null, end: null });
  assert.deepEqual(clearingAxis([cl[0]]), { label: 'Interval start (UTC)', xs: [9900], time: true });
  assert.deepEqual(clearingAxis([cl[1], cl[0]]), { label: 'Interval', xs: [10, 11], time: false });
  assert.deepEqual(clearingAxis([]), { label: 'Interval', xs: [], time: false });
});

test('unclaimed rewards: exact totals per token, share holders\' rewards apart, and how many devices are left out', () => {
  const rows = [
    { device: 'd1', network: 'solar', denom: 'usolar', amount: '18446744073709551615', tokenized: false },
    { device: 'd2', network: 'solar', denom: 'usolar', amount: '1', tokenized: false },
    { device: 'd3', network: 'air', denom: 'uair', amount: '1500000', tokenized: false },
    { device: 'd4', network: 'air', denom: 'uair', amount: '7000000', tokenized: true },
    { device: 'd5', network: 'meter', denom: 'umeter', amount: '0', tokenized: false },
  ];
  assert.deepEqual(unclaimedTotals(rows), [{ denom: 'uair', amount: '1500000' }, { denom: 'usolar', amount: '18446744073709551616' }]);
  assert.deepEqual(unclaimedTotals([rows[3], rows[4]]), []);
  const h = String(unclaimedHtml('depin1me', { deviceCount: 5, unclaimed: rows }));
  assert.match(h, /To claim: <strong>.*1\.5 <span class="denom">AIR<\/span>.*<\/strong> and <strong>.*18,446,744,073,709\.551616 <span class="denom">SOLAR/s);
  assert.match(h, /depin tx reward claim --from depin1me/);
  assert.match(h, /its share holders/);
  assert.doesNotMatch(h, /more device/);
  const more = String(unclaimedHtml('depin1me', { deviceCount: 105, unclaimed: rows }));
  assert.match(more, /To claim from the first 5 devices: /);
  assert.match(more, /… and 100 more devices\./);
  assert.match(String(unclaimedHtml('a', { deviceCount: 1, unclaimed: [rows[4]] })), /Nothing to claim\./);
  assert.match(String(unclaimedHtml('a', { deviceCount: 0, unclaimed: [] })), /No devices/);
  assert.doesNotMatch(String(unclaimedHtml('<x>', { deviceCount: 1, unclaimed: [{ ...rows[0], device: '<img>' }] })), /<img|<x>/);
});
