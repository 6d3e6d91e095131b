// A device: details, location, its record as a storage node or a compute
// provider or a virtual power plant's battery (if it is one), its latest reward explained, rewards, reports and service
// agreements; live while shown.

import { html } from '../html.js';
import { amount, passRate, pct, plural, tokens, words } from '../format.js';
import { coin, kv, link, num, section, table } from '../ui.js';
import { connectLive, gql, orNull } from '../api.js';
import { $, notFound, ready, render, update } from '../page.js';
import { chart, figure } from '../chart.js';
import { deviceMap } from '../map.js';
import { storageNodeDetails } from '../storage.js';
import { providerDetails } from '../compute.js';
import { membershipDetails } from '../vpp.js';

const Q_DEVICE = `query($id: ID!, $dev: String!) {
    device(id: $id) { id network owner model capacity cell cellR7 status stake registeredHeight reportsAccepted reportsRejected lastReportHeight lat lon boundary
      neighbours { hex resolution devices rewards lat lon boundary }
      reports(last: 100) { height accepted rejected }
      rewards(last: 30) { epoch reward denom workReward availabilityReward uptimePpm reputationPpm geoPpm boostBps belowThreshold }
      latest: rewards(last: 1) { explanation }
      storage { status endpoint capacity usedBytes freeBytes pieces auditsPassed auditsMissed disqualified earned denom acceptsPieces audits(last: 20) { epoch passed missed } }
      compute { assigned agreed outvoted missed earned slashed denom }
      vpp { pool status maxW ratedW minSocPpt energyWh leaveTime leftReason passed failed deliveredWh penalties } }
    agreements(device: $dev, last: 20) { id consumer denom escrow paid unitsPaid refunded status reason openedHeight } }`;

// agreementsTable lists agreements with, as the other party, their
// consumer (who = 'consumer') or their device.
export const agreementsTable = (label, rows, who) => table(label,
  [num('Id'), who === 'consumer' ? 'Consumer' : 'Device', 'Status', num('Escrow'), num('Paid'), num('Units paid'), num('Refunded'), num('Opened at')],
  rows.map((a) => [a.id, who === 'consumer' ? link('account', a.consumer) : link('device', a.device),
    a.reason ? `${words(a.status)} (${a.reason})` : words(a.status), coin(a.escrow, a.denom), coin(a.paid, a.denom), amount(a.unitsPaid), coin(a.refunded, a.denom),
    link('block', a.openedHeight, amount(a.openedHeight))]), { empty: 'No agreements.' });

function fillDevice(p, d, agreements) {
  if (d.compute) update($('#dev-compute'), providerDetails(d.compute));
  if (d.vpp) update($('#dev-vpp'), membershipDetails(d.vpp));
  update($('#dev-details'), kv([
    ['Network', link('network', d.network)], ['Owner', link('account', d.owner)], ['Model', d.model], ['Capacity', amount(d.capacity)],
    ['Status', words(d.status)], ['Stake', coin(d.stake, 'udpin')], ['Cell', html`<span class="mono">${d.cell}</span>`],
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
    `Latest epoch ${d.rewards[0].epoch}: ${tokens(d.rewards[0].reward, denom).join(' ')}. The table below lists each epoch.`)}
      ${table('Rewards per epoch', [num('Epoch'), num('Reward'), num('Work'), num('Availability'), num('Uptime'), num('Reputation'), num('Geography'), num('Boost')],
    d.rewards.map((r) => [r.epoch, coin(r.reward, r.denom), coin(r.workReward, r.denom), coin(r.availabilityReward, r.denom), pct(r.uptimePpm),
      r.belowThreshold ? html`${pct(r.reputationPpm)} <strong>below threshold</strong>` : pct(r.reputationPpm), pct(r.geoPpm), `×${r.boostBps / 1e4}`]), { stack: false })}`
    : html`<p class="empty">No rewards yet.</p>`);
  if (rw.length) chart(p, 'dev-rewards-chart', 'Epoch', rw.map((r) => r.epoch), [[`Reward (${tokens(0, denom)[1]})`, '#d97706', rw.map((r) => Number(r.reward) / 1e6)]], { bars: true });
  $('#reward-breakdown').textContent = d.latest[0]?.explanation || 'No rewards yet — the device\'s first epoch has not ended.';
  update($('#dev-agreements'), agreementsTable('Agreements with this device as provider', agreements, 'consumer'));
  if (d.storage) {
    update($('#dev-storage'), html`${storageNodeDetails(d.storage)}
      ${d.storage.audits.length ? html`<details><summary>Audits per epoch</summary>${table('Audits per epoch', [num('Epoch'), num('Passed'), num('Missed'), num('Pass rate')],
    d.storage.audits.map((a) => [a.epoch, amount(a.passed), amount(a.missed), passRate(a.passed, a.missed)]), { stack: false })}</details>` : ''}`);
  }
}

export async function pageDevice(p, id) {
  const d = await orNull(Q_DEVICE, { id, dev: id });
  if (!p.alive) return;
  const v = d?.device;
  if (!v) return notFound(p, 'No such device', html`There is no device <span class="mono">${id}</span>${id.startsWith('depindev1') ? ' on this chain' : html`: device ids start with <span class="mono">depindev1</span>`}.`);
  render(html`<h1 tabindex="-1">Device <span class="mono">${v.id}</span></h1>
      <div class="cols">${section('dev-details', 'Details')}
        <section aria-labelledby="dev-map-h"><h2 id="dev-map-h">Location</h2><div id="dev-map" class="map small" role="region" aria-label="Device map"></div></section></div>
      ${v.storage ? section('dev-storage', 'Storage node') : ''}
      ${v.compute ? section('dev-compute', 'Compute provider') : ''}
      ${v.vpp ? section('dev-vpp', 'Virtual power plant') : ''}
      ${section('dev-breakdown', 'Latest reward, explained', html`<pre id="reward-breakdown"></pre>`)}
      ${section('dev-rewards', 'Rewards')}
      ${section('dev-reports', 'Reports')}
      ${section('dev-agreements', 'Service agreements')}`);
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
