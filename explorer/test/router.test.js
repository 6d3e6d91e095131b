// Hash parsing and route matching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, match, parseHash } from '../assets/js/router.js';
import { routes } from '../assets/js/routes.js';

test('parseHash splits path and parameters', () => {
  const cases = [
    ['', '', ''], ['#', '', ''], ['#/', '', ''], ['#/blocks', 'blocks', ''], ['#/blocks/', 'blocks', ''],
    ['#blocks', 'blocks', ''], ['#/network/solar?cell=872a1072bffffff', 'network/solar', 'cell=872a1072bffffff'],
    ['#/search?q=a%20b&x=1', 'search', 'q=a+b&x=1'], ['#/market/meter?interval=7?8', 'market/meter', 'interval=7%3F8'],
  ];
  for (const [hash, path, params] of cases) {
    const got = parseHash(hash);
    assert.equal(got.path, path, hash);
    assert.equal(got.params.toString(), params, hash);
  }
  assert.equal(parseHash('#/search?q=%3Cscript%3E').params.get('q'), '<script>');
});

test('decode percent-decodes and keeps malformed escapes', () => {
  assert.equal(decode('a%20b'), 'a b');
  assert.equal(decode('%E6%9D%B1'), '東');
  assert.equal(decode('%E0%A4%A'), '%E0%A4%A');
  assert.equal(decode('100%'), '100%');
});

test('match finds each page and its argument', () => {
  const name = (path) => {
    const m = match(routes, path);
    return m && [m.page.name, m.arg];
  };
  assert.deepEqual(name(''), ['pageHome', '']);
  assert.deepEqual(name('blocks'), ['pageBlocks', '']);
  assert.deepEqual(name('block/12'), ['pageBlock', '12']);
  assert.deepEqual(name('tx/ABCD'), ['pageTx', 'ABCD']);
  assert.deepEqual(name('network/solar'), ['pageNetwork', 'solar']);
  assert.deepEqual(name('device/depindev1x'), ['pageDevice', 'depindev1x']);
  assert.deepEqual(name('account/depin1x'), ['pageAccount', 'depin1x']);
  assert.deepEqual(name('market/meter'), ['pageMarket', 'meter']);
  assert.deepEqual(name('deal/12'), ['pageDeal', '12']);
  assert.deepEqual(name('search'), ['pageSearch', '']);
  assert.deepEqual(name('network/a%2Fb%20c'), ['pageNetwork', 'a/b c']);
  assert.deepEqual(name('network/%E0%A4%A'), ['pageNetwork', '%E0%A4%A']);
  for (const path of ['nope', 'blocks/2', 'block', 'block/', 'searchx', 'network']) assert.equal(match(routes, path), null, path);
});
