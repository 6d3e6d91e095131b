package indexer

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image/png"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/auth"
	apicompute "github.com/depinhq/depin/api/compute"
	"github.com/depinhq/depin/compute/sandbox"
	"github.com/depinhq/depin/crypto"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
)

// The compute market (x/compute) from its events and the txs that caused
// them. A job's terms (price, limits, deadline, module) come from the
// MsgSubmitJob its EventJobSubmitted answers; a task's output from the
// MsgRevealResult of each reveal: the index keeps every revealed output
// of a round, as the chain does, until the task is judged, and then
// keeps the one a majority agreed on (EventTaskVerified names its hash)
// and forgets the rest. So the index is a function of the blocks alone:
// it reads nothing from the chain's state, which may have been pruned
// when an indexer catches up. Outputs are bounded by the job's
// max_output_bytes (at most api/compute.MaxOutputCap).
//
// A verified output is decoded once, when it is indexed
// (sandbox.DecodeOutput): its status, exit code, the start of stdout,
// the first MaxTaskFiles files (path and size) and, for a task whose one
// file is a PNG, its size in pixels — so that the API lists tasks without
// reading outputs. An output that is not a sandbox output (the chain
// compares hashes only) is kept and listed with no result.
//
// Providers' running totals follow the chain's ProviderStats: assigned
// counts open assignments, agreed the verified majorities a provider was
// in, outvoted and missed its penalties, earned its payments (summed over
// denoms, saturating, as the chain does).

// Statuses and outcomes as the index stores them (upper case: the
// explorer's words() turns them into "Verified", "No majority" …).
const (
	jobRunning = "RUNNING"

	taskCommit   = "COMMIT"
	taskReveal   = "REVEAL"
	taskVerified = "VERIFIED"
	taskFailed   = "FAILED"

	outcomeAgreed       = "AGREED"        // in the verified majority
	outcomeOutvoted     = "OUTVOTED"      // revealed another output than the majority's: slashed
	outcomeNoCommitment = "NO_COMMITMENT" // missed the commit window
	outcomeNoReveal     = "NO_REVEAL"     // committed, missed the reveal window
	outcomeNoMajority   = "NO_MAJORITY"   // revealed; the round found no majority
	outcomeExpired      = "EXPIRED"       // the job ended (deadline, cancel) before the round was judged
)

// MaxTaskFiles bounds the files of one task's output the index lists (in
// path order); the API serves any of them by path.
const MaxTaskFiles = 100

// MaxStdoutText bounds the start of a task's stdout the index keeps as
// text (invalid UTF-8 and NUL bytes replaced).
const MaxStdoutText = 1024

// applyCompute updates the compute tables for one compute event; ok is
// false for events of other modules.
func (w *blockWriter) applyCompute(m proto.Message, t *auth.Tx) (ok bool, err error) {
	switch e := m.(type) {
	case *computev1.EventJobSubmitted:
		return true, w.jobSubmitted(e, t)
	case *computev1.EventTaskAssigned:
		return true, w.taskAssigned(e)
	case *computev1.EventResultCommitted:
		return true, w.resultCommitted(e)
	case *computev1.EventResultRevealed:
		return true, w.resultRevealed(e, t)
	case *computev1.EventTaskVerified:
		return true, w.taskVerified(e)
	case *computev1.EventTaskFailed:
		return true, w.taskFailed(e)
	case *computev1.EventProviderPaid:
		return true, w.providerPaid(e)
	case *computev1.EventProviderPenalized:
		return true, w.providerPenalized(e)
	case *computev1.EventJobFinished:
		return true, w.jobFinished(e)
	}
	return false, nil
}

func (w *blockWriter) execCompute(q string, args ...any) error {
	_, err := w.tx.ExecContext(w.ctx, q, args...)
	return err
}

// submitMsg finds the MsgSubmitJob of tx t that made job e: the first
// one not matched yet whose network, tasks, replicas, module and escrow
// are the event's (events come in message order), or nil.
func (w *blockWriter) submitMsg(e *computev1.EventJobSubmitted, t *auth.Tx) *computev1.MsgSubmitJob {
	if t == nil {
		return nil
	}
	for i, msg := range t.Body.Messages {
		m := msg.GetSubmitJob()
		key := [2]int{w.txIndex, i}
		if m == nil || w.submits[key] || m.Network != e.Network || m.Tasks != e.Tasks || m.Replicas != e.Replicas ||
			!bytes.Equal(m.GetModule().GetSha256(), e.ModuleSha256) {
			continue
		}
		if escrow, ok := apicompute.Escrow(m.Tasks, m.Replicas, m.PricePerTask); !ok || escrow != e.Escrow {
			continue
		}
		if w.submits == nil {
			w.submits = map[[2]int]bool{}
		}
		w.submits[key] = true
		return m
	}
	return nil
}

