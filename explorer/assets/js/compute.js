// Compute markets and jobs: the summaries, tables and details the
// network, compute, job, account and device pages show. Pure: no DOM.

import { html, safeUrl } from './html.js';
import { amount, bytes, pct, plural, tokens, when, words } from './format.js';
import { coin, kv, link, num, table } from './ui.js';

// TASK_STATES are a task's statuses in words.
export const TASK_STATES = { COMMIT: 'Waiting for commitments', REVEAL: 'Waiting for reveals', VERIFIED: 'Verified', FAILED: 'Failed' };

// taskState: a task's status in words.
export const taskState = (t) => TASK_STATES[t.status] ?? words(t.status);

// PROVIDER_STATES are where a provider stands in a task's round
// (ComputeAssignment.state), in words.
export const PROVIDER_STATES = {
  ASSIGNED: 'assigned', COMMITTED: 'committed', REVEALED: 'revealed', AGREED: 'agreed, paid', OUTVOTED: 'outvoted, slashed',
  NO_COMMITMENT: 'missed its commitment', NO_REVEAL: 'missed its reveal', NO_MAJORITY: 'no majority', EXPIRED: 'job ended first',
};

export const providerState = (s) => PROVIDER_STATES[s] ?? words(s).toLowerCase();

// hashShort abbreviates a hex hash: "3f9a0c2d…e41b" (the whole in its tooltip).
export function hashShort(h) {
  const s = String(h ?? '');
  if (!s) return '—';
  return s.length > 16 ? html`<span class="mono" title="${s}">${s.slice(0, 10)}…${s.slice(-4)}</span>` : html`<span class="mono">${s}</span>`;
}

// reputation shows a reputation in parts per million as a percentage;
// "—" when the chain could not be read.
export const reputation = (ppm) => (ppm == null ? '—' : pct(ppm));

// agreementRate is the share of a provider's judged tasks it was in the
// majority of ("—" before any).
export function agreementRate(p) {
  const all = p.agreed + p.outvoted + p.missed;
  return all > 0 ? `${((p.agreed * 100) / all).toFixed(1)} %` : '—';
}

// jobStatus: "Running: 5 of 16 tasks done", "Done", "Expired".
export function jobStatus(j) {
  if (j.status === 'RUNNING') return `Running: ${amount(j.verified + j.failed)} of ${plural(j.taskCount, 'task')} done`;
  return words(j.status);
}

// tasksDone: "16 verified, 0 failed" (and how many still run).
export const tasksDone = (j) => `${amount(j.verified)} verified, ${amount(j.failed)} failed${j.running ? `, ${amount(j.running)} running` : ''}`;

// computeSummary is a compute market's key figures (ComputeMarket's
// scalar fields) as a key–value list.
export function computeSummary(m) {
  return kv([
    ['Jobs', `${amount(m.runningJobs)} running of ${amount(m.jobCount)}`],
    ['Tasks', `${amount(m.taskCount)}: ${amount(m.tasksVerified)} verified, ${amount(m.tasksFailed)} failed`],
    ['Providers', `${amount(m.providerCount)} assigned tasks so far`],
    ['Penalties', `${amount(m.penaltyCount)} (outvoted or a missed window)`],
    ['Jobs pay in', m.denom ? html`${tokens(0, m.denom)[1]} <span class="mono dim">(${m.denom})</span>` : 'No job yet'],
  ]);
}

// earned shows a provider's earnings in display units when the denom is
// known, else as a base amount.
const earned = (v, denom) => (denom ? coin(v, denom) : amount(v));

// providersTable lists a network's providers (ComputeProvider), with
// their reputation on chain when it was read.
export const providersTable = (providers) => table('Compute providers',
  ['Provider', 'Status', num('Open tasks'), num('Agreed'), num('Outvoted'), num('Missed'), num('In the majority'), num('Reputation'), num('Earned')],
  providers.map((p) => [link('device', p.device), words(p.status), amount(p.assigned), amount(p.agreed), amount(p.outvoted), amount(p.missed),
    agreementRate(p), reputation(p.reputation), earned(p.earned, p.denom)]),
  { empty: 'No provider has been assigned a task yet.' });

