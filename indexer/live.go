package indexer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Update is what live subscribers get after each indexed block.
type Update struct {
	Height  int64                  `json:"height"`
	Time    string                 `json:"time"`
	Txs     int                    `json:"txs"`
	Reports map[string]ReportCount `json:"reports,omitempty"` // by device
}

// ReportCount is a device's report outcomes in one block.
type ReportCount struct {
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
}

// MaxSubscribers bounds live subscriptions.
const MaxSubscribers = 1000

type broker struct {
	mu   sync.Mutex
	subs map[chan Update]struct{}
}

func (b *broker) subscribe() (chan Update, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[chan Update]struct{}{}
	}
	if len(b.subs) >= MaxSubscribers {
		return nil, fmt.Errorf("too many live subscribers (%d)", MaxSubscribers)
	}
	ch := make(chan Update, 64)
	b.subs[ch] = struct{}{}
	return ch, nil
}

func (b *broker) unsubscribe(ch chan Update) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, ch)
}

// publish never blocks the indexer: a subscriber too slow to keep 64
// updates buffered misses updates (it can re-read from the API).
func (b *broker) publish(u Update) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- u:
		default:
		}
	}
}

// Subscribe returns a channel of updates, one per indexed block, and a
// function to stop.
func (ix *Indexer) Subscribe() (<-chan Update, func(), error) {
	ch, err := ix.live.subscribe()
	if err != nil {
		return nil, nil, err
	}
	return ch, func() { ix.live.unsubscribe(ch) }, nil
}

// LiveHandler streams updates as server-sent events: "block" events for
// every indexed block, and with ?device=ID "reports" events for that
// device's reports.
func (ix *Indexer) LiveHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fl, ok := w.(http.Flusher)
		if !ok {
			http.Error(w, "streaming unsupported", http.StatusInternalServerError)
			return
		}
		device := r.URL.Query().Get("device")
		if len(device) > 100 {
			http.Error(w, "device: too long", http.StatusBadRequest)
			return
		}
		ch, stop, err := ix.Subscribe()
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		defer stop()
		// A stream outlives the server's write timeout (meant for
		// ordinary requests): each write gets its own deadline instead.
		rc := http.NewResponseController(w)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, ": depin live updates\n\n")
		fl.Flush()
		keepalive := time.NewTicker(15 * time.Second)
		defer keepalive.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-keepalive.C:
				rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
				fmt.Fprint(w, ": keepalive\n\n")
				fl.Flush()
			case u := <-ch:
				rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
				block := u
				block.Reports = nil
				js, _ := json.Marshal(block)
				fmt.Fprintf(w, "event: block\ndata: %s\n\n", js)
				if c, ok := u.Reports[device]; ok && device != "" {
					js, _ := json.Marshal(map[string]any{"height": u.Height, "device": device, "accepted": c.Accepted, "rejected": c.Rejected})
					fmt.Fprintf(w, "event: reports\ndata: %s\n\n", js)
				}
				fl.Flush()
			}
		}
	})
}
