// The storage market's pure parts: byte counts and pass rates in words,
// the audit chart's series, and the tables and details of the network,
// deal, account and device pages, with hostile strings escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytes, href, passRate, short } from '../assets/js/format.js';
import { auditSeries, auditSummary, auditTable, dealStatus, dealsTable, nodeState, PALETTE, repairFee, repairsTable, storageNodeDetails, storageNodesTable, storageSummary } from '../assets/js/storage.js';
import { dealDetails, dealNodesTable, paymentsTable, piecesTable } from '../assets/js/pages/deal.js';
import { nodePlaces, nodePopupHtml } from '../assets/js/map.js';

const EVIL = '<img src=x onerror=alert(1)>';

test('bytes shows counts of any size in decimal units', () => {
  const cases = [['0', '0 bytes'], ['1', '1 byte'], ['999', '999 bytes'], ['1000', '1 kB'], ['1500', '1.5 kB'], ['1800', '1.8 kB'], ['99999', '100 kB'],
    ['123456789', '123 MB'], ['999949', '1 MB'], ['1000000000', '1 GB'], ['2999998500', '3 GB'], ['1234567890123', '1.23 TB'],
    ['18446744073709551615', '18.4 EB'], ['1' + '0'.repeat(30), '1000000 YB'], ['', ''], ['12 GB', '12 GB'], [null, '']];
  for (const [v, want] of cases) assert.equal(bytes(v), want, String(v));
});

test('passRate and short', () => {
  assert.equal(passRate(2, 1), '66.7 %');
  assert.equal(passRate(5, 0), '100.0 %');
  assert.equal(passRate(0, 0), '—');
  assert.equal(short('depindev1l7nhkjqh4x2n2sp0rr6r7hghj7x8ndpagkzj3h'), 'depindev1l7n…zj3h');
  assert.equal(short('abc'), 'abc');
  assert.equal(href.deal(12), '#/deal/12');
  assert.equal(href.deal('1/../x'), '#/deal/1%2F..%2Fx');
});

test('auditSeries: pass rates per epoch, oldest first, all nodes then each node, gaps as null', () => {
  const audits = [{ epoch: 9, passed: 4, missed: 2 }, { epoch: 8, passed: 3, missed: 3 }, { epoch: 7, passed: 4, missed: 0 }];
  const nodeAudits = [{ device: 'b', epoch: 8, passed: 1, missed: 1 }, { device: 'c', epoch: 8, passed: 0, missed: 2 },
    { device: 'b', epoch: 9, passed: 2, missed: 0 }, { device: 'c', epoch: 9, passed: 0, missed: 2 }];
  const { xs, series, devices } = auditSeries(audits, nodeAudits);
  assert.deepEqual(xs, [7, 8, 9]);
  // c (0 % passed) before b (75 %).
  assert.deepEqual(devices, ['c', 'b']);
  assert.deepEqual(series.map((s) => s[0]), ['All nodes', 'c', 'b']);
  assert.equal(series[1][1], PALETTE[0]);
  assert.deepEqual(series[0][2], [100, 50, (4 * 100) / 6]);
  assert.deepEqual(series[1][2], [null, 0, 0]);
  assert.deepEqual(series[2][2], [null, 50, 100]);
  const t = String(auditTable(xs, series));
  assert.match(t, /<td class="num">9<\/td><td class="num">66.7 %<\/td><td class="num">0.0 %<\/td><td class="num">100.0 %<\/td>/);
  assert.match(t, /<td class="num">7<\/td><td class="num">100.0 %<\/td><td class="num">—<\/td>/);
  assert.doesNotMatch(t, /class="stack"/); // a grid of numbers scrolls
  assert.equal(auditSummary(audits, devices), 'Over the last 3 epochs with audits, 68.8 % of 16 audits passed (5 missed). The chart follows the 2 nodes with the lowest pass rate; the table below has the numbers.');
  assert.match(auditSummary([], []), /No audits yet/);
  assert.deepEqual(auditSeries([], []), { xs: [], series: [['All nodes', '#111827', []]], devices: [] });
});

const market = { denom: 'udpin', bytesStored: '1000001500', capacity: '3000000000', freeBytes: '1999998500', dealCount: 3, activeDealCount: 2,
  nodeCount: 4, nodesWithFreeSpace: 2, disqualifiedNodes: 1, repairCount: 1 };

