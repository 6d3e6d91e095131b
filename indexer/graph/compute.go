package graph

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/indexer"
)

// The compute market's queries (tables of migration 7, kept by
// indexer/compute.go). Outputs stay in the database: tasks list what
// their outputs decoded to when they were indexed, and the bytes are
// served over HTTP (computehttp.go), one task or one stitched image at a
// time.

// MaxTaskProviders bounds ComputeTask.providers: two rounds of at most
// api/compute.MaxReplicas and one more providers.
const MaxTaskProviders = 31

// computeClass is the network class that runs a compute market.
const computeClass = "RESOURCE_CLASS_COMPUTE"

// computeMarket is network id's compute market, or nil when it has none.
func (r *Resolver) computeMarket(ctx context.Context, id string) (*ComputeMarket, error) {
	m := &ComputeMarket{Network: id}
	var running, tasks, verified, failed int64
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'RUNNING' THEN 1 ELSE 0 END), 0), COALESCE(SUM(tasks), 0),
  COALESCE(SUM(verified), 0), COALESCE(SUM(failed), 0) FROM compute_jobs WHERE network = $1`, id).Scan(&m.JobCount, &running, &tasks, &verified, &failed); err != nil {
		return nil, err
	}
	if m.JobCount == 0 {
		var class string
		err := r.DB.QueryRowContext(ctx, `SELECT class FROM networks WHERE id = $1`, id).Scan(&class)
		if errors.Is(err, sql.ErrNoRows) || err == nil && class != computeClass {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	m.RunningJobs, m.TaskCount, m.TasksVerified, m.TasksFailed = int(running), int(tasks), int(verified), int(failed)
	var denom string
	switch err := r.DB.QueryRowContext(ctx, `SELECT denom FROM compute_jobs WHERE network = $1 ORDER BY id DESC LIMIT 1`, id).Scan(&denom); {
	case err == nil:
		m.Denom = &denom
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM compute_providers WHERE network = $1`, id).Scan(&m.ProviderCount); err != nil {
		return nil, err
	}
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM compute_penalties WHERE network = $1`, id).Scan(&m.PenaltyCount); err != nil {
		return nil, err
	}
	return m, nil
}

const providerCols = `p.device, p.network, COALESCE(d.owner, ''), COALESCE(d.status, ''), p.assigned, p.agreed, p.outvoted, p.missed, p.earned, p.slashed,
  (SELECT j.denom FROM compute_jobs j WHERE j.network = p.network ORDER BY j.id DESC LIMIT 1)`

const providerFrom = ` FROM compute_providers p LEFT JOIN devices d ON d.id = p.device`

func scanProvider(row scanner) (*ComputeProvider, error) {
	var p ComputeProvider
	var assigned, agreed, outvoted, missed int64
	var denom sql.NullString
	if err := row.Scan(&p.Device, &p.Network, &p.Owner, &p.Status, &assigned, &agreed, &outvoted, &missed, &p.Earned, &p.Slashed, &denom); err != nil {
		return nil, err
	}
	p.Assigned, p.Agreed, p.Outvoted, p.Missed = int(assigned), int(agreed), int(outvoted), int(missed)
	if denom.Valid {
		p.Denom = &denom.String
	}
	return &p, nil
}

// computeProvider is a device's compute record, or nil.
func (r *Resolver) computeProvider(ctx context.Context, device string) (*ComputeProvider, error) {
	p, err := scanProvider(r.DB.QueryRowContext(ctx, `SELECT `+providerCols+providerFrom+` WHERE p.device = $1`, device))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return p, err
}

// computeProviders pages through a network's providers by device id.
func (r *Resolver) computeProviders(ctx context.Context, network string, first *int, after *string) (*ComputeProviderConnection, error) {
	n, err := page(first)
	if err != nil {
		return nil, err
	}
	var w sqlWhere
	w.conds = append(w.conds, "p.network = "+w.arg(network))
	var total int
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM compute_providers p`+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, err
	}
	if after != nil {
		parts, err := decodeCursor(*after, 1)
		if err != nil {
			return nil, err
		}
		w.conds = append(w.conds, "p.device > "+w.arg(parts[0]))
	}
	ps, err := list(ctx, r.DB, scanProvider, `SELECT `+providerCols+providerFrom+w.sql()+` ORDER BY p.device LIMIT `+w.arg(n+1), w.args...)
	if err != nil {
		return nil, err
	}
	conn := &ComputeProviderConnection{TotalCount: total, Edges: []*ComputeProviderEdge{}, PageInfo: &PageInfo{}}
	for _, p := range ps {
		if len(conn.Edges) == n {
			conn.PageInfo.HasNextPage = true
			break
		}
		conn.Edges = append(conn.Edges, &ComputeProviderEdge{Cursor: encodeCursor(p.Device), Node: p})
	}
	if len(conn.Edges) > 0 {
		c := conn.Edges[len(conn.Edges)-1].Cursor
		conn.PageInfo.EndCursor = &c
	}
	return conn, nil
}

