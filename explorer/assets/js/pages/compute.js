// A network's compute market: its figures, jobs, providers (with their
// reputation on chain) and penalties.

import { html } from '../html.js';
import { href } from '../format.js';
import { frozenBanner, section } from '../ui.js';
import { gql, GqlError, orNull } from '../api.js';
import { $, notFound, ready, render, update } from '../page.js';
import { pager } from '../pager.js';
import { computeSummary, jobsTable, penaltiesTable, providersTable } from '../compute.js';

const Q_COMPUTE = `query($id: ID!) { network(id: $id) { id class frozen frozenReason
      compute { denom jobCount runningJobs taskCount tasksVerified tasksFailed providerCount penaltyCount penalties(last: 20) { height job task device reason slashed } } } }`;
const Q_JOBS = `query($network: String!, $first: Int, $after: String) { jobs(network: $network, first: $first, after: $after) {
      totalCount edges { node { id consumer network taskCount verified failed running status escrow paid denom submitted } } pageInfo { hasNextPage endCursor } } }`;
// Reputations are read from the chain by the API: when it cannot read
// them, the providers are asked for again without.
const Q_PROVIDERS = `query($id: ID!, $first: Int, $after: String) { network(id: $id) { compute { providers(first: $first, after: $after) {
      totalCount edges { node { device status assigned agreed outvoted missed earned denom reputation } } pageInfo { hasNextPage endCursor } } } } }`;

// withoutReputation is a providers query without the chain's part.
export const withoutReputation = (q) => q.replace(/ reputation\b/, '');

function fill(c, n) {
  update($('#compute-frozen'), frozenBanner(n));
  update($('#compute-summary'), computeSummary(c));
  update($('#compute-penalties'), penaltiesTable('Penalties', c.penalties));
}

export async function pageCompute(p, id) {
  const d = await orNull(Q_COMPUTE, { id });
  if (!p.alive) return;
  const n = d?.network;
  if (!n) return notFound(p, 'No such network', html`There is no network <span class="mono">${id}</span> on this chain. The home page lists every network.`);
  if (!n.compute) {
    return notFound(p, 'No compute market', html`Network <a href="${href.network(n.id)}">${n.id}</a> runs no compute market: jobs run on networks of class Compute.`);
  }
  render(html`<h1 tabindex="-1">Compute on <span class="mono">${n.id}</span></h1>
      <p class="lead">WebAssembly jobs whose tasks several providers run; the chain pays the majority that agrees. <a href="${href.network(n.id)}">The network</a></p>
      <div id="compute-frozen"></div>
      ${section('compute-summary', 'Summary')}
      <section aria-labelledby="compute-jobs-h"><h2 id="compute-jobs-h">Jobs</h2><div id="compute-jobs"></div></section>
      <section aria-labelledby="compute-providers-h"><h2 id="compute-providers-h">Providers</h2><p id="compute-rep-note" class="dim"></p><div id="compute-providers"></div></section>
      ${section('compute-penalties', 'Penalties')}`);
  fill(n.compute, n);
  let reputations = true;
  const showJobs = pager(p, $('#compute-jobs'), 20, async (after) => (await gql(Q_JOBS, { network: n.id, first: 20, after })).jobs,
    (c) => jobsTable('Jobs', c.edges.map((e) => e.node), { network: false }));
  const showProviders = pager(p, $('#compute-providers'), 25, async (after) => {
    const vars = { id, first: 25, after };
    if (reputations) {
      try {
        return (await gql(Q_PROVIDERS, vars)).network.compute.providers;
      } catch (e) {
        if (!(e instanceof GqlError)) throw e;
        reputations = false;
        if (p.alive) $('#compute-rep-note').textContent = `Reputations could not be read from the chain (${e.message}).`;
      }
    }
    return (await gql(withoutReputation(Q_PROVIDERS), vars)).network.compute.providers;
  }, (c) => providersTable(c.edges.map((e) => e.node)));
  $('#compute-rep-note').textContent = 'Reputation is the chain\'s: the mean of each device\'s beta reputation, which, with its capacity, weighs the draw of providers for tasks.';
  p.refresh = async () => {
    const r = await gql(Q_COMPUTE, { id });
    if (p.alive && r.network?.compute) fill(r.network.compute, r.network);
    await Promise.all([showJobs(), showProviders()]);
  };
  await Promise.all([showJobs(), showProviders()]);
  ready(p, 'compute', `Compute on ${n.id}`);
}