func (w *blockWriter) jobSubmitted(e *computev1.EventJobSubmitted, t *auth.Tx) error {
	m := w.submitMsg(e, t)
	if m == nil {
		// Without its message (a tx the index could not decode) the job
		// is indexed with what its event says.
		m = &computev1.MsgSubmitJob{}
	}
	args, _ := json.Marshal(append([]string{}, m.Args...))
	submit := w.blockTime.Unix()
	deadline := submit
	if m.DeadlineSeconds <= 1<<40 {
		deadline += int64(m.DeadlineSeconds)
	}
	l := m.GetLimits()
	return w.execCompute(`INSERT INTO compute_jobs (id, consumer, network, tasks, replicas, denom, price_per_task, escrow, paid, refunded, status, verified, failed,
  module_sha256, module_size, module_deal, inputs, args, memory_bytes, timeout_ms, max_output_bytes, submit_time, deadline, submitted_height, finished_height)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '0', '0', $9, 0, 0, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 0)`,
		int64(e.Id), e.Consumer, e.Network, int64(e.Tasks), int64(e.Replicas), e.Denom, dec(m.PricePerTask), dec(e.Escrow), jobRunning,
		hex.EncodeToString(e.ModuleSha256), clampInt64(m.GetModule().GetSize()), clampInt64(m.GetModule().GetDeal()), len(m.Inputs), string(args),
		clampInt64(l.GetMemoryBytes()), clampInt64(l.GetTimeoutMs()), int64(l.GetMaxOutputBytes()), submit, deadline, w.height)
}

// clampInt64 is v in a BIGINT column (values beyond 2^63-1 are not ones
// the chain accepts).
func clampInt64(v uint64) int64 { return int64(min(v, 1<<63-1)) }

// provider makes sure a device has its compute_providers row (in its
// device's network, else the job's).
func (w *blockWriter) provider(device string, job int64) error {
	return w.execCompute(`INSERT INTO compute_providers (device, network, assigned, agreed, outvoted, missed, earned, slashed)
VALUES ($1, COALESCE((SELECT network FROM devices WHERE id = $1), (SELECT network FROM compute_jobs WHERE id = $2), ''), 0, 0, 0, 0, '0', '0')
ON CONFLICT (device) DO NOTHING`, device, job)
}

// round is a task's current round (0 when the index has no such task).
func (w *blockWriter) round(job, task int64) (int64, error) {
	var r int64
	err := w.tx.QueryRowContext(w.ctx, `SELECT round FROM compute_tasks WHERE job = $1 AND idx = $2`, job, task).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return r, err
}

func (w *blockWriter) taskAssigned(e *computev1.EventTaskAssigned) error {
	job, task := int64(e.Job), int64(e.Task)
	have, err := w.round(job, task)
	if err != nil {
		return err
	}
	if have == 0 {
		err = w.execCompute(`INSERT INTO compute_tasks (job, idx, round, status, commit_deadline, output_hash, output, output_size, agreed, reason,
  result, exit_code, stdout, stdout_size, files, png_path, png_width, png_height, judged_height)
VALUES ($1, $2, $3, $4, $5, '', NULL, 0, 0, '', '', 0, '', 0, 0, '', 0, 0, 0)`, job, task, int64(e.Round), taskCommit, e.CommitDeadline)
	} else {
		// A new round: the one before found no majority.
		if err := w.closeRound(job, task, ""); err != nil {
			return err
		}
		err = w.execCompute(`UPDATE compute_tasks SET round = $1, status = $2, commit_deadline = $3 WHERE job = $4 AND idx = $5`,
			int64(e.Round), taskCommit, e.CommitDeadline, job, task)
	}
	if err != nil {
		return err
	}
	for _, d := range e.Devices {
		if err := w.execCompute(`INSERT INTO compute_assignments (job, task, round, device, open, committed, revealed, output_hash, output, outcome, paid, slashed)
VALUES ($1, $2, $3, $4, TRUE, FALSE, FALSE, '', NULL, '', '0', '0')`, job, task, int64(e.Round), d); err != nil {
			return err
		}
		if err := w.provider(d, job); err != nil {
			return err
		}
		if err := w.execCompute(`UPDATE compute_providers SET assigned = assigned + 1 WHERE device = $1`, d); err != nil {
			return err
		}
	}
	return nil
}

