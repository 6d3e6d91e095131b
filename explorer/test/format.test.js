// Formatting helpers and link targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amount, cmpDec, href, msgSummary, pct, plural, shareOf, when } from '../assets/js/format.js';

test('amount groups digits of decimal strings of any size', () => {
  const cases = [
    ['0', '0'], ['999', '999'], ['1000', '1,000'], ['-1234567', '-1,234,567'], ['1234.5678', '1,234.5678'],
    ['18446744073709551615', '18,446,744,073,709,551,615'], [1234, '1,234'],
    ['', ''], [null, ''], [undefined, ''], ['12abc', '12abc'], ['1e21', '1e21'], ['<b>1000</b>', '<b>1000</b>'],
  ];
  for (const [in_, want] of cases) assert.equal(amount(in_), want, JSON.stringify(in_));
});

test('plural', () => {
  assert.equal(plural(1, 'device'), '1 device');
  assert.equal(plural(0, 'device'), '0 devices');
  assert.equal(plural(1200, 'block'), '1,200 blocks');
});

test('pct formats parts per million', () => {
  assert.equal(pct(1_000_000), '100.0 %');
  assert.equal(pct(123_456), '12.3 %');
  assert.equal(pct(0), '0.0 %');
});

test('when formats times in UTC and leaves the unparseable alone', () => {
  assert.equal(when('2026-01-02T03:04:05.678Z'), '2026-01-02 03:04:05 UTC');
  assert.equal(when('2026-01-02T05:04:05+02:00'), '2026-01-02 03:04:05 UTC');
  assert.equal(when('not a time'), 'not a time');
});

test('msgSummary folds repeats', () => {
  assert.equal(msgSummary([]), '');
  assert.equal(msgSummary(['Send']), 'Send');
  assert.equal(msgSummary(['Reg', 'Reg', 'Reg', 'Send', 'Reg']), 'Reg ×3, Send, Reg');
});

test('shareOf is exact beyond 2^53 and safe on bad input', () => {
  assert.equal(shareOf('250', '1000'), '25.00 %');
  assert.equal(shareOf('1', '3'), '33.33 %');
  assert.equal(shareOf('18446744073709551615', '18446744073709551615'), '100.00 %');
  assert.equal(shareOf('1', '0'), '—');
  assert.equal(shareOf('x', '10'), '—');
});

test('cmpDec compares big integers exactly', () => {
  assert.equal(cmpDec('9007199254740993', '9007199254740992'), 1);
  assert.equal(cmpDec('5', '5'), 0);
  assert.equal(cmpDec('2', '10'), -1);
  assert.ok(cmpDec('1.5', '2') < 0);
});

test('href keeps every id behind its route prefix', () => {
  assert.equal(href.device('depindev1abc'), '#/device/depindev1abc');
  assert.equal(href.block(12), '#/block/12');
  for (const id of ['javascript:alert(1)', '../../x', '"><script>', 'a b?c#d', '東京']) {
    for (const [kind, f] of Object.entries(href)) {
      const u = f(id);
      assert.ok(u.startsWith(`#/${kind}/`), u);
      assert.doesNotMatch(u.slice(kind.length + 3), /[:"<>?#/ ]/, u);
      assert.equal(decodeURIComponent(u.slice(kind.length + 3)), id);
    }
  }
});

test('words turns enum names into words', async () => {
  const { words } = await import('../assets/js/format.js');
  const cases = [
    ['RESOURCE_CLASS_ENERGY', 'Energy'], ['DEVICE_STATUS_JAILED', 'Jailed'], ['ACTIVE', 'Active'],
    ['REJECT_REASON_BAD_SIGNATURE', 'Bad signature'], ['REJECT_REASON_NETWORK_FROZEN', 'Network frozen'],
    ['SIDE_BID', 'Bid'], ['LEASE_STATUS_ACTIVE', 'Active'], ['UNBONDING', 'Unbonding'], ['', '—'], [null, '—'],
    ['already words', 'already words'], ['RESOURCE_CLASS_', 'Resource class'],
  ];
  for (const [in_, want] of cases) assert.equal(words(in_), want, JSON.stringify(in_));
});

test('tokens shows base units in display units, exactly', async () => {
  const { tokens } = await import('../assets/js/format.js');
  const cases = [
    [['1500000', 'usolar'], ['1.5', 'SOLAR']], [['1', 'udpin'], ['0.000001', 'DPIN']], [['0', 'udpin'], ['0', 'DPIN']],
    [['1000000000', 'udpin'], ['1,000', 'DPIN']], [['18446744073709551615', 'uwind'], ['18,446,744,073,709.551615', 'WIND']],
    [['12', 'share/depin1xyz'], ['12', 'shares']], [['5', ''], ['5', '']], [['abc', 'udpin'], ['abc', 'udpin']],
    [['2500000', 'greedy'], ['2.5', 'GREEDY']],
  ];
  for (const [[v, d], want] of cases) assert.deepEqual(tokens(v, d), want, JSON.stringify([v, d]));
});

test('span shows a time range in UTC, seconds only when needed', async () => {
  const { span } = await import('../assets/js/format.js');
  assert.equal(span('2026-01-02T03:00:00Z', '2026-01-02T03:15:00Z'), '2026-01-02 03:00–03:15 UTC');
  assert.equal(span('2026-01-02T03:00:30Z', '2026-01-02T03:01:00Z'), '2026-01-02 03:00:30–03:01:00 UTC');
  assert.equal(span('2026-01-02T23:45:00Z', '2026-01-03T00:00:00Z'), '2026-01-02 23:45 – 2026-01-03 00:00 UTC');
  assert.equal(span('2026-01-02T05:00:00+02:00', '2026-01-02T05:15:00+02:00'), '2026-01-02 03:00–03:15 UTC');
  for (const [a, b] of [[null, null], ['', '2026-01-02T03:00:00Z'], ['2026-01-02T03:00:00Z', undefined], ['soon', 'later']]) {
    assert.equal(span(a, b), '', JSON.stringify([a, b]));
  }
});

test('intervalText names an interval by its times, else its number', async () => {
  const { intervalText } = await import('../assets/js/format.js');
  assert.equal(intervalText({ interval: 1960001, start: '2025-11-24T16:15:00Z', end: '2025-11-24T16:30:00Z' }), '2025-11-24 16:15–16:30 UTC');
  assert.equal(intervalText({ interval: 59873273, start: null, end: null }), 'Interval 59873273');
  assert.equal(intervalText({ interval: 7 }), 'Interval 7');
});
