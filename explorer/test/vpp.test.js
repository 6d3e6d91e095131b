// Virtual power plants' pure parts: powers, energies and shares in
// words, the pool's and the dispatch's details and tables, the chart
// series of a dispatch and of a token's supply, with hostile strings
// escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { href } from '../assets/js/format.js';
import {
  allocationsTable, batteries, bpsText, challengesTable, direction, dispatchDetails, dispatchSeries, dispatchesTable, energy, memberState, membersTable,
  membershipDetails, poolDetails, poolsTable, power, pptText, seriesSummary, supplySeries, supplySummary, supplyTable, vppSummary,
} from '../assets/js/vpp.js';
import { showsSupply } from '../assets/js/pages/network.js';

const EVIL = '<img src=x onerror=alert(1)>';

const pool = {
  id: 1, name: EVIL, network: 'grid', operator: 'depin1utility', status: 'OPEN', cell: '851f1d4bfffffff', resolution: 5, denom: 'udpin', pricePerKwh: '1000000',
  penaltyBps: 100, minResponseBps: 5000, noticeSeconds: '120', memberCount: 3, maxW: '15000', dispatchCount: 1, challengeCount: 2, deliveredWh: '160',
  paid: '160000', createdHeight: 12, closedHeight: null,
};
const settled = {
  id: 1, pool: 1, network: 'grid', operator: 'depin1utility', challenge: false, direction: 'DIRECTION_DISCHARGE', powerW: '9000', start: '2025-11-24T16:02:00Z',
  end: '2025-11-24T16:04:00Z', intervalSeconds: 60, status: 'SETTLED', denom: 'udpin', pricePerKwh: '1000000', escrow: '0', credits: '11', allocatedW: '9000',
  allocatedWh: '300', memberCount: 3, baselineWh: '40', deliveredWh: '160', paid: '160000', refunded: '140000', responded: 2, missed: 1, penalties: '100000',
  createdHeight: 20, settledHeight: 25,
};
const points = [
  { start: '2025-11-24T16:02:00Z', requestedW: '9000', baselineW: '1200', meteredW: '6000', deliveredW: '4800' },
  { start: '2025-11-24T16:03:00Z', requestedW: '9000', baselineW: '1200', meteredW: '6000', deliveredW: '4800' },
];

test('powers, energies, shares and directions in words', () => {
  assert.equal(href.pool(7), '#/pool/7');
  assert.equal(href.dispatch('1/../2'), '#/dispatch/1%2F..%2F2');
  assert.equal(power('500'), '500 W');
  assert.equal(power('3000'), '3 kW');
  assert.equal(power('2500'), '2.5 kW');
  assert.equal(power('1250000'), '1.25 MW');
  assert.equal(energy('50'), '50 Wh');
  assert.equal(energy('1600'), '1.6 kWh');
  assert.equal(energy('-20'), '-20 Wh');
  assert.equal(bpsText(100), '1 %');
  assert.equal(bpsText(25), '0.25 %');
  assert.equal(pptText(205), '20.5 %');
  assert.equal(direction('DIRECTION_DISCHARGE'), 'Discharge');
  assert.equal(direction('DIRECTION_CHARGE'), 'Charge');
  assert.equal(direction('DIRECTION_UNSPECIFIED'), 'Each its own');
  assert.equal(batteries(1), '1 battery');
  assert.equal(batteries(1200), '1,200 batteries');
  assert.equal(memberState({ status: 'MEMBER' }), 'In the pool');
  assert.equal(memberState({ status: 'LEAVING', leaveTime: '2025-11-24T17:00:00Z' }), 'Leaving at 2025-11-24 17:00:00 UTC');
  assert.equal(memberState({ status: 'LEFT', leftReason: 'dropped: missed 2 responses in a row' }), 'Left (dropped: missed 2 responses in a row)');
});

test('the pool page: details, batteries, dispatches, challenge results; hostile names escaped', () => {
  const details = String(poolDetails(pool));
  assert.ok(!details.includes('<img'));
  for (const want of ['851f1d4bfffffff', '1 % of a member', '50 % of its allocation', '15 kW', '2 challenges', '160 Wh']) assert.ok(details.includes(want), want);
  const list = String(poolsTable('Pools', [pool]));
  assert.ok(list.includes('&lt;img') && !list.includes('<img') && list.includes('href="#/pool/1"'));
  const members = String(membersTable([{ device: 'depindev1b1', owner: EVIL, status: 'MEMBER', maxW: '5000', minSocPpt: 200, energyWh: '13500', passed: 4, failed: 1,
    misses: 1, deliveredWh: '100', earned: '100000' }], 'udpin'));
  for (const want of ['5 kW', '20 %', '13.5 kWh', '4 of 5 (1 missed in a row)', '100 Wh']) assert.ok(members.includes(want), want);
  assert.ok(!members.includes('<img'));
  const dispatches = String(dispatchesTable([settled, { ...settled, id: 3, status: 'ALLOCATED' }]));
  assert.ok(dispatches.includes('href="#/dispatch/1"') && dispatches.includes('Settled') && dispatches.includes('Allocated, waiting'));
  const challenges = String(challengesTable([{ id: 2, direction: 'DIRECTION_CHARGE', start: '2025-11-24T17:01:00Z',
    members: [{ device: 'depindev1b2', direction: 'DIRECTION_DISCHARGE', allocatedWh: '41', deliveredWh: '41', responded: true, settled: true }, { device: 'depindev1b3', allocatedWh: '41', deliveredWh: '0', responded: false, settled: true }] }]));
  assert.ok(challenges.includes('responded') && challenges.includes('missed') && challenges.includes('41 Wh'));
  // Each member's own direction; the challenge's when a row has none.
  assert.ok(challenges.includes('Discharge') && challenges.includes('Charge'));
  assert.match(String(challengesTable([])), /No challenges yet/);
});

