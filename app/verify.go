package app

import (
	"crypto/sha256"
	"sync"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/report"
)

// decoded is a transaction decoded and signature-checked ahead of
// execution.
type decoded struct {
	tx   *auth.Tx
	err  error
	prep map[int]*report.Prepared // by message index
}

// decodeAll decodes every tx of a block and batch-verifies the
// signatures, in parallel over contiguous chunks; results are stored by
// index so they never depend on scheduling.
func (a *App) decodeAll(txs [][]byte, committed store.Reader) []decoded {
	out := make([]decoded, len(txs))
	hashes := make([][32]byte, len(txs))
	workers := min(a.cfg.SigWorkers, len(txs))
	if workers == 0 {
		return out
	}
	chunk := (len(txs) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(txs); lo += chunk {
		hi := min(lo+chunk, len(txs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			entries := make([]crypto.BatchEntry, 0, hi-lo)
			pos := make([]int, 0, hi-lo)
			for i := lo; i < hi; i++ {
				hashes[i] = sha256.Sum256(txs[i])
				tx, verified, err := a.sigs.decode(hashes[i], txs[i])
				out[i] = decoded{tx: tx, err: err}
				if err == nil && !verified {
					entries = append(entries, crypto.BatchEntry{PubKey: tx.PubKey, Message: tx.SignBytes(a.cfg.ChainID), Sig: tx.Signature})
					pos = append(pos, i)
				}
			}
			for j, ok := range crypto.BatchVerify(entries) {
				if !ok {
					i := pos[j]
					out[i].err = out[i].tx.SignatureError(a.cfg.ChainID)
				}
			}
		}()
	}
	wg.Wait()
	// Report batches: decode and batch-verify every report, each batch
	// spread over all workers, reading the batch's device records from the
	// last committed state meanwhile.
	var prefetch report.Prefetcher
	if committed != nil {
		prefetch = func(ids []crypto.DeviceID) map[crypto.DeviceID][]byte {
			m := make(map[crypto.DeviceID][]byte, len(ids))
			for _, id := range ids {
				k := device.Key(id)
				m[id] = a.devices.Get(k, func() []byte { return committed.Get(k) })
			}
			return m
		}
	}
	// Batches CheckTx verified only need their device records read; the
	// others are verified now.
	var pending sync.WaitGroup
	for i := range out {
		if out[i].err != nil {
			continue
		}
		cached := a.preps.get(hashes[i])
		for j, m := range out[i].tx.Body.Messages {
			if rb := m.GetReportBatch(); rb != nil && len(rb.Reports) <= report.MaxBatchReports {
				if out[i].prep == nil {
					out[i].prep = map[int]*report.Prepared{}
				}
				if p := cached[j]; p != nil && len(p.Reports) == len(rb.Reports) {
					q := *p
					out[i].prep[j] = &q
					if prefetch != nil {
						pending.Add(1)
						go func() {
							defer pending.Done()
							q.Prefetch(prefetch)
						}()
					}
					continue
				}
				out[i].prep[j] = report.Prepare(a.cfg.ChainID, rb, report.PrepareOptions{Workers: a.cfg.SigWorkers, Prefetch: prefetch, Keys: a.keys})
			}
		}
	}
	pending.Wait()
	return out
}
