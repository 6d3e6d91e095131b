// Event sentences of the transaction page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coinsText, eventName, eventSentence } from '../assets/js/events.js';
import { eventHtml } from '../assets/js/pages/tx.js';

const alice = 'depin1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq';
const dev = 'depindev1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq';
const text = (h) => String(h).replace(/<[^>]*>/g, '');

test('coinsText shows coin lists in display units', () => {
  assert.equal(coinsText('[{"denom":"udpin","amount":"1500000"},{"denom":"usolar","amount":"3"}]'), '1.5 DPIN, 0.000003 SOLAR');
  assert.equal(coinsText('[]'), 'nothing');
  assert.equal(coinsText('not json'), 'not json');
});

test('common events read as sentences', () => {
  assert.equal(eventName('depin.bank.v1.EventTransfer'), 'EventTransfer');
  const t = eventSentence('depin.bank.v1.EventTransfer', { from: alice, to: alice, amount: '[{"denom":"udpin","amount":"2000"}]', reason: 'fee' });
  assert.equal(text(t), `${alice} sent 0.002 DPIN to ${alice} (Fee).`);
  const r = eventSentence('depin.report.v1.EventReportRejected', { device: dev, seq: '7', reason: 'REJECT_REASON_BAD_SIGNATURE', detail: 'signature does not verify' });
  assert.equal(text(r), `Report #7 of device ${dev} rejected: Bad signature — signature does not verify.`);
  const n = eventSentence('depin.network.v1.EventNetworkCreated', { id: 'solar', owner: alice, class: 'RESOURCE_CLASS_ENERGY', reward_denom: 'usolar' });
  assert.equal(text(n), `Network solar (Energy) launched by ${alice}, rewarding in SOLAR.`);
  assert.equal(eventSentence('depin.x.v1.EventUnknown', { a: 1 }), null);
  assert.equal(eventSentence('depin.bank.v1.EventTransfer', null), null);
});

test('eventHtml leads with the sentence and escapes what it shows', () => {
  const h = String(eventHtml({ type: 'depin.bank.v1.EventMint', attrs: JSON.stringify({ to: alice, amount: '[{"denom":"usolar","amount":"1000000"}]', reason: '<script>' }) }));
  assert.match(h, /class="sentence"/);
  assert.match(text(h), /1 SOLAR minted to/);
  assert.ok(!h.includes('<script>'), h);
});
