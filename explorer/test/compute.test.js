// The compute market's pure parts: states and outcomes in words, the
// summaries, tables and details of the network, compute, job, account and
// device pages, the stitched picture, with hostile strings escaped and
// the API's links kept on this origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { href } from '../assets/js/format.js';
import {
  agreementRate, computeSummary, fileLink, hashShort, jobDetails, jobImage, jobPaymentsTable, jobStatus, jobsTable, penaltiesTable, providerDetails,
  providerState, providersTable, reputation, taskProviders, taskResult, taskState, tasksTable,
} from '../assets/js/compute.js';
import { withoutReputation } from '../assets/js/pages/compute.js';
import { computeHtml } from '../assets/js/pages/network.js';
import { TASKS_PAGE } from '../assets/js/pages/job.js';

const EVIL = '<img src=x onerror=alert(1)>';

const job = {
  id: 1, consumer: 'depin1dave', network: 'render', status: 'DONE', taskCount: 16, replicas: 3, verified: 15, failed: 1, running: 0, denom: 'udpin',
  pricePerTask: '1000', escrow: '112000', paid: '47000', refunded: '65000', moduleSha256: '3f9a0c2d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0fe41b',
  moduleSize: '2400000', moduleDeal: null, inputs: 0, args: ['--spp', '4'], memoryBytes: '67108864', timeoutMs: 10000, maxOutputBytes: 65536,
  submitted: '2025-11-24T16:00:00Z', deadline: '2025-11-24T16:10:00Z', submittedHeight: 30, finishedHeight: 41,
  image: { url: '/v1/compute/jobs/1/image.png', width: 256, height: 256, columns: 4 },
};

test('routes, states and outcomes in words', () => {
  assert.equal(href.job(7), '#/job/7');
  assert.equal(href.compute('ren/../der'), '#/compute/ren%2F..%2Fder');
  assert.equal(taskState({ status: 'COMMIT' }), 'Waiting for commitments');
  assert.equal(taskState({ status: 'REVEAL' }), 'Waiting for reveals');
  assert.equal(taskState({ status: 'VERIFIED' }), 'Verified');
  assert.equal(taskState({ status: 'SOMETHING_NEW' }), 'Something new');
  assert.equal(providerState('OUTVOTED'), 'outvoted, slashed');
  assert.equal(providerState('NO_COMMITMENT'), 'missed its commitment');
  assert.equal(providerState('LATE_AGAIN'), 'late again');
  assert.equal(reputation(750000), '75.0 %');
  assert.equal(reputation(null), '—');
  assert.equal(agreementRate({ agreed: 15, outvoted: 1, missed: 0 }), '93.8 %');
  assert.equal(agreementRate({ agreed: 0, outvoted: 0, missed: 0 }), '—');
  assert.equal(jobStatus(job), 'Done');
  assert.equal(jobStatus({ ...job, status: 'RUNNING', verified: 4, failed: 1 }), 'Running: 5 of 16 tasks done');
  assert.equal(jobStatus({ ...job, status: 'EXPIRED' }), 'Expired');
  assert.match(String(hashShort('3f9a0c2d5e6f7a8b9c0d1e2f3a4b5c6d')), /title="3f9a0c2d5e6f7a8b9c0d1e2f3a4b5c6d">3f9a0c2d5e…5c6d</);
  assert.equal(String(hashShort('')), '—');
  assert.doesNotMatch(String(hashShort(EVIL)), /<img/);
});

test('computeSummary and the network page\'s compute section', () => {
  const m = { denom: 'udpin', jobCount: 2, runningJobs: 1, taskCount: 17, tasksVerified: 16, tasksFailed: 1, providerCount: 3, penaltyCount: 1 };
  const s = String(computeSummary(m));
  for (const want of ['<dt>Jobs</dt><dd>1 running of 2</dd>', '<dd>17: 16 verified, 1 failed</dd>', '<dd>3 assigned tasks so far</dd>',
    '<dt>Jobs pay in</dt><dd>DPIN <span class="mono dim">(udpin)</span>']) {
    assert.ok(s.includes(want), `${want} in ${s}`);
  }
  assert.match(String(computeSummary({ ...m, denom: null })), /No job yet/);
  const n = String(computeHtml({ id: EVIL, compute: m }));
  assert.doesNotMatch(n, /<img/);
  assert.match(n, /<a id="net-compute-link" href="#\/compute\/%3Cimg%20src%3Dx%20onerror%3Dalert\(1\)%3E">Jobs, providers and penalties<\/a>/);
});