// reputation reads a provider's reputation from the chain.
func (r *Resolver) reputation(ctx context.Context, device string) (*int, error) {
	id, err := crypto.ParseDeviceID(device)
	if err != nil {
		return nil, nil // not a device the chain could have
	}
	ppm, err := r.Reputations.PPM(ctx, []crypto.DeviceID{id})
	if err != nil {
		return nil, fmt.Errorf("reputation: %w", err)
	}
	return ppm[0], nil
}

const jobCols = `id, consumer, network, tasks, replicas, denom, price_per_task, escrow, paid, refunded, status, verified, failed,
  module_sha256, module_size, module_deal, inputs, args, memory_bytes, timeout_ms, max_output_bytes, submit_time, deadline, submitted_height, finished_height`

func scanJob(row scanner) (*ComputeJob, error) {
	var j ComputeJob
	var id, tasks, replicas, verified, failed, size, deal, inputs, memory, timeout, maxOut, submit, deadline, submitted, finished int64
	var args string
	if err := row.Scan(&id, &j.Consumer, &j.Network, &tasks, &replicas, &j.Denom, &j.PricePerTask, &j.Escrow, &j.Paid, &j.Refunded, &j.Status,
		&verified, &failed, &j.ModuleSha256, &size, &deal, &inputs, &args, &memory, &timeout, &maxOut, &submit, &deadline, &submitted, &finished); err != nil {
		return nil, err
	}
	j.ID, j.TaskCount, j.Replicas, j.Verified, j.Failed = int(id), int(tasks), int(replicas), int(verified), int(failed)
	j.Running = max(0, j.TaskCount-j.Verified-j.Failed)
	j.ModuleSize, j.MemoryBytes = strconv.FormatInt(size, 10), strconv.FormatInt(memory, 10)
	if deal > 0 {
		d := int(deal)
		j.ModuleDeal = &d
	}
	j.Inputs, j.TimeoutMs, j.MaxOutputBytes = int(inputs), int(timeout), int(maxOut)
	if err := json.Unmarshal([]byte(args), &j.Args); err != nil || j.Args == nil {
		j.Args = []string{}
	}
	j.Submitted, j.Deadline = unixText(submit), unixText(deadline)
	j.SubmittedHeight = int(submitted)
	if finished > 0 {
		f := int(finished)
		j.FinishedHeight = &f
	}
	return &j, nil
}

func unixText(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }

func (r *Resolver) job(ctx context.Context, id int) (*ComputeJob, error) {
	if id < 1 {
		return nil, nil
	}
	j, err := scanJob(r.DB.QueryRowContext(ctx, `SELECT `+jobCols+` FROM compute_jobs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return j, err
}

// jobs pages through the jobs of a network and/or a consumer, newest first.
func (r *Resolver) jobs(ctx context.Context, network, consumer *string, first *int, after *string) (*ComputeJobConnection, error) {
	n, err := page(first)
	if err != nil {
		return nil, err
	}
	var w sqlWhere
	if network != nil {
		w.conds = append(w.conds, "network = "+w.arg(*network))
	}
	if consumer != nil {
		w.conds = append(w.conds, "consumer = "+w.arg(*consumer))
	}
	if len(w.conds) == 0 {
		return nil, fmt.Errorf("give network or consumer")
	}
	var total int
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM compute_jobs`+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, err
	}
	if after != nil {
		parts, err := decodeCursor(*after, 1)
		if err != nil {
			return nil, err
		}
		id, err := strconv.ParseInt(parts[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("after: not a cursor for this list")
		}
		w.conds = append(w.conds, "id < "+w.arg(id))
	}
	js, err := list(ctx, r.DB, scanJob, `SELECT `+jobCols+` FROM compute_jobs`+w.sql()+` ORDER BY id DESC LIMIT `+w.arg(n+1), w.args...)
	if err != nil {
		return nil, err
	}
	conn := &ComputeJobConnection{TotalCount: total, Edges: []*ComputeJobEdge{}, PageInfo: &PageInfo{}}
	for _, j := range js {
		if len(conn.Edges) == n {
			conn.PageInfo.HasNextPage = true
			break
		}
		conn.Edges = append(conn.Edges, &ComputeJobEdge{Cursor: encodeCursor(strconv.Itoa(j.ID)), Node: j})
	}
	if len(conn.Edges) > 0 {
		c := conn.Edges[len(conn.Edges)-1].Cursor
		conn.PageInfo.EndCursor = &c
	}
	return conn, nil
}

// jobTasks lists a job's tasks in index order. A task still waiting for
// commitments after its commit window closed, with some in, shows as
// REVEAL: the chain opens the reveal window then without an event
// (as of the newest indexed block's time).
func (r *Resolver) jobTasks(ctx context.Context, job int, first, after *int) ([]*ComputeTask, error) {
	n, err := page(first)
	if err != nil {
		return nil, err
	}
	from := -1
	if after != nil {
		from = *after
	}
	var now int64
	var latest string
	switch err := r.DB.QueryRowContext(ctx, `SELECT block_time FROM blocks ORDER BY height DESC LIMIT 1`).Scan(&latest); {
	case err == nil:
		if t, err := time.Parse(time.RFC3339Nano, latest); err == nil {
			now = t.Unix()
		}
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	return list(ctx, r.DB, func(row scanner) (*ComputeTask, error) {
		var t ComputeTask
		var jobID, idx, round, deadline, size, agreed, exit, stdoutSize, files int64
		var result string
		var committed, hasOutput bool
		if err := row.Scan(&jobID, &idx, &round, &t.Status, &deadline, &t.OutputHash, &size, &agreed, &t.Reason, &result, &exit, &t.Stdout, &stdoutSize, &files,
			&hasOutput, &committed); err != nil {
			return nil, err
		}
		t.Job, t.Index, t.Round, t.OutputSize, t.Agreed = int(jobID), int(idx), int(round), int(size), int(agreed)
		t.ExitCode, t.StdoutSize, t.FileCount = int(exit), int(stdoutSize), int(files)
		t.CommitDeadline = unixText(deadline)
		if t.Status == "COMMIT" && committed && now >= deadline {
			t.Status = "REVEAL"
		}
		if result != "" {
			t.Result = &result
		}
		if hasOutput {
			u := taskURL(t.Job, t.Index) + "/output"
			t.OutputURL = &u
		}
		return &t, nil
	}, `SELECT t.job, t.idx, t.round, t.status, t.commit_deadline, t.output_hash, t.output_size, t.agreed, t.reason, t.result, t.exit_code, t.stdout,
  t.stdout_size, t.files, t.output IS NOT NULL, EXISTS (SELECT 1 FROM compute_assignments a WHERE a.job = t.job AND a.task = t.idx AND a.round = t.round AND a.committed)
FROM compute_tasks t WHERE t.job = $1 AND t.idx > $2 ORDER BY t.idx LIMIT $3`, job, from, n)
}

// jobURL is where the API serves a job's outputs; taskURL one task's.
func jobURL(job int) string { return "/v1/compute/jobs/" + strconv.Itoa(job) }

func taskURL(job, task int) string { return jobURL(job) + "/tasks/" + strconv.Itoa(task) }

// fileURL is where the API serves a file of a task's output: each path
// element escaped.
func fileURL(job, task int, path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return taskURL(job, task) + "/files/" + strings.Join(parts, "/")
}

func (r *Resolver) taskFiles(ctx context.Context, t *ComputeTask, first *int) ([]*ComputeFile, error) {
	n, err := page(first)
	if err != nil {
		return nil, err
	}
	return list(ctx, r.DB, func(row scanner) (*ComputeFile, error) {
		var f ComputeFile
		var size int64
		if err := row.Scan(&f.Path, &size); err != nil {
			return nil, err
		}
		f.Size, f.URL = int(size), fileURL(t.Job, t.Index, f.Path)
		return &f, nil
	}, `SELECT path, size FROM compute_files WHERE job = $1 AND task = $2 ORDER BY idx LIMIT $3`, t.Job, t.Index, min(n, indexer.MaxTaskFiles))
}

func (r *Resolver) taskProviders(ctx context.Context, t *ComputeTask) ([]*ComputeAssignment, error) {
	return list(ctx, r.DB, func(row scanner) (*ComputeAssignment, error) {
		var a ComputeAssignment
		var round int64
		if err := row.Scan(&round, &a.Device, &a.Committed, &a.Revealed, &a.OutputHash, &a.Outcome, &a.Paid, &a.Slashed); err != nil {
			return nil, err
		}
		a.Round = int(round)
		switch {
		case a.Outcome != "":
			a.State = a.Outcome
		case a.Revealed:
			a.State = "REVEALED"
		case a.Committed:
			a.State = "COMMITTED"
		default:
			a.State = "ASSIGNED"
		}
		return &a, nil
	}, `SELECT round, device, committed, revealed, output_hash, outcome, paid, slashed FROM compute_assignments WHERE job = $1 AND task = $2
ORDER BY round, device LIMIT $3`, t.Job, t.Index, MaxTaskProviders)
}

func (r *Resolver) jobPayments(ctx context.Context, job int, last *int) ([]*ComputePayment, error) {
	n, err := lastN(last, 20)
	if err != nil {
		return nil, err
	}
	return list(ctx, r.DB, func(row scanner) (*ComputePayment, error) {
		var p ComputePayment
		var h, j, task int64
		if err := row.Scan(&h, &j, &task, &p.Device, &p.Owner, &p.Amount, &p.Denom); err != nil {
			return nil, err
		}
		p.Height, p.Job, p.Task = int(h), int(j), int(task)
		return &p, nil
	}, `SELECT height, job, task, device, owner, amount, denom FROM compute_payments WHERE job = $1 ORDER BY height DESC, tx_index DESC, seq DESC LIMIT $2`, job, n)
}

// penalties lists the penalties of a job or of a network (col), newest first.
func (r *Resolver) penalties(ctx context.Context, col string, key any, last *int) ([]*ComputePenalty, error) {
	n, err := lastN(last, 20)
	if err != nil {
		return nil, err
	}
	if col != "job" && col != "network" {
		return nil, fmt.Errorf("penalties by %q", col)
	}
	return list(ctx, r.DB, func(row scanner) (*ComputePenalty, error) {
		var p ComputePenalty
		var h, j, task int64
		if err := row.Scan(&h, &j, &task, &p.Device, &p.Reason, &p.Slashed); err != nil {
			return nil, err
		}
		p.Height, p.Job, p.Task = int(h), int(j), int(task)
		return &p, nil
	}, `SELECT height, job, task, device, reason, slashed FROM compute_penalties WHERE `+col+` = $1 ORDER BY height DESC, tx_index DESC, seq DESC LIMIT $2`, key, n)
}

func (r *Resolver) jobImage(ctx context.Context, j *ComputeJob) (*ComputeImage, error) {
	plan, err := planImage(ctx, r.DB, j.ID)
	if errors.Is(err, ErrNoImage) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &ComputeImage{URL: jobURL(j.ID) + "/image.png", Width: plan.width, Height: plan.height, Columns: plan.cols}, nil
}
