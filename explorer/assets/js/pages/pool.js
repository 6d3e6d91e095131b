// A virtual power plant: its terms and totals, its batteries on a map
// and in a table, its dispatches and the results of the chain's
// challenges.

import { html } from '../html.js';
import { section } from '../ui.js';
import { gql, orNull } from '../api.js';
import { $, notFound, ready, render, update } from '../page.js';
import { poolMap } from '../map.js';
import { challengesTable, dispatchesTable, membersTable, poolDetails } from '../vpp.js';

const Q_POOL = `query($id: Int!) {
    pool(id: $id) { id name network operator status cell resolution lat lon boundary denom pricePerKwh penaltyBps minResponseBps noticeSeconds
      memberCount maxW dispatchCount challengeCount deliveredWh paid createdHeight closedHeight
      members(first: 50) { device owner status maxW minSocPpt energyWh leaveTime leftReason passed failed misses deliveredWh earned lat lon }
      dispatches(first: 20, challenges: false) { id direction powerW start end status memberCount deliveredWh paid denom }
      challenges: dispatches(first: 10, challenges: true) { id direction start status members(first: 10) { device direction allocatedWh deliveredWh responded settled } } } }`;

function fillPool(d) {
  update($('#pool-details'), poolDetails(d));
  update($('#pool-members'), membersTable(d.members, d.denom));
  update($('#pool-dispatches'), dispatchesTable(d.dispatches));
  update($('#pool-challenges'), challengesTable(d.challenges));
}

export async function pagePool(p, arg) {
  const id = /^\d{1,15}$/.test(arg) ? Number(arg) : 0;
  const d = id ? (await orNull(Q_POOL, { id }))?.pool : null;
  if (!p.alive) return;
  if (!d) return notFound(p, 'No such pool', /^\d+$/.test(arg) ? html`There is no virtual power plant ${arg} on this chain.` : html`Pools are numbered: <span class="mono">${arg}</span> is not a pool number.`);
  render(html`<h1 tabindex="-1">Virtual power plant ${d.id}: ${d.name}</h1>
      <div class="cols">${section('pool-details', 'Details')}
        <section aria-labelledby="pool-map-h"><h2 id="pool-map-h">Its batteries</h2><div id="pool-map" class="map small" role="region" aria-label="Map of the pool's region and batteries"></div></section></div>
      ${section('pool-members', 'Batteries')}
      ${section('pool-dispatches', 'Dispatches')}
      ${section('pool-challenges', 'Challenges')}`);
  fillPool(d);
  poolMap(p, 'pool-map', d, d.members);
  p.refresh = async () => {
    const r = (await gql(Q_POOL, { id })).pool;
    if (p.alive && r) fillPool(r);
  };
  ready(p, 'pool', `Pool ${d.id}`);
}
