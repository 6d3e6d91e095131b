package storagenode

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/crypto"
)

// serialKey is an order's owner and serial: each owner's serials are its
// own, so nobody can spend another account's serial before it does.
type serialKey [crypto.AddressLen + storage.SerialLen]byte

// serials is the replay memory: every order's (owner, serial) until the
// order expires. It is appended to a file as orders are honoured (no
// fsync per order: a crash may forget the last few, whose orders expire
// within MaxOrderTTL anyway) and rewritten without expired entries when
// they are most of it, so a restarted node still refuses a replay.
type serials struct {
	path string

	mu      sync.Mutex
	live    map[serialKey]int64 // → expiry, unix seconds
	f       *os.File
	written int // records in the file
}

const serialRecord = len(serialKey{}) + 8

func openSerials(dir string, now int64) (*serials, error) {
	s := &serials{path: filepath.Join(dir, "serials"), live: map[serialKey]int64{}}
	f, err := os.Open(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		r := bufio.NewReader(f)
		rec := make([]byte, serialRecord)
		for {
			if _, err := io.ReadFull(r, rec); err != nil {
				break // the end, or a record a crash cut short
			}
			var k serialKey
			copy(k[:], rec)
			if exp := int64(binary.BigEndian.Uint64(rec[len(k):])); exp > now {
				s.live[k] = exp
			}
		}
		f.Close()
	}
	if err := s.rewrite(); err != nil {
		return nil, err
	}
	return s, nil
}

// rewrite replaces the file with the live entries (mu held, or before
// use).
func (s *serials) rewrite() error {
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for k, exp := range s.live {
		w.Write(k[:])
		w.Write(binary.BigEndian.AppendUint64(nil, uint64(exp)))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	if err := os.Rename(tmp, s.path); err != nil {
		return err
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f, err = os.OpenFile(s.path, os.O_APPEND|os.O_WRONLY, 0o600)
	s.written = len(s.live)
	return err
}

// use spends an order's serial: ErrReplay if it was spent before.
func (s *serials) use(owner crypto.Address, serial []byte, expires, now int64) error {
	var k serialKey
	copy(k[:], owner[:])
	copy(k[crypto.AddressLen:], serial)
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.live[k]; ok && exp > now {
		return ErrReplay
	}
	s.live[k] = expires
	if _, err := s.f.Write(append(k[:], binary.BigEndian.AppendUint64(nil, uint64(expires))...)); err != nil {
		return err
	}
	s.written++
	if s.written >= 2*max(len(s.live), 512) { // amortized: at most one rewrite per as many records as are live
		for k, exp := range s.live {
			if exp <= now {
				delete(s.live, k)
			}
		}
		return s.rewrite()
	}
	return nil
}

// forget drops expired serials from memory (they stay in the file until
// the next rewrite).
func (s *serials) forget(now int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, exp := range s.live {
		if exp <= now {
			delete(s.live, k)
		}
	}
}

func (s *serials) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
