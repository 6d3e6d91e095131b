package chaos

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/depinhq/depin/node"
)

// Outcomes of a tx in the summary.
const (
	outCommitted  = "committed"        // in a block, code 0
	outFailed     = "committed-failed" // in a block, code ≠ 0 (fee paid)
	outRejected   = "rejected"         // CheckTx said no
	outRefused    = "refused"          // the node was down or did not take it
	outSuperseded = "superseded"       // another tx of its signer with its sequence was committed
	outLostNode   = "lost-with-node"   // only in the mempool of a node that was then perturbed
	outUnknown    = "unknown"          // submission unanswered (node down) and not committed
	outLapsed     = "lapsed"           // accepted, then made invalid by a block step before inclusion (intent.mayLapse)
	outLost       = "LOST"             // accepted, never committed, unexplained: a violation
)

// verify runs the end checks over blocks 1..end (every node has them) and
// builds the summary.
func (s *Soak) verify(ctx context.Context, workStart, end int64) *Summary {
	sum := &Summary{
		Seed: s.cfg.Seed, Validators: s.cfg.Validators, FullNodes: s.cfg.FullNodes, Duration: s.cfg.Duration.String(),
		Dir: s.dir, Heights: map[string]int64{}, WorkloadStart: workStart, Compared: end,
		Invariants: map[string]int64{}, Perturbations: s.faults.all(),
	}
	for _, p := range s.nodes {
		if h, _, err := p.status(ctx); err == nil {
			sum.Heights[p.name] = h
		}
	}
	if powers, total := s.votingPowers(ctx); total > 0 {
		for _, p := range s.nodes {
			if p.validator && powers[p.consAddr] == 0 {
				sum.OutOfSet = append(sum.OutOfSet, p.name)
			}
		}
	}
	ref := s.checkBlocks(ctx, end, sum)
	s.checkStalls(ref, workStart, end, sum)
	s.checkInvariants(ctx, end, sum)
	s.checkTxs(ctx, sum)
	s.checkLogs()
	s.mu.Lock()
	sum.Violations = append([]string{}, s.violations...)
	s.mu.Unlock()
	sum.Passed = len(sum.Violations) == 0
	sum.Seconds = s.since(time.Now())
	s.writeRecords(sum)
	return sum
}

// checkBlocks compares every node's block at every height 1..end with
// node0's (block hash and app hash), and each node's own last app hash
// (ABCI info) with the header that commits to it; it returns node0's
// block metas by height.
func (s *Soak) checkBlocks(ctx context.Context, end int64, sum *Summary) map[int64]*cmttypes.BlockMeta {
	metas := make([]map[int64]*cmttypes.BlockMeta, len(s.nodes))
	var wg sync.WaitGroup
	for k, p := range s.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := headers(ctx, p, end)
			if err != nil {
				s.violation("reading %s's blocks 1..%d: %v", p.name, end, err)
			}
			metas[k] = m
		}()
	}
	wg.Wait()
	ref := metas[0]
	mismatches := 0
	for h := int64(1); h <= end; h++ {
		r := ref[h]
		for k := 1; k < len(s.nodes); k++ {
			m := metas[k][h]
			switch {
			case r == nil || m == nil:
				if mismatches++; mismatches <= 5 {
					s.violation("block %d missing on %s or %s", h, s.nodes[0].name, s.nodes[k].name)
				}
			case !bytes.Equal(m.BlockID.Hash, r.BlockID.Hash) || !bytes.Equal(m.Header.AppHash, r.Header.AppHash):
				if mismatches++; mismatches <= 5 {
					s.violation("height %d: %s has block %X (app hash %X), %s has %X (app hash %X)",
						h, s.nodes[0].name, r.BlockID.Hash, r.Header.AppHash, s.nodes[k].name, m.BlockID.Hash, m.Header.AppHash)
				}
			}
		}
	}
	if mismatches > 5 {
		s.violation("… and %d more block mismatches", mismatches-5)
	}
	for _, p := range s.nodes {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		info, err := p.rpc.ABCIInfo(qctx)
		cancel()
		if err != nil {
			s.violation("ABCI info of %s: %v", p.name, err)
			continue
		}
		h := info.Response.LastBlockHeight
		if r := ref[h+1]; r != nil && !bytes.Equal(r.Header.AppHash, info.Response.LastBlockAppHash) {
			s.violation("%s computed app hash %X at height %d; the chain's header %d says %X", p.name, info.Response.LastBlockAppHash, h, h+1, r.Header.AppHash)
		}
	}
	return ref
}