// closeRound ends the open assignments of a task's current round (it was
// judged, or its job ended): each leaves its provider's open count, its
// output is dropped, and one without an outcome yet gets one — AGREED if
// it revealed winner (hex; "" for none), NO_MAJORITY if it revealed
// otherwise, EXPIRED if it never revealed (penalized ones have theirs).
func (w *blockWriter) closeRound(job, task int64, winner string) error {
	round, err := w.round(job, task)
	if err != nil {
		return err
	}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT device, revealed, output_hash, outcome FROM compute_assignments
WHERE job = $1 AND task = $2 AND round = $3 AND open ORDER BY device`, job, task, round)
	if err != nil {
		return err
	}
	type open struct {
		device, hash, outcome string
		revealed              bool
	}
	var opens []open
	for rows.Next() {
		var o open
		if err := rows.Scan(&o.device, &o.revealed, &o.hash, &o.outcome); err != nil {
			rows.Close()
			return err
		}
		opens = append(opens, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, o := range opens {
		outcome := o.outcome
		switch {
		case outcome != "":
		case o.revealed && winner != "" && o.hash == winner:
			outcome = outcomeAgreed
		case o.revealed:
			outcome = outcomeNoMajority
		default:
			outcome = outcomeExpired
		}
		if err := w.execCompute(`UPDATE compute_assignments SET open = FALSE, outcome = $1, output = NULL WHERE job = $2 AND task = $3 AND round = $4 AND device = $5`,
			outcome, job, task, round, o.device); err != nil {
			return err
		}
		if err := w.execCompute(`UPDATE compute_providers SET assigned = CASE WHEN assigned > 0 THEN assigned - 1 ELSE 0 END WHERE device = $1`, o.device); err != nil {
			return err
		}
	}
	return nil
}

func (w *blockWriter) resultCommitted(e *computev1.EventResultCommitted) error {
	job, task := int64(e.Job), int64(e.Task)
	if err := w.execCompute(`UPDATE compute_assignments SET committed = TRUE
WHERE job = $1 AND task = $2 AND device = $3 AND round = (SELECT round FROM compute_tasks WHERE job = $1 AND idx = $2)`, job, task, e.Device); err != nil {
		return err
	}
	// Every provider committed: the reveal window opens at once.
	return w.execCompute(`UPDATE compute_tasks SET status = $1 WHERE job = $2 AND idx = $3 AND status = $4 AND NOT EXISTS (
  SELECT 1 FROM compute_assignments a WHERE a.job = $2 AND a.task = $3 AND a.round = compute_tasks.round AND NOT a.committed)`, taskReveal, job, task, taskCommit)
}

// revealMsg is the output a tx's MsgRevealResult revealed for e, or nil
// (no such message, or one whose output does not hash to e's hash).
func revealMsg(e *computev1.EventResultRevealed, t *auth.Tx) []byte {
	if t == nil {
		return nil
	}
	for _, msg := range t.Body.Messages {
		m := msg.GetRevealResult()
		if m == nil || m.Job != e.Job || m.Task != e.Task {
			continue
		}
		dev, err := crypto.AddressFromBytes(m.Device)
		if err != nil || crypto.DeviceString(dev) != e.Device {
			continue
		}
		if sum := sha256.Sum256(m.Output); bytes.Equal(sum[:], e.OutputHash) {
			return append([]byte{}, m.Output...)
		}
	}
	return nil
}

func (w *blockWriter) resultRevealed(e *computev1.EventResultRevealed, t *auth.Tx) error {
	job, task := int64(e.Job), int64(e.Task)
	var out any // NULL when the tx does not give it
	if b := revealMsg(e, t); b != nil {
		out = b
	}
	if err := w.execCompute(`UPDATE compute_assignments SET revealed = TRUE, output_hash = $1, output = $2
WHERE job = $3 AND task = $4 AND device = $5 AND round = (SELECT round FROM compute_tasks WHERE job = $3 AND idx = $4)`,
		hex.EncodeToString(e.OutputHash), out, job, task, e.Device); err != nil {
		return err
	}
	return w.execCompute(`UPDATE compute_tasks SET status = $1 WHERE job = $2 AND idx = $3 AND status = $4`, taskReveal, job, task, taskCommit)
}

func (w *blockWriter) taskVerified(e *computev1.EventTaskVerified) error {
	job, task, round := int64(e.Job), int64(e.Task), int64(e.Round)
	winner := hex.EncodeToString(e.OutputHash)
	var output []byte
	err := w.tx.QueryRowContext(w.ctx, `SELECT output FROM compute_assignments WHERE job = $1 AND task = $2 AND round = $3 AND output_hash = $4 AND output IS NOT NULL
ORDER BY device LIMIT 1`, job, task, round, winner).Scan(&output)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	r := decodeResult(output)
	var out any
	if output != nil {
		out = output
	}
	if err := w.execCompute(`UPDATE compute_tasks SET status = $1, output_hash = $2, output = $3, output_size = $4, agreed = $5, result = $6, exit_code = $7,
  stdout = $8, stdout_size = $9, files = $10, png_path = $11, png_width = $12, png_height = $13, judged_height = $14, round = $15 WHERE job = $16 AND idx = $17`,
		taskVerified, winner, out, len(output), int64(e.Agreed), r.status, int64(r.exitCode), r.stdout, r.stdoutSize, len(r.files),
		r.pngPath, r.pngWidth, r.pngHeight, w.height, round, job, task); err != nil {
		return err
	}
	if len(r.files) > 0 {
		n := min(len(r.files), MaxTaskFiles)
		rows := make([][]any, n)
		for i, f := range r.files[:n] {
			rows[i] = []any{job, task, i, textOf(f.Path), len(f.Data)}
		}
		if err := w.values(`INSERT INTO compute_files (job, task, idx, path, size) VALUES `, "", "", rows); err != nil {
			return err
		}
	}
	// Every provider that revealed the winning output was in the majority
	// (as the chain counts TasksAgreed, paid or not).
	if err := w.execCompute(`UPDATE compute_providers SET agreed = agreed + 1 WHERE device IN (
  SELECT device FROM compute_assignments WHERE job = $1 AND task = $2 AND round = $3 AND revealed AND output_hash = $4)`, job, task, round, winner); err != nil {
		return err
	}
	if err := w.closeRound(job, task, winner); err != nil {
		return err
	}
	return w.execCompute(`UPDATE compute_jobs SET verified = verified + 1 WHERE id = $1`, job)
}

func (w *blockWriter) taskFailed(e *computev1.EventTaskFailed) error {
	job, task := int64(e.Job), int64(e.Task)
	if err := w.execCompute(`UPDATE compute_tasks SET status = $1, reason = $2, judged_height = $3 WHERE job = $4 AND idx = $5`,
		taskFailed, e.Reason, w.height, job, task); err != nil {
		return err
	}
	if err := w.closeRound(job, task, ""); err != nil {
		return err
	}
	return w.execCompute(`UPDATE compute_jobs SET failed = failed + 1 WHERE id = $1`, job)
}

func (w *blockWriter) providerPaid(e *computev1.EventProviderPaid) error {
	job, task := int64(e.Job), int64(e.Task)
	if err := w.execCompute(`INSERT INTO compute_payments (height, tx_index, seq, network, job, task, device, owner, amount, denom)
VALUES ($1, $2, $3, COALESCE((SELECT network FROM compute_jobs WHERE id = $4), ''), $4, $5, $6, $7, $8, $9)`,
		w.height, w.txIndex, w.seq, job, task, e.Device, e.Owner, dec(e.Amount), e.Denom); err != nil {
		return err
	}
	if err := w.execCompute(`UPDATE compute_assignments SET outcome = $1, paid = $2
WHERE job = $3 AND task = $4 AND device = $5 AND round = (SELECT round FROM compute_tasks WHERE job = $3 AND idx = $4)`,
		outcomeAgreed, dec(e.Amount), job, task, e.Device); err != nil {
		return err
	}
	if err := w.provider(e.Device, job); err != nil {
		return err
	}
	var earned string
	if err := w.tx.QueryRowContext(w.ctx, `SELECT earned FROM compute_providers WHERE device = $1`, e.Device).Scan(&earned); err != nil {
		return err
	}
	if err := w.execCompute(`UPDATE compute_providers SET earned = $1 WHERE device = $2`, satAddDecimal(earned, e.Amount), e.Device); err != nil {
		return err
	}
	return w.addText(`compute_jobs`, `id`, job, map[string]uint64{"paid": e.Amount})
}

// penaltyOutcomes maps EventProviderPenalized's reasons to outcomes.
var penaltyOutcomes = map[string]string{"outvoted": outcomeOutvoted, "no commitment": outcomeNoCommitment, "no reveal": outcomeNoReveal}

func (w *blockWriter) providerPenalized(e *computev1.EventProviderPenalized) error {
	job, task := int64(e.Job), int64(e.Task)
	if err := w.execCompute(`INSERT INTO compute_penalties (height, tx_index, seq, network, job, task, device, reason, slashed)
VALUES ($1, $2, $3, COALESCE((SELECT network FROM compute_jobs WHERE id = $4), ''), $4, $5, $6, $7, $8)`,
		w.height, w.txIndex, w.seq, job, task, e.Device, e.Reason, dec(e.Slashed)); err != nil {
		return err
	}
	outcome, ok := penaltyOutcomes[e.Reason]
	if !ok {
		outcome = strings.ToUpper(strings.ReplaceAll(e.Reason, " ", "_"))
	}
	if err := w.execCompute(`UPDATE compute_assignments SET outcome = $1, slashed = $2
WHERE job = $3 AND task = $4 AND device = $5 AND round = (SELECT round FROM compute_tasks WHERE job = $3 AND idx = $4)`,
		outcome, dec(e.Slashed), job, task, e.Device); err != nil {
		return err
	}
	if err := w.provider(e.Device, job); err != nil {
		return err
	}
	col := "missed"
	if outcome == outcomeOutvoted {
		col = "outvoted"
	}
	if err := w.execCompute(`UPDATE compute_providers SET `+col+` = `+col+` + 1 WHERE device = $1`, e.Device); err != nil {
		return err
	}
	return w.addText(`compute_providers`, `device`, e.Device, map[string]uint64{"slashed": e.Slashed})
}

func (w *blockWriter) jobFinished(e *computev1.EventJobFinished) error {
	status := strings.TrimPrefix(e.Status.String(), "JOB_STATUS_")
	return w.execCompute(`UPDATE compute_jobs SET status = $1, verified = $2, failed = $3, paid = $4, refunded = $5, finished_height = $6 WHERE id = $7`,
		status, int64(e.Verified), int64(e.Failed), dec(e.Paid), dec(e.Refunded), w.height, int64(e.Id))
}

// taskResult is what the index keeps of a verified output's decoding.
type taskResult struct {
	status              string // sandbox.Status's name; "" when the output is not a sandbox output
	exitCode            uint32
	stdout              string
	stdoutSize          int
	files               []sandbox.File
	pngPath             string
	pngWidth, pngHeight int
}

// decodeResult decodes a verified output; a task whose result is OK
// with exactly one file, a PNG whose header decodes, has its path and
// size (the API's stitched image is made of such tiles).
func decodeResult(output []byte) taskResult {
	if output == nil {
		return taskResult{}
	}
	o, err := sandbox.DecodeOutput(output)
	if err != nil {
		return taskResult{}
	}
	r := taskResult{status: o.Status.String(), exitCode: o.ExitCode, stdoutSize: len(o.Stdout), files: o.Files}
	r.stdout = textOf(string(o.Stdout[:min(len(o.Stdout), MaxStdoutText)]))
	if o.Status == sandbox.OK && len(o.Files) == 1 && strings.HasSuffix(strings.ToLower(o.Files[0].Path), ".png") {
		if c, err := png.DecodeConfig(bytes.NewReader(o.Files[0].Data)); err == nil && c.Width > 0 && c.Height > 0 {
			r.pngPath, r.pngWidth, r.pngHeight = o.Files[0].Path, c.Width, c.Height
		}
	}
	return r
}

// textOf is s as a TEXT column can hold it: valid UTF-8 without NUL
// (PostgreSQL refuses both).
func textOf(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// satAddDecimal adds d to a decimal TEXT amount of 64 bits, saturating at
// 2^64-1 as the chain's ProviderStats.earned does (one that does not
// parse counts as 0).
func satAddDecimal(cur string, d uint64) string {
	v, _ := strconv.ParseUint(cur, 10, 64)
	s, carry := bits.Add64(v, d, 0)
	if carry != 0 {
		s = ^uint64(0)
	}
	return strconv.FormatUint(s, 10)
}