// jobsTable lists jobs (ComputeJob); consumer and network: show those columns.
export const jobsTable = (label, jobs, { consumer = true, network = true } = {}) => table(label,
  [num('Job'), ...(consumer ? ['Consumer'] : []), ...(network ? ['Network'] : []), num('Tasks'), 'Status', num('Escrow'), num('Paid'), 'Submitted'],
  jobs.map((j) => [link('job', j.id, `#${j.id}`), ...(consumer ? [link('account', j.consumer)] : []), ...(network ? [link('network', j.network)] : []),
    `${amount(j.taskCount)} (${tasksDone(j)})`, jobStatus(j), coin(j.escrow, j.denom), coin(j.paid, j.denom), when(j.submitted)]),
  { empty: 'No compute jobs.' });

// jobDetails is a job's terms, progress and money in words and display units.
export function jobDetails(j) {
  return kv([
    ['Status', j.finishedHeight ? html`${jobStatus(j)} at block ${link('block', j.finishedHeight, amount(j.finishedHeight))}` : jobStatus(j)],
    ['Consumer', link('account', j.consumer)], ['Network', link('network', j.network)],
    ['Tasks', `${amount(j.taskCount)}: ${tasksDone(j)}`],
    ['Replication', `${plural(j.replicas, 'provider')} per task; a task whose round finds no majority gets a second round of ${amount(j.replicas + 1)}`],
    ['Price', html`${coin(j.pricePerTask, j.denom)} per task to each provider of the majority`],
    ['Escrow', coin(j.escrow, j.denom)], ['Paid to providers', coin(j.paid, j.denom)], ['Refunded', coin(j.refunded, j.denom)],
    ['Module', html`${hashShort(j.moduleSha256)} <span class="dim">(${bytes(j.moduleSize)}${j.moduleDeal ? html`, in storage ${link('deal', j.moduleDeal, `deal #${j.moduleDeal}`)}` : ', inline'})</span>`],
    ['Arguments', j.args.length ? html`<span class="mono">${j.args.join(' ')}</span>` : 'None'],
    ['Inputs', j.inputs ? plural(j.inputs, 'file') : 'None'],
    ['Limits per task', `${bytes(j.memoryBytes)} of memory, ${amount(j.timeoutMs / 1000)} s, ${bytes(String(j.maxOutputBytes))} of output`],
    ['Submitted', html`${when(j.submitted)} at block ${link('block', j.submittedHeight, amount(j.submittedHeight))}`],
    [j.finishedHeight ? 'Deadline was' : 'Deadline', when(j.deadline)],
  ]);
}

// fileLink links a file of a task's output (served by the indexer's API).
export const fileLink = (f) => html`<a href="${safeUrl(f.url)}">${f.path}</a> <span class="dim">(${bytes(String(f.size))})</span>`;

// taskResult: how the verified run ended and what it wrote.
export function taskResult(t) {
  if (t.status !== 'VERIFIED') return t.reason ? html`<span class="why">${t.reason}</span>` : '—';
  if (t.result == null) return t.outputUrl ? html`<a href="${safeUrl(t.outputUrl)}">Output</a> (not a sandbox output)` : 'Output not indexed';
  const how = t.result === 'ok' ? '' : t.result === 'exit-non-zero' ? `exit code ${t.exitCode}` : words(t.result.toUpperCase().replace(/-/g, '_')).toLowerCase();
  const files = t.files.map(fileLink);
  const more = t.fileCount > t.files.length ? html` and ${plural(t.fileCount - t.files.length, 'more file')}` : '';
  return html`${how ? html`<strong>${how}</strong>${files.length ? '; ' : ''}` : ''}${files.map((f, i) => html`${i ? ', ' : ''}${f}`)}${more}${!how && !files.length ? 'No files' : ''}`;
}

