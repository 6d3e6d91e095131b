// Sentences for the chain's events, so a transaction page reads as what
// happened ("alice sent 1.5 DPIN to bob (fee)") instead of attribute
// lists. Pure: returns html`…` fragments; unknown events return null and
// are shown field by field.

import { html } from './html.js';
import { amount, tokens, words } from './format.js';
import { link } from './ui.js';

// short type name: "depin.bank.v1.EventTransfer" → "EventTransfer".
export const eventName = (type) => String(type ?? '').split('.').pop();

// coinsText shows a JSON list of coins ([{denom, amount}]) in display
// units: "1.5 DPIN, 3 SOLAR".
export function coinsText(v) {
  let cs = v;
  if (typeof v === 'string') {
    try { cs = JSON.parse(v); } catch { return v; }
  }
  if (!Array.isArray(cs)) return String(v ?? '');
  return cs.map((c) => tokens(c.amount ?? '0', c.denom).join(' ')).join(', ') || 'nothing';
}

const acct = (a) => (a ? link('account', a) : 'nobody');
const dev = (d) => (d ? link('device', d) : 'a device');
const net = (n) => (n ? link('network', n) : 'a network');
const reason = (r) => (r ? html` <span class="why">(${words(String(r).toUpperCase())})</span>` : '');
const tok = (v, d) => tokens(v ?? '0', d).join(' ');

const SENTENCES = {
  EventTransfer: (a) => html`${acct(a.from)} sent ${coinsText(a.amount)} to ${acct(a.to)}${reason(a.reason)}.`,
  EventMint: (a) => html`${coinsText(a.amount)} minted to ${acct(a.to)}${reason(a.reason)}.`,
  EventBurn: (a) => html`${coinsText(a.amount)} burned from ${acct(a.from)}${reason(a.reason)}.`,
  EventDeviceRegistered: (a) => html`Device ${dev(a.device)} (${a.model || 'no model'}) registered in ${net(a.network)} by ${acct(a.owner)}, staking ${tok(a.stake, 'udpin')}.`,
  EventDeviceTransferred: (a) => html`Device ${dev(a.device)} passed from ${acct(a.from)} to ${acct(a.to)}.`,
  EventDeviceMoved: (a) => html`Device ${dev(a.device)} moved to hex <span class="mono">${a.to_cell}</span>.`,
  EventDeviceDeactivated: (a) => html`Device ${dev(a.device)} deactivated; its stake unbonds.`,
  EventStakeWithdrawn: (a) => html`${acct(a.owner)} withdrew ${tok(a.amount, 'udpin')} of stake from device ${dev(a.device)}.`,
  EventReportBatch: (a) => html`A batch of reports from ${acct(a.submitter)}: ${amount(a.accepted ?? 0)} accepted, ${amount(a.rejected ?? 0)} rejected.`,
  EventReportRejected: (a) => html`Report ${a.seq ? `#${a.seq} ` : ''}of device ${dev(a.device)} rejected: ${words(a.reason)}${a.detail ? ` — ${a.detail}` : ''}.`,
  EventEvidenceRecorded: (a) => html`Evidence of ${words(a.kind)} recorded against device ${dev(a.device)}${a.submitter ? html`, found by ${acct(a.submitter)}` : ''}.`,
  EventDeviceSlashed: (a) => html`Device ${dev(a.device)} slashed ${tok(a.slashed, 'udpin')}${a.finder ? html` (finder's fee ${tok(a.finder_fee, 'udpin')} to ${acct(a.finder)})` : ''} and jailed.`,
  EventRewardsClaimed: (a) => html`${acct(a.owner)} claimed ${tok(a.amount, a.denom)} of rewards from ${amount(a.devices ?? 1)} device(s).`,
  EventShareRewardsClaimed: (a) => html`${acct(a.holder)} claimed ${tok(a.amount, a.denom)} as a share holder of device ${dev(a.device)}.`,
  EventTokenized: (a) => html`Device ${dev(a.device)} split into ${amount(a.shares)} shares held by ${acct(a.owner)}.`,
  EventUntokenized: (a) => html`Device ${dev(a.device)}'s shares merged back; ${acct(a.owner)} owns it.`,
  EventLeaseChanged: (a) => html`Lease of device ${dev(a.device)}: ${words(a.status)}${a.reason ? ` (${a.reason})` : ''}.`,
  EventAgreementOpened: (a) => html`Agreement ${a.id} opened by ${acct(a.consumer)} with device ${dev(a.device)}, escrowing ${tok(a.escrow, a.denom)}.`,
  EventAgreementClosed: (a) => html`Agreement ${a.id} closed${a.reason ? ` (${a.reason})` : ''}.`,
  EventOrderPlaced: (a) => html`${words(a.side)} order ${a.id} in ${net(a.network)}'s market: ${amount(a.quantity)} units at ${amount(a.price)} each.`,
  EventOrderCancelled: (a) => html`Order ${a.id} cancelled, ${tok(a.refunded, a.denom)} refunded${a.reason ? ` (${a.reason})` : ''}.`,
  EventNetworkCreated: (a) => html`Network ${net(a.id)} (${words(a.class)}) launched by ${acct(a.owner)}, rewarding in ${tokens(0, a.reward_denom)[1]}.`,
  EventNetworkParamsScheduled: (a) => html`New parameters for ${net(a.network)}, in force from epoch ${a.effective_epoch}.`,
  EventNetworkFrozen: (a) => html`Network ${net(a.network)} frozen: its ${a.step} step failed (${a.reason}).`,
  EventNetworkResumed: (a) => html`Network ${net(a.network)} resumed by ${acct(a.owner)}.`,
  EventBoostSet: (a) => html`Hex <span class="mono">${a.cell}</span> of ${net(a.network)} boosted ×${Number(a.multiplier_bps ?? 10000) / 1e4} until epoch ${a.until_epoch}.`,
};

// eventSentence says what an event means, or null for events without a
// sentence. attrs is its attributes object.
export function eventSentence(type, attrs) {
  const f = SENTENCES[eventName(type)];
  if (!f || !attrs || typeof attrs !== 'object') return null;
  try { return f(attrs); } catch { return null; }
}