test('storageSummary says what the market holds in words and units', () => {
  const s = String(storageSummary(market));
  for (const want of ['<dt>Stored</dt><dd>1 GB <span class="dim">in the pieces of 2 active deals</span>', '<dd>3 GB, of which 2 GB free',
    '<dd>4: 2 with free space, 1 disqualified</dd>', '<dd>2 active of 3</dd>', '<dt>Deals pay in</dt><dd>DPIN <span class="mono dim">(udpin)</span>']) {
    assert.ok(s.includes(want), `${want} in ${s}`);
  }
  assert.match(String(storageSummary({ ...market, denom: null })), /No deal yet/);
});

const deal = { id: 1, owner: 'depin1dave', network: 'vault', fileId: 'ab', size: '1200', k: 2, n: 3, segments: 2, pieceCount: 6, pieceBytes: '1800',
  livePieces: 5, lostPieces: 1, nodeCount: 4, denom: 'udpin', pricePerGibMonth: '1000000', escrow: '1500000', paid: '77', refunded: '0',
  repairBudget: '50', repairThreshold: 2, status: 'ACTIVE', closeReason: '', start: '2025-11-24T16:00:00Z', end: '2025-11-24T16:10:00Z',
  openedHeight: 3, closedHeight: null,
  nodes: [{ device: 'depindev1a', pieces: 2, livePieces: 2, bytes: '600', paid: '17', disqualified: false, cell: '8a1f', lat: 52.5, lon: 13.4, boundary: [[52.5, 13.4], [52.6, 13.5], [52.4, 13.3]] },
    { device: 'depindev1c', pieces: 1, livePieces: 0, bytes: '0', paid: '30', disqualified: true, cell: '8a2f', lat: 40.4, lon: -3.7, boundary: [[40.4, -3.7], [40.5, -3.6], [40.3, -3.8]] },
    { device: 'depindev1d', pieces: 1, livePieces: 1, bytes: '300', paid: '0', disqualified: false, cell: '', lat: 0, lon: 0, boundary: [] }] };

test('dealDetails: terms, money and times in words and display units', () => {
  const s = String(dealDetails(deal));
  for (const want of ['<dd>Active</dd>', 'href="#/account/depin1dave"', '1.2 kB <span class="dim">(id <span class="mono">ab</span>)',
    '2 segments, each 3 pieces of which any 2 restore it', '6 (1.8 kB) on 4 nodes: 5 live, 1 lost', 'A lost piece may be rebuilt once its segment has 2 live pieces or fewer',
    '1 <span class="denom">DPIN</span> per GiB-month', '<dt>Escrow</dt><dd><span title="1500000 udpin">1.5 <span class="denom">DPIN</span>',
    '0.00005 DPIN left for repair fees', '<dt>Ends</dt><dd>2025-11-24 16:10:00 UTC</dd>']) {
    assert.ok(s.includes(want), `${want} in ${s}`);
  }
  const closed = String(dealDetails({ ...deal, status: 'CLOSED', closeReason: 'expired', closedHeight: 8 }));
  assert.match(closed, /Closed \(expired\) at block <a class="id" href="#\/block\/8"/);
  assert.match(closed, /<dt>Was to end<\/dt>/);
  assert.equal(dealStatus({ status: 'ACTIVE', closeReason: '' }), 'Active');
});

test('the deal page tables: pieces per node, pieces, payments', () => {
  const nodes = String(dealNodesTable(deal));
  assert.match(nodes, /<table id="deal-nodes" class="stack">/);
  assert.match(nodes, /depindev1c<\/a><\/td><td class="num" data-label="Pieces">1<\/td><td class="num" data-label="Live">0<\/td><td class="num" data-label="Bytes">0 bytes<\/td>/);
  assert.match(nodes, /data-label="State">Disqualified<\/td>/);
  assert.match(nodes, /… and 1 more node\./);
  const pieces = String(piecesTable([{ index: 5, segment: 1, node: 'depindev1c', size: '300', lost: true }]));
  assert.match(pieces, /<td class="num" data-label="Piece">5<\/td><td class="num" data-label="Segment">1<\/td>.*300 bytes.*Lost/s);
  const pay = (height, epoch) => ({ height, epoch, device: 'depindev1a', owner: 'depin1o', amount: '7000000', denom: 'udpin' });
  const pays = String(paymentsTable([pay(9, 0), pay(6, 8), pay(3, 0)], 9));
  assert.match(pays, /7 <span class="denom">DPIN<\/span>/);
  // Epoch 0 in the closing block was paid at closing; another is the network's first epoch.
  assert.match(pays, /href="#\/block\/9"[^]*?data-label="Epoch">At closing</);
  assert.match(pays, /href="#\/block\/3"[^]*?data-label="Epoch">0</);
  assert.match(String(paymentsTable([])), /No payments yet/);
});