// headers reads a node's block metas 1..end, 20 per request.
func headers(ctx context.Context, p *nodeProc, end int64) (map[int64]*cmttypes.BlockMeta, error) {
	out := map[int64]*cmttypes.BlockMeta{}
	for lo := int64(1); lo <= end; lo += 20 {
		hi := min(lo+19, end)
		var err error
		for try := 0; try < 3; try++ {
			qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			res, e := p.rpc.BlockchainInfo(qctx, lo, hi)
			cancel()
			if err = e; err == nil {
				for _, m := range res.BlockMetas {
					out[m.Header.Height] = m
				}
				break
			}
			sleep(ctx, 500*time.Millisecond)
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// stallBound is how long the chain may stand still: three rounds with a
// silent proposer (propose timeout plus the commit pause each) and the
// configured slack, plus any time more than a third of the power was down.
func (s *Soak) stallBound(overThird float64) time.Duration {
	return 3*(s.timeoutPropose+s.timeoutCommit) + s.cfg.StallSlack + time.Duration(overThird*float64(time.Second))
}

// checkStalls compares the longest stand-still seen live (the highest
// height over all nodes) and the longest gap between consecutive block
// times with the bound the perturbations explain.
func (s *Soak) checkStalls(ref map[int64]*cmttypes.BlockMeta, workStart, end int64, sum *Summary) {
	stall, height, at := s.mon.longestStall()
	sum.MaxStall, sum.MaxStallHeight, sum.MaxStallAt = stall.Seconds(), height, at
	for h := max(workStart, 2) + 1; h <= end; h++ {
		a, b := ref[h-1], ref[h]
		if a == nil || b == nil {
			continue
		}
		if gap := b.Header.Time.Sub(a.Header.Time).Seconds(); gap > sum.MaxBlockGap {
			sum.MaxBlockGap, sum.MaxBlockGapHeight = gap, h
		}
	}
	sum.OverThirdDown = overlapSeconds(sum.Perturbations, s.since(time.Now()))
	bound := s.stallBound(sum.OverThirdDown)
	sum.StallBound = bound.Seconds()
	if stall > bound {
		s.violation("the chain stood still at height %d for %.1fs (from %.1fs), longer than the %.1fs the perturbations explain", height, stall.Seconds(), at, bound.Seconds())
	}
	if sum.MaxBlockGap > bound.Seconds() {
		s.violation("blocks %d and %d are %.1fs apart, longer than the %.1fs the perturbations explain", sum.MaxBlockGapHeight-1, sum.MaxBlockGapHeight, sum.MaxBlockGap, bound.Seconds())
	}
}

// checkInvariants reads every node's violations file, and checks through
// GET /v1/status that each node checked the books up to the end.
func (s *Soak) checkInvariants(ctx context.Context, end int64, sum *Summary) {
	for _, p := range s.nodes {
		vs, err := node.ReadInvariantViolations(p.home)
		if err != nil {
			s.violation("reading %s's invariant violations: %v", p.name, err)
		}
		for i, v := range vs {
			if i == 5 {
				s.violation("… %s recorded %d invariant violations in all", p.name, len(vs))
				break
			}
			s.violation("%s: invariant violated at height %d: %s", p.name, v.Height, v.Error)
		}
		st, err := invariantStatus(ctx, p)
		if err != nil {
			s.violation("%s: invariant status: %v", p.name, err)
			continue
		}
		sum.Invariants[p.name] = st.CheckedHeight
		if st.CheckedHeight < end-1 {
			s.violation("%s checked invariants only up to height %d (of %d)", p.name, st.CheckedHeight, end)
		}
	}
}

func invariantStatus(ctx context.Context, p *nodeProc) (*node.InvariantStatus, error) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(qctx, http.MethodGet, "http://"+p.ports.API+"/v1/status", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Invariants *node.InvariantStatus `json:"invariants"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	if out.Invariants == nil {
		return nil, fmt.Errorf("GET /v1/status has no invariants: check_invariants is off")
	}
	return out.Invariants, nil
}

// found is where a tx was found committed on one node.
type found struct {
	height int64
	code   uint32
	err    error // lookup failed (not: not found)
}

// checkTxs looks every submitted tx up on every node and classifies it.
func (s *Soak) checkTxs(ctx context.Context, sum *Summary) {
	recs := s.sd.book.all()
	where := make([][]found, len(recs))
	type job struct{ r, k int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				where[j.r][j.k] = lookup(ctx, s.nodes[j.k], recs[j.r].Hash)
			}
		}()
	}
	for i := range recs {
		where[i] = make([]found, len(s.nodes))
		for k := range s.nodes {
			jobs <- job{i, k}
		}
	}
	close(jobs)
	wg.Wait()

	committedSeq := map[string]bool{} // signer/sequence of committed txs
	for i, r := range recs {
		for _, f := range where[i] {
			if f.height > 0 {
				committedSeq[fmt.Sprintf("%s/%d", r.Signer, r.Sequence)] = true
			}
		}
	}
	sum.Txs = TxSummary{Total: len(recs), ByOutcome: map[string]int{}, ByKind: map[string]map[string]int{}}
	missing := 0
	for i, r := range recs {
		var on, off []string
		var height int64
		var code uint32
		for k, f := range where[i] {
			switch {
			case f.err != nil:
				s.violation("looking tx %s up on %s: %v", r.Hash, s.nodes[k].name, f.err)
			case f.height > 0:
				on = append(on, s.nodes[k].name)
				if height != 0 && (f.height != height || f.code != code) {
					s.violation("tx %s (%s) is at height %d code %d on one node and %d code %d on %s", r.Hash, r.Kind, height, code, f.height, f.code, s.nodes[k].name)
				}
				height, code = f.height, f.code
			default:
				off = append(off, s.nodes[k].name)
			}
		}
		var outcome string
		switch {
		case len(on) > 0:
			outcome = outCommitted
			if code != 0 {
				outcome = outFailed
			}
			if len(off) > 0 {
				if missing++; missing <= 10 {
					s.violation("tx %s (%s) committed at height %d is found on %s but not on %s", r.Hash, r.Kind, height, strings.Join(on, ","), strings.Join(off, ","))
				}
			}
			if r.ExpectFail && code == 0 {
				s.violation("tx %s (%s, must fail) was committed with success at height %d", r.Hash, r.Kind, height)
			}
			if r.Height != 0 && r.Height != height {
				s.violation("tx %s (%s) was seen at height %d, and is now at %d", r.Hash, r.Kind, r.Height, height)
			}
			r.Height, r.Code = height, code
		case r.Check == checkRejected:
			outcome = outRejected
		case r.Check == checkRefused:
			outcome = outRefused
		case committedSeq[fmt.Sprintf("%s/%d", r.Signer, r.Sequence)]:
			outcome = outSuperseded
		case r.Check == checkUnknown:
			outcome = outUnknown
			r.Explained = s.perturbedAround(r)
		case r.MayLapse:
			outcome = outLapsed
			r.Explained = "a block step may invalidate it after CheckTx (recheck drops it)"
		case s.perturbedAround(r) != "":
			outcome = outLostNode
			r.Explained = s.perturbedAround(r)
			sum.Lost = append(sum.Lost, r)
		default:
			outcome = outLost
			s.violation("tx %s (%s, seq %d of %s) was accepted by %s's CheckTx at %.1fs and never committed, and %s was not perturbed then",
				r.Hash, r.Kind, r.Sequence, r.Signer, r.Node, r.Submitted, r.Node)
		}
		r.Outcome = outcome
		sum.Txs.ByOutcome[outcome]++
		if sum.Txs.ByKind[r.Kind] == nil {
			sum.Txs.ByKind[r.Kind] = map[string]int{}
		}
		sum.Txs.ByKind[r.Kind][outcome]++
	}
	if missing > 10 {
		s.violation("… %d committed txs in all are missing on some node", missing)
	}
}

// lookup finds a tx by hash on a node (CometBFT /tx).
func lookup(ctx context.Context, p *nodeProc, hashHex string) found {
	hash, err := hex.DecodeString(hashHex)
	if err != nil {
		return found{err: err}
	}
	for try := 0; ; try++ {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		res, err := p.rpc.Tx(qctx, hash, false)
		cancel()
		switch {
		case err == nil:
			return found{height: res.Height, code: res.TxResult.Code}
		case strings.Contains(err.Error(), "not found"):
			return found{}
		case try == 3 || ctx.Err() != nil:
			return found{err: err}
		}
		sleep(ctx, 500*time.Millisecond)
	}
}

// perturbedAround names the perturbation of the node a tx was submitted
// to while the tx waited to be committed, or "".
func (s *Soak) perturbedAround(r *TxRecord) string {
	from, to := r.Submitted-1, r.Submitted+s.cfg.TxWait.Seconds()
	for _, p := range s.faults.all() {
		if p.node != r.node {
			continue
		}
		end := p.Recovered
		if end == 0 {
			end = p.Lifted
		}
		if p.Start <= to && end >= from {
			return fmt.Sprintf("%s %s at %.1fs", p.Kind, p.Node, p.Start)
		}
	}
	return ""
}

// logAlarms are lines no node log may hold.
var logAlarms = []string{"CONSENSUS FAILURE", "panic:", "fatal error:", "wrong Block.Header.AppHash", "invariant violated"}

// checkLogs scans every node's log for alarms.
func (s *Soak) checkLogs() {
	for _, p := range s.nodes {
		f, err := os.Open(p.logPath())
		if err != nil {
			s.violation("%s: %v", p.name, err)
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		hits := 0
		for sc.Scan() {
			line := sc.Text()
			for _, a := range logAlarms {
				if strings.Contains(line, a) {
					if hits++; hits <= 3 {
						s.violation("%s's log: %s", p.name, oneLine(line))
					}
					break
				}
			}
		}
		if hits > 3 {
			s.violation("%s's log has %d alarming lines in all (%s)", p.name, hits, p.logPath())
		}
		f.Close()
	}
}

// writeRecords keeps the summary and every tx record next to the homes,
// for a look after the fact.
func (s *Soak) writeRecords(sum *Summary) {
	recs := s.sd.book.all()
	sort.Slice(recs, func(i, j int) bool { return recs[i].ID < recs[j].ID })
	for name, v := range map[string]any{"chaos-summary.json": sum, "chaos-txs.json": recs} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err == nil {
			err = os.WriteFile(filepath.Join(s.dir, name), b, 0o644)
		}
		if err != nil {
			s.log.Warn("writing soak records", "file", name, "err", err)
		}
	}
}
