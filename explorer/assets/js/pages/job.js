// A compute job: its terms, progress and money, the picture its PNG
// tiles make (when they make one), each task's round, state, output and
// providers, payments and penalties.

import { html } from '../html.js';
import { section } from '../ui.js';
import { gql, orNull } from '../api.js';
import { $, notFound, ready, render, update } from '../page.js';
import { pager } from '../pager.js';
import { jobDetails, jobImage, jobPaymentsTable, penaltiesTable, tasksTable } from '../compute.js';

const Q_JOB = `query($id: Int!) {
    job(id: $id) { id consumer network status taskCount replicas verified failed running denom pricePerTask escrow paid refunded moduleSha256 moduleSize moduleDeal
      inputs args memoryBytes timeoutMs maxOutputBytes submitted deadline submittedHeight finishedHeight image { url width height columns }
      payments(last: 20) { height task device owner amount denom } penalties(last: 20) { height job task device reason slashed } } }`;
const Q_TASKS = `query($id: Int!, $after: Int) { job(id: $id) { tasks(first: 16, after: $after) {
      index round status outputHash reason result exitCode fileCount outputUrl files(first: 2) { path size url } providers { round device state } } } }`;

// TASKS_PAGE is how many tasks a page of the tasks table shows (a page
// with every provider of both rounds fits the API's complexity limit).
export const TASKS_PAGE = 16;

function fillJob(j) {
  update($('#job-details'), jobDetails(j));
  update($('#job-picture'), j.image ? jobImage(j) : html`<p class="empty">${j.verified < j.taskCount
    ? 'The picture is stitched once every task is verified, if each wrote one PNG tile and the tiles make a square.'
    : 'Its tasks\' results do not make a picture: that needs one PNG tile per task, of one size, in a square number of tasks.'}</p>`);
  update($('#job-payments'), jobPaymentsTable(j.payments));
  update($('#job-penalties'), penaltiesTable('Penalties', j.penalties, { job: false }));
}

export async function pageJob(p, arg) {
  const id = /^\d{1,15}$/.test(arg) ? Number(arg) : 0;
  const j = id ? (await orNull(Q_JOB, { id }))?.job : null;
  if (!p.alive) return;
  if (!j) return notFound(p, 'No such job', /^\d+$/.test(arg) ? html`There is no compute job ${arg} on this chain.` : html`Jobs are numbered: <span class="mono">${arg}</span> is not a job number.`);
  render(html`<h1 tabindex="-1">Compute job ${j.id}</h1>
      <div class="cols">${section('job-details', 'Details')}${section('job-picture', 'Picture')}</div>
      ${section('job-tasks', 'Tasks')}
      ${section('job-payments', 'Payments')}
      ${section('job-penalties', 'Penalties')}`);
  fillJob(j);
  const showTasks = pager(p, $('#job-tasks'), TASKS_PAGE, async (after) => {
    const ts = (await gql(Q_TASKS, { id, after })).job?.tasks ?? [];
    const last = ts[ts.length - 1];
    return { edges: ts.map((node) => ({ node })), totalCount: j.taskCount, pageInfo: { hasNextPage: ts.length === TASKS_PAGE && last.index < j.taskCount - 1, endCursor: last?.index ?? null } };
  }, (c) => tasksTable(c.edges.map((e) => e.node)));
  p.refresh = async () => {
    const r = (await gql(Q_JOB, { id })).job;
    if (p.alive && r) fillJob(r);
    await showTasks();
  };
  await showTasks();
  ready(p, 'job', `Job ${j.id}`);
}