test('the deal map places the nodes it knows, lost ones apart', () => {
  const places = nodePlaces(deal.nodes);
  assert.deepEqual(places.map((n) => [n.device, n.kind]), [['depindev1a', 'held'], ['depindev1c', 'lost']]);
  const pop = String(nodePopupHtml({ device: EVIL, pieces: 2, livePieces: 1, disqualified: true }));
  assert.doesNotMatch(pop, /<img/);
  assert.match(pop, /href="#\/device\/%3Cimg%20src%3Dx%20onerror%3Dalert\(1\)%3E"/);
  assert.match(pop, /2 pieces of this deal, 1 lost<br><strong>Disqualified<\/strong>/);
});

test('deals, storage nodes and repairs tables', () => {
  const d = String(dealsTable('Deals', [{ ...deal, owner: EVIL, network: EVIL, closeReason: EVIL, status: 'CLOSED' }]));
  assert.doesNotMatch(d, /<img/);
  assert.match(d, /href="#\/deal\/1" title="1">#1<\/a>/);
  assert.match(d, /5 of 6 live/);
  assert.match(d, /Closed \(&lt;img src=x onerror=alert\(1\)&gt;\)/);
  assert.doesNotMatch(String(dealsTable('Deals', [deal], { owner: false, network: false })), /Owner|Network/);
  const node = { device: 'depindev1a', status: 'ACTIVE', endpoint: 'http://a:7700', capacity: '1000000000', usedBytes: '600', freeBytes: '999999400', pieces: 2,
    auditsPassed: 5, auditsMissed: 1, disqualified: false, earned: '1500000', denom: 'udpin', acceptsPieces: true };
  const n = String(storageNodesTable([node]));
  for (const want of ['Taking pieces', '600 bytes', '1 GB', '5 of 6', '83.3 %', '1.5 <span class="denom">DPIN</span>']) assert.ok(n.includes(want), want);
  assert.match(String(storageNodesTable([{ ...node, denom: null }])), /1,500,000/);
  assert.equal(nodeState({ ...node, disqualified: true, status: 'JAILED' }), 'Disqualified');
  assert.equal(nodeState({ ...node, status: 'UNBONDING' }), 'Unbonding');
  assert.equal(nodeState({ ...node, endpoint: '' }), 'No endpoint announced');
  assert.equal(nodeState({ ...node, acceptsPieces: false }), 'Full');
  const det = String(storageNodeDetails({ ...node, endpoint: EVIL }));
  assert.doesNotMatch(det, /<img/);
  assert.match(det, /1 GB: 600 bytes used, 1 GB free/);
  assert.match(det, /5 passed, 1 missed \(83.3 % passed\)/);
  const r = String(repairsTable('Repairs', [{ height: 10, deal: 1, piece: 2, fromNode: 'depindev1c', toNode: 'depindev1d', repairer: 'depin1f', feeDue: '50', feePaid: '50', status: 'PAID', paidHeight: 12, denom: 'udpin' },
    { height: 11, deal: 1, piece: 5, fromNode: 'depindev1c', toNode: 'depindev1d', repairer: 'depin1f', feeDue: '50', feePaid: '0', status: 'NO_FEE', paidHeight: null, denom: 'udpin' }]));
  assert.match(r, /0.00005 <span class="denom">DPIN<\/span><\/span>, paid at block <a class="id" href="#\/block\/12"/);
  assert.match(r, /None: the repair budget was spent/);
  assert.match(String(repairFee({ status: 'DUE', feeDue: '50', feePaid: '0', denom: 'udpin', paidHeight: null })), /, due on its first passed audit$/);
  assert.match(String(repairFee({ status: 'FORFEITED', feeDue: '50', feePaid: '0', denom: 'udpin', paidHeight: null })), /forfeited \(new node disqualified\)/);
  assert.doesNotMatch(String(repairsTable('Repairs', [], { deal: false })), /Deal/);
});