test('providers and jobs tables', () => {
  const p = { device: 'depindev1a', status: 'JAILED', assigned: 0, agreed: 15, outvoted: 1, missed: 0, earned: '15000', denom: 'udpin', reputation: 940000 };
  const t = String(providersTable([p]));
  for (const want of ['data-label="Status">Jailed<', 'data-label="Outvoted">1<', 'data-label="In the majority">93.8 %<', 'data-label="Reputation">94.0 %<',
    '0.015 <span class="denom">DPIN</span>']) {
    assert.ok(t.includes(want), `${want} in ${t}`);
  }
  assert.match(String(providersTable([{ ...p, reputation: undefined, denom: null }])), /data-label="Reputation">—<.*15,000/s);
  assert.match(String(providersTable([])), /No provider has been assigned a task yet/);
  const j = String(jobsTable('Jobs', [{ ...job, consumer: EVIL, network: EVIL }]));
  assert.doesNotMatch(j, /<img/);
  assert.match(j, /href="#\/job\/1" title="1">#1<\/a>/);
  assert.match(j, /16 \(15 verified, 1 failed\)/);
  assert.match(j, /0.112 <span class="denom">DPIN<\/span>/);
  assert.doesNotMatch(String(jobsTable('Jobs', [job], { consumer: false, network: false })), /Consumer|Network/);
});

test('jobDetails: terms, progress and money in words and display units', () => {
  const s = String(jobDetails(job));
  for (const want of ['Done at block <a class="id" href="#/block/41"', '<dd>16: 15 verified, 1 failed</dd>',
    '3 providers per task; a task whose round finds no majority gets a second round of 4', '0.001 <span class="denom">DPIN</span></span> per task to each provider of the majority',
    '3f9a0c2d5e…e41b</span> <span class="dim">(2.4 MB, inline)</span>', '<span class="mono">--spp 4</span>', '<dt>Inputs</dt><dd>None</dd>',
    '67.1 MB of memory, 10 s, 65.5 kB of output', '2025-11-24 16:00:00 UTC at block <a class="id" href="#/block/30"', '<dt>Deadline was</dt>']) {
    assert.ok(s.includes(want), `${want} in ${s}`);
  }
  const running = String(jobDetails({ ...job, status: 'RUNNING', finishedHeight: null, moduleDeal: 4, args: [EVIL], inputs: 2, running: 3, verified: 12 }));
  assert.doesNotMatch(running, /<img/);
  assert.match(running, /in storage <a class="id" href="#\/deal\/4" title="4">deal #4<\/a>/);
  assert.match(running, /12 verified, 1 failed, 3 running/);
  assert.match(running, /<dt>Deadline<\/dt>/);
  assert.match(running, /<dd>2 files<\/dd>/);
});

const task = (over = {}) => ({
  index: 15, round: 1, status: 'VERIFIED', outputHash: 'ab'.repeat(32), reason: '', result: 'ok', exitCode: 0, fileCount: 1,
  outputUrl: '/v1/compute/jobs/1/tasks/15/output', files: [{ path: 'tile.png', size: 11500, url: '/v1/compute/jobs/1/tasks/15/files/tile.png' }],
  providers: [{ round: 1, device: 'depindev1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', state: 'AGREED' }, { round: 1, device: 'depindev1c', state: 'OUTVOTED' }],
  ...over,
});

test('a task: its result, files and providers', () => {
  assert.equal(String(taskResult(task())), '<a href="/v1/compute/jobs/1/tasks/15/files/tile.png">tile.png</a> <span class="dim">(11.5 kB)</span>');
  // A file's link stays on this origin, whatever the API sends; its name is text.
  const f = String(fileLink({ path: EVIL, size: 3, url: 'javascript:alert(1)' }));
  assert.match(f, /^<a href="#">&lt;img/);
  assert.match(String(taskResult(task({ result: 'exit-non-zero', exitCode: 3, files: [], fileCount: 0 }))), /^<strong>exit code 3<\/strong>$/);
  assert.match(String(taskResult(task({ result: 'out-of-memory', files: [], fileCount: 0 }))), /<strong>out of memory<\/strong>/);
  assert.equal(String(taskResult(task({ files: [], fileCount: 0 }))), 'No files');
  assert.match(String(taskResult(task({ fileCount: 3 }))), / and 2 more files$/);
  assert.match(String(taskResult(task({ result: null }))), /<a href="\/v1\/compute\/jobs\/1\/tasks\/15\/output">Output<\/a> \(not a sandbox output\)/);
  assert.equal(String(taskResult(task({ status: 'FAILED', reason: 'no majority of 2 providers in round 1' }))), '<span class="why">no majority of 2 providers in round 1</span>');
  assert.equal(String(taskResult(task({ status: 'COMMIT', result: null, files: [] }))), '—');
  const p = String(taskProviders(task()));
  assert.match(p, /title="depindev1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">depindev1aaaa…aaaa<\/a> <span class="outcome good">agreed, paid<\/span>/);
  assert.match(p, /agreed, paid<\/span><br><a class="id" href="#\/device\/depindev1c" title="depindev1c">depindev1c<\/a> <span class="outcome bad">outvoted, slashed<\/span>$/);
  assert.doesNotMatch(p, /Round/);
  const two = String(taskProviders(task({ round: 2, providers: [{ round: 1, device: 'd1', state: 'NO_MAJORITY' }, { round: 2, device: 'd2', state: 'REVEALED' }] })));
  assert.match(two, /^<span class="dim">Round 1:<\/span><br><a .*no majority<\/span><br><span class="dim">Round 2:<\/span><br><a .*revealed<\/span>$/);
  const t = String(tasksTable([task(), task({ index: 3, status: 'REVEAL', outputHash: '', result: null, files: [], fileCount: 0 })]));
  assert.match(t, /<table id="job-tasks-table" class="stack">/);
  assert.match(t, /data-label="State">Verified<\/td><td class="" data-label="Output hash"><span class="mono" title="abab/);
  assert.match(t, /data-label="State">Waiting for reveals<\/td><td class="" data-label="Output hash">—/);
  assert.equal(TASKS_PAGE, 16);
});

test('payments, penalties, the picture and a provider\'s record', () => {
  const pays = String(jobPaymentsTable([{ height: 40, task: 15, device: 'depindev1a', owner: 'depin1alice', amount: '1000', denom: 'udpin' }]));
  assert.match(pays, /href="#\/block\/40".*data-label="Task">15<.*0.001 <span class="denom">DPIN/s);
  assert.match(String(jobPaymentsTable([])), /No payments yet/);
  const pen = String(penaltiesTable('Penalties', [{ height: 40, job: 1, task: 15, device: 'depindev1c', reason: 'outvoted', slashed: '50000' },
    { height: 44, job: 2, task: 0, device: 'depindev1b', reason: 'no reveal', slashed: '0' }]));
  assert.match(pen, /href="#\/job\/1" title="1">#1<\/a>.*outvoted.*0.05 <span class="denom">DPIN/s);
  assert.match(pen, /no reveal<\/td><td class="num" data-label="Slashed">—</);
  assert.doesNotMatch(String(penaltiesTable('Penalties', [], { job: false })), /Job/);
  const img = String(jobImage(job));
  assert.match(img, /<img id="job-image" src="\/v1\/compute\/jobs\/1\/image.png" width="256" height="256"/);
  assert.match(img, /alt="The picture job 1's 16 tiles make, 256×256 pixels"/);
  assert.match(img, /4×4 tiles of 64×64, one per task in row order/);
  assert.match(String(jobImage({ ...job, image: { ...job.image, url: '//evil.example/x.png' } })), /src="#"/);
  assert.equal(String(jobImage({ ...job, image: null })), '');
  const d = String(providerDetails({ assigned: 1, agreed: 15, outvoted: 1, missed: 0, earned: '15000', slashed: '50000', denom: 'udpin' }));
  assert.match(d, /15 agreed, 1 outvoted, 0 missed; 1 open/);
  assert.doesNotMatch(d, /Reputation/);
  assert.match(d, /<dt>Slashed<\/dt><dd><span title="50000 udpin">0.05/);
  assert.match(String(providerDetails({ assigned: 0, agreed: 0, outvoted: 0, missed: 0, earned: '0', slashed: '0', denom: null, reputation: 1000000 })),
    /<dt>Reputation on chain<\/dt><dd>100.0 %<\/dd>.*<dt>Slashed<\/dt><dd>Nothing<\/dd>/s);
  assert.equal(withoutReputation('{ node { device earned denom reputation } }'), '{ node { device earned denom } }');
});