test('the dispatch page: details, members, the chart series and its words', () => {
  const d = String(dispatchDetails(settled));
  for (const want of ['Discharge 9 kW', 'intervals of 1 min', '3 batteries', '160 Wh beyond a baseline of 40 Wh', '11 service credits', 'refunded']) assert.ok(d.includes(want), want);
  const c = String(dispatchDetails({ ...settled, challenge: true, operator: '', status: 'ALLOCATED', settledHeight: null }));
  assert.ok(c.includes('A challenge') && !c.includes('Price') && c.includes('Escrow'));
  const rows = String(allocationsTable([{ device: 'depindev1b3', powerW: '3000', allocatedWh: '100', baselineWh: '0', meteredWh: '0', deliveredWh: '0', paid: '0',
    responded: false, penalty: '100000', settled: true }], 'udpin'));
  assert.ok(rows.includes('missed') && rows.includes('0.1'));
  const { xs, series } = dispatchSeries(points, 60);
  assert.deepEqual(xs, [1764000120, 1764000179, 1764000180, 1764000239]);
  assert.deepEqual(series.map((s) => s[0]), ['Asked (kW)', 'Baseline (kW)', 'Metered (kW)', 'Delivered (kW)']);
  assert.deepEqual(series[3][2], [4.8, 4.8, 4.8, 4.8]);
  // Before settlement: no baseline and no delivered line.
  const open = points.map((q) => ({ ...q, baselineW: null, deliveredW: null }));
  assert.deepEqual(dispatchSeries(open, 60).series.map((s) => s[0]), ['Asked (kW)', 'Metered (kW)']);
  assert.match(seriesSummary(points, 'All 3 batteries'), /asked 9 kW on average, metered 6 kW, baseline 1.2 kW, delivered 4.8 kW/);
  assert.match(seriesSummary(open, 'All'), /known once it settles/);
});

test('a network: its virtual power plants, and minted against burned per epoch', () => {
  const v = String(vppSummary({ poolCount: 2, openPools: 1, memberCount: 3, dispatchCount: 4, challengeCount: 1, deliveredWh: '1600', creditPrice: '2' }, 'ugrid'));
  assert.ok(v.includes('1 open of 2') && v.includes('1.6 kWh') && v.includes('GRID'));
  assert.match(String(vppSummary({ poolCount: 1, openPools: 0, memberCount: 0, dispatchCount: 0, challengeCount: 0, deliveredWh: '0', creditPrice: null }, 'ugrid')), /No longer sold/);
  const s = { denom: 'ugrid', minted: '2000000', burned: '170', creditsMinted: '85', creditsSpent: '11',
    flows: [{ epoch: 1, height: 2, minted: '1000000', burned: '100' }, { epoch: 2, height: 4, minted: '1000000', burned: '50' }, { epoch: null, height: 5, minted: '0', burned: '20' }] };
  const { xs, series } = supplySeries(s.flows);
  assert.deepEqual(xs, [1, 2, 3]);
  assert.deepEqual(series[0][2], [1, 1, 0]);
  assert.deepEqual(series[1][2], [0.0001, 0.00005, 0.00002]);
  assert.equal(supplySummary(s), '2 GRID minted by the network\'s emission; 0.00017 GRID burned for 85 service credits (11 spent on dispatches).');
  assert.ok(String(supplyTable(s)).includes('Since'));
  assert.equal(showsSupply({ vpp: null, supply: { burned: '0' } }), false);
  assert.equal(showsSupply({ vpp: null, supply: { burned: '5' } }), true);
  assert.equal(showsSupply({ vpp: {}, supply: { burned: '0' } }), true);
  assert.ok(String(membershipDetails({ pool: 1, status: 'MEMBER', maxW: '4000', ratedW: '5000', minSocPpt: 200, energyWh: '13500', passed: 1, failed: 0,
    deliveredWh: '50', penalties: '0' })).includes('up to 4 kW (rated 5 kW), never below 20 % charge'));
});

test('the dispatch page pages through its batteries by device id', async () => {
  const { membersPage, MEMBERS_SHOWN } = await import('../assets/js/pages/dispatch.js');
  const full = Array.from({ length: MEMBERS_SHOWN }, (_, i) => ({ device: `depindev1b${String(i).padStart(3, '0')}` }));
  const c = membersPage(full, 0, 100);
  assert.equal(c.edges.length, MEMBERS_SHOWN);
  assert.equal(c.pageInfo.endCursor, full[MEMBERS_SHOWN - 1].device);
  assert.ok(c.pageInfo.hasNextPage);
  assert.equal(c.totalCount, 100);
  // The last page: full, but nothing after it.
  assert.ok(!membersPage(full, 100 - MEMBERS_SHOWN, 100).pageInfo.hasNextPage);
  assert.ok(!membersPage(full.slice(0, 3), 80, 100).pageInfo.hasNextPage);
  assert.deepEqual(membersPage([], 0, 0).pageInfo, { endCursor: null, hasNextPage: false });
});