// taskProviders lists a task's providers, one a line, round by round
// (rounds named when there are two), each with where it stands.
export function taskProviders(t) {
  if (!t.providers.length) return '—';
  const rounds = [...new Set(t.providers.map((a) => a.round))];
  const lines = [];
  for (const r of rounds) {
    if (rounds.length > 1) lines.push(html`<span class="dim">Round ${r}:</span>`);
    for (const a of t.providers.filter((x) => x.round === r)) {
      lines.push(html`${link('device', a.device, shortId(a.device))} <span class="outcome ${stateClass(a.state)}">${providerState(a.state)}</span>`);
    }
  }
  return html`${lines.map((l, i) => html`${i ? html`<br>` : ''}${l}`)}`;
}

// shortId abbreviates a device id for a table cell.
const shortId = (id) => (String(id).length > 20 ? `${String(id).slice(0, 13)}…${String(id).slice(-4)}` : String(id));

// stateClass colours outcomes: good, bad or neither.
const stateClass = (s) => (s === 'AGREED' ? 'good' : s === 'OUTVOTED' || s === 'NO_COMMITMENT' || s === 'NO_REVEAL' ? 'bad' : '');

// tasksTable lists a job's tasks (ComputeTask with files and providers).
export const tasksTable = (tasks) => table('Tasks',
  [num('Task'), num('Round'), 'State', 'Output hash', 'Result', 'Providers'],
  tasks.map((t) => [amount(t.index), amount(t.round), taskState(t), hashShort(t.outputHash), taskResult(t), taskProviders(t)]),
  { id: 'job-tasks-table', empty: 'No tasks indexed.' });

// jobPaymentsTable lists payments to a job's providers.
export const jobPaymentsTable = (payments) => table('Payments to providers', [num('Block'), num('Task'), 'Provider', 'Paid to', num('Amount')],
  payments.map((x) => [link('block', x.height, amount(x.height)), amount(x.task), link('device', x.device), link('account', x.owner), coin(x.amount, x.denom)]),
  { empty: 'No payments yet: a task\'s majority is paid when the task is verified.' });

// penaltiesTable lists penalties (ComputePenalty); job: show the job column.
export const penaltiesTable = (label, penalties, { job = true } = {}) => table(label,
  [num('Block'), ...(job ? [num('Job')] : []), num('Task'), 'Provider', 'Why', num('Slashed')],
  penalties.map((x) => [link('block', x.height, amount(x.height)), ...(job ? [link('job', x.job, `#${x.job}`)] : []), amount(x.task), link('device', x.device),
    x.reason, x.slashed === '0' ? '—' : coin(x.slashed, 'udpin')]),
  { empty: 'No penalties.' });

// jobImage shows the picture a job's PNG tiles make (ComputeImage), as
// the indexer's API stitches it.
export function jobImage(j) {
  const im = j.image;
  if (!im) return html``;
  const tiles = `${amount(im.columns)}×${amount(im.columns)} tiles of ${amount(im.width / im.columns)}×${amount(im.height / im.columns)}`;
  return html`<figure class="render"><img id="job-image" src="${safeUrl(im.url)}" width="${im.width}" height="${im.height}"
      alt="The picture job ${j.id}'s ${plural(j.taskCount, 'tile')} make, ${im.width}×${im.height} pixels">
    <figcaption>${amount(im.width)}×${amount(im.height)} pixels: ${tiles}, one per task in row order, as the majority of each task's providers returned them.
      <a href="${safeUrl(im.url)}">Open the PNG</a></figcaption></figure>`;
}

// providerDetails is a device's record as a compute provider (with its
// reputation when it was asked for).
export const providerDetails = (p) => kv([
  ['Tasks', `${amount(p.agreed)} agreed, ${amount(p.outvoted)} outvoted, ${amount(p.missed)} missed; ${amount(p.assigned)} open`],
  ['In the majority', agreementRate(p)],
  ...('reputation' in p ? [['Reputation on chain', reputation(p.reputation)]] : []),
  ['Earned from tasks', earned(p.earned, p.denom)],
  ['Slashed', p.slashed === '0' ? 'Nothing' : coin(p.slashed, 'udpin')],
]);
