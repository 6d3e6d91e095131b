package node

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/depinhq/depin/app"
	"github.com/depinhq/depin/store"
)

// InvariantViolationsPath is the file where a node with check_invariants
// appends one JSON line (InvariantViolation) per violated block. It lives
// in the data directory and survives restarts (kill -9 included), so a
// soak reads it after the fact.
func InvariantViolationsPath(home string) string {
	return filepath.Join(home, "data", "invariant-violations.log")
}

// InvariantViolation is one line of the violations file.
type InvariantViolation struct {
	Height int64     `json:"height"`
	Error  string    `json:"error"`
	Time   time.Time `json:"time"`
}

// InvariantStatus is what GET /v1/status reports of the checks (under
// "invariants") when check_invariants is on: since this process started,
// how many committed blocks were checked, the last one, and how many
// violated an invariant.
type InvariantStatus struct {
	Checked       uint64 `json:"checked"`
	CheckedHeight int64  `json:"checked_height"`
	Violations    uint64 `json:"violations"`
}

// invariantChecker runs app.CheckInvariants after every commit (the app's
// AfterCommit hook: serialized, once per committed height).
type invariantChecker struct {
	path string
	log  *slog.Logger

	mu sync.Mutex
	st InvariantStatus
}

func newInvariantChecker(home string, lg *slog.Logger) *invariantChecker {
	return &invariantChecker{path: InvariantViolationsPath(home), log: lg}
}

func (c *invariantChecker) afterCommit(height int64, r store.Reader) {
	err := app.CheckInvariants(r)
	c.mu.Lock()
	c.st.Checked++
	c.st.CheckedHeight = height
	if err != nil {
		c.st.Violations++
	}
	c.mu.Unlock()
	if err == nil {
		return
	}
	c.log.Error("invariant violated", "height", height, "err", err)
	if werr := c.record(InvariantViolation{Height: height, Error: err.Error(), Time: time.Now().UTC()}); werr != nil {
		c.log.Error("recording an invariant violation failed", "path", c.path, "err", werr)
	}
}

func (c *invariantChecker) record(v InvariantViolation) error {
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(c.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (c *invariantChecker) status() InvariantStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

// ReadInvariantViolations returns what a node home's violations file holds
// (none if there is no file). A line that does not decode (a write cut by
// a kill) is returned as a violation with the raw text as its error.
func ReadInvariantViolations(home string) ([]InvariantViolation, error) {
	f, err := os.Open(InvariantViolationsPath(home))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []InvariantViolation
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var v InvariantViolation
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			v = InvariantViolation{Error: fmt.Sprintf("undecodable line %q", sc.Text())}
		}
		out = append(out, v)
	}
	return out, sc.Err()
}
