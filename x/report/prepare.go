package report

import (
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/crypto"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// Prepared is a batch decoded and signature-checked ahead of execution,
// which may be done in parallel; execution then only reads it.
type Prepared struct {
	Reports []*Decoded // nil where decoding failed
	Errs    []error    // decoding errors by index
	SigOK   []bool     // signature validity by index
	// Devices holds the batch's device records as read from the last
	// committed state while the signatures were being verified (nil value:
	// no such device). Execution uses an entry only for a key the block
	// has not written yet, so it is exactly what a read would return.
	Devices map[crypto.DeviceID][]byte
}

// Prefetcher reads device records of the last committed state; it is
// called on its own goroutine during Prepare.
type Prefetcher func(ids []crypto.DeviceID) map[crypto.DeviceID][]byte

// PrepareOptions tune Prepare; the zero value verifies on one goroutine.
type PrepareOptions struct {
	Workers int // goroutines verifying signatures (≤ 1: one)
	// Prefetch, if not nil, reads the batch's device records on another
	// goroutine while the signatures are verified.
	Prefetch Prefetcher
	// Keys, if not nil, holds expanded device keys that make verification
	// cheaper (and gains the keys of reports that verify); results are the
	// same without it.
	Keys *crypto.KeyCache
}

// Prepare decodes every report of a batch and batch-verifies the
// signatures on up to o.Workers goroutines. Results are stored by index,
// so they never depend on scheduling.
func Prepare(chainID string, m *reportv1.MsgReportBatch, o PrepareOptions) *Prepared {
	workers, prefetch := o.Workers, o.Prefetch
	n := len(m.Reports)
	p := &Prepared{Reports: make([]*Decoded, n), Errs: make([]error, n), SigOK: make([]bool, n)}
	if n == 0 {
		return p
	}
	workers = max(1, min(workers, n/64+1))
	chunk := (n + workers - 1) / workers
	var decoded, verified sync.WaitGroup
	decoded.Add((n + chunk - 1) / chunk)
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		verified.Add(1)
		go func() {
			defer verified.Done()
			entries := make([]crypto.BatchEntry, 0, hi-lo)
			pos := make([]int, 0, hi-lo)
			for i := lo; i < hi; i++ {
				d, err := decodeInBatch(m.Reports[i])
				p.Reports[i], p.Errs[i] = d, err
				if err == nil {
					entries = append(entries, crypto.BatchEntry{PubKey: d.PubKey, Message: d.SignBytes(chainID), Sig: d.Signed.Signature})
					pos = append(pos, i)
				}
			}
			decoded.Done()
			for j, ok := range crypto.BatchVerifyWith(entries, o.Keys) {
				p.SigOK[pos[j]] = ok
			}
		}()
	}
	if prefetch != nil {
		decoded.Wait()
		p.Prefetch(prefetch)
	}
	verified.Wait()
	return p
}

// Prefetch sets p.Devices to the batch's device records read with
// prefetch; it reads only p.Reports and writes only p.Devices.
func (p *Prepared) Prefetch(prefetch Prefetcher) {
	seen := make(map[crypto.DeviceID]bool, len(p.Reports))
	ids := make([]crypto.DeviceID, 0, len(p.Reports))
	for _, d := range p.Reports {
		if d != nil && !seen[d.Device] {
			seen[d.Device] = true
			ids = append(ids, d.Device)
		}
	}
	p.Devices = prefetch(ids)
}

// decodeInBatch decodes one SignedReport of a batch; its raw form is its
// deterministic encoding.
func decodeInBatch(s *reportv1.SignedReport) (*Decoded, error) {
	if s == nil {
		return nil, ErrMalformed
	}
	if proto.Size(s) > MaxSignedReportBytes {
		return nil, ErrMalformed
	}
	return DecodeSigned(s, nil)
}
