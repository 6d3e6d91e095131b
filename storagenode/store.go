package storagenode

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/crypto"
)

// Errors of the piece store and the HTTP API. Each is answered with its
// own status and code (http.go); they describe the request, never a
// fault of the node.
var (
	ErrNoSpace       = errors.New("the node has no room for this piece")
	ErrBodyTooLarge  = errors.New("the body is longer than the order's size")
	ErrBodyTooShort  = errors.New("the body is shorter than the order's size")
	ErrPieceTooLarge = errors.New("the piece is larger than the node takes")
	ErrPieceExists   = errors.New("a piece with this id and other bytes is stored")
	ErrPieceBusy     = errors.New("this piece is being uploaded by another request")
	ErrNotFound      = errors.New("no such piece")
	ErrNotOwner      = errors.New("the piece belongs to another account")
	ErrReplay        = errors.New("this order was used before (its serial is spent)")
	ErrBadRequest    = errors.New("bad request")
)

// A piece file is a fixed header followed by the piece's bytes:
//
//	magic "depinpc1" | owner 20B | root 32B | leaf size u32 | stored unix i64 | size u64 | bytes
//
// so one rename makes a piece and everything known of it appear at once.
const headerSize = 8 + crypto.AddressLen + storage.HashSize + 4 + 8 + 8

var magic = []byte("depinpc1")

// PieceID is a piece's id (api/storage.PieceID).
type PieceID [storage.PieceIDLen]byte

func (id PieceID) String() string { return hex.EncodeToString(id[:]) }

// ParsePieceID reads a piece id written in hex.
func ParsePieceID(s string) (PieceID, error) {
	var id PieceID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("%w: a piece id is %d hex digits", ErrBadRequest, 2*len(id))
	}
	copy(id[:], b)
	return id, nil
}

// PieceInfo is what the node knows of a stored piece.
type PieceInfo struct {
	ID       PieceID
	Owner    crypto.Address
	Root     []byte // Merkle root of its bytes at LeafSize
	LeafSize uint32
	Size     uint64
	Stored   time.Time
}

func (p *PieceInfo) header() []byte {
	b := make([]byte, 0, headerSize)
	b = append(b, magic...)
	b = append(b, p.Owner[:]...)
	b = append(b, p.Root...)
	b = binary.BigEndian.AppendUint32(b, p.LeafSize)
	b = binary.BigEndian.AppendUint64(b, uint64(p.Stored.Unix()))
	return binary.BigEndian.AppendUint64(b, p.Size)
}

func parseHeader(id PieceID, b []byte) (*PieceInfo, error) {
	if len(b) != headerSize || !bytes.Equal(b[:8], magic) {
		return nil, errors.New("not a piece file")
	}
	p := &PieceInfo{ID: id}
	b = b[8:]
	copy(p.Owner[:], b)
	b = b[crypto.AddressLen:]
	p.Root = bytes.Clone(b[:storage.HashSize])
	b = b[storage.HashSize:]
	p.LeafSize = binary.BigEndian.Uint32(b)
	p.Stored = time.Unix(int64(binary.BigEndian.Uint64(b[4:])), 0)
	p.Size = binary.BigEndian.Uint64(b[12:])
	return p, nil
}

// Store keeps pieces on disk under dir/pieces, each in one file, and
// accounts their bytes against a capacity. It is safe for concurrent use.
type Store struct {
	dir      string
	capacity uint64
	log      *slog.Logger

	mu       sync.Mutex
	pieces   map[PieceID]*PieceInfo
	used     uint64 // bytes of stored pieces
	reserved uint64 // bytes of pieces being written
	busy     map[PieceID]bool
	dirs     map[string]bool // fan-out directories known to exist
}

// writeBufSize is how much of a piece goes to the file per write: a
// request body arrives in small reads, and a write per read cost more CPU
// than hashing the piece (depin bench storage).
const writeBufSize = 1 << 20

// writeBufs hold what is read of a request body before it is written to
// the file and hashed.
var writeBufs = sync.Pool{New: func() any { b := make([]byte, writeBufSize); return &b }}

// copyBufs hold what one read of a request body takes (io.Copy's 32 KiB
// made it a syscall per 32 KiB).
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// OpenStore opens (or creates) the piece store in dir: it removes the
// temp files an interrupted write left and reads every piece's header.
// A file that is not a whole piece is moved aside to dir/corrupt.
func OpenStore(dir string, capacity uint64, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{dir: dir, capacity: capacity, log: log, pieces: map[PieceID]*PieceInfo{}, busy: map[PieceID]bool{}, dirs: map[string]bool{}}
	for _, d := range []string{s.tmpDir(), filepath.Join(dir, "pieces")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	tmps, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return nil, err
	}
	for _, e := range tmps {
		_ = os.Remove(filepath.Join(s.tmpDir(), e.Name()))
	}
	err = filepath.WalkDir(filepath.Join(dir, "pieces"), func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		id, perr := ParsePieceID(e.Name())
		var p *PieceInfo
		if perr == nil {
			p, perr = readInfo(path, id)
		}
		if perr != nil {
			log.Warn("moving aside a file that is not a piece", "file", path, "err", perr)
			if err := os.MkdirAll(filepath.Join(dir, "corrupt"), 0o700); err != nil {
				return err
			}
			return os.Rename(path, filepath.Join(dir, "corrupt", e.Name()))
		}
		s.pieces[id] = p
		s.used += p.Size
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.used > capacity {
		log.Warn("the pieces stored take more than the capacity: no new piece fits until some are deleted", "used", s.used, "capacity", capacity)
	}
	return s, nil
}

func readInfo(path string, id PieceID) (*PieceInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hdr := make([]byte, headerSize)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return nil, err
	}
	p, err := parseHeader(id, hdr)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if uint64(st.Size()) != headerSize+p.Size {
		return nil, fmt.Errorf("%d bytes, the header says %d", st.Size()-headerSize, p.Size)
	}
	return p, nil
}

func (s *Store) tmpDir() string { return filepath.Join(s.dir, "tmp") }

func (s *Store) path(id PieceID) string {
	h := id.String()
	return filepath.Join(s.dir, "pieces", h[:2], h)
}

// Info returns a stored piece's record.
func (s *Store) Info(id PieceID) (*PieceInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pieces[id]
	return p, ok
}

// Usage is the bytes and count of stored pieces, and the capacity.
func (s *Store) Usage() (used, pieces, capacity uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used, uint64(len(s.pieces)), s.capacity
}

// List returns every stored piece, in id order.
func (s *Store) List() []*PieceInfo {
	s.mu.Lock()
	out := make([]*PieceInfo, 0, len(s.pieces))
	for _, p := range s.pieces {
		out = append(out, p)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b *PieceInfo) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return out
}

// Piece is an open stored piece: its bytes, and what is known of it.
type Piece struct {
	*io.SectionReader
	Info *PieceInfo
	f    *os.File
}

// Close closes the piece's file.
func (p *Piece) Close() error { return p.f.Close() }

// WriteTo writes the piece's bytes to w from the file itself, so that a
// response to a download is sent by the kernel (sendfile) rather than
// copied through the process.
func (p *Piece) WriteTo(w io.Writer) (int64, error) {
	if _, err := p.f.Seek(headerSize, io.SeekStart); err != nil {
		return 0, err
	}
	return io.Copy(w, &io.LimitedReader{R: p.f, N: int64(p.Info.Size)})
}

// Open opens a stored piece for reading.
func (s *Store) Open(id PieceID) (*Piece, error) {
	p, ok := s.Info(id)
	if !ok {
		return nil, ErrNotFound
	}
	f, err := os.Open(s.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound // deleted meanwhile
	}
	if err != nil {
		return nil, err
	}
	return &Piece{SectionReader: io.NewSectionReader(f, headerSize, int64(p.Size)), Info: p, f: f}, nil
}

// Put stores exactly size bytes read from r as piece id of owner, with
// the Merkle root of its bytes at leafSize: written to a temp file,
// synced and renamed into place, so a piece is either whole or absent. It
// never stores beyond the capacity (ErrNoSpace), nor a body longer
// (ErrBodyTooLarge) or shorter (ErrBodyTooShort) than size. A piece
// already stored with the same bytes is not written again: Put returns
// it, and false for "created".
func (s *Store) Put(id PieceID, owner crypto.Address, size uint64, leafSize uint32, now time.Time, r io.Reader) (*PieceInfo, bool, error) {
	s.mu.Lock()
	if s.busy[id] {
		s.mu.Unlock()
		return nil, false, ErrPieceBusy
	}
	old := s.pieces[id]
	if old != nil && old.Owner != owner {
		s.mu.Unlock()
		return nil, false, ErrNotOwner
	}
	if old == nil && s.used+s.reserved+size > s.capacity {
		free := s.capacity - min(s.capacity, s.used+s.reserved)
		s.mu.Unlock()
		return nil, false, fmt.Errorf("%w: %d bytes free, the piece has %d", ErrNoSpace, free, size)
	}
	s.busy[id] = true
	if old == nil {
		s.reserved += size
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.busy, id)
		if old == nil {
			s.reserved -= size
		}
		s.mu.Unlock()
	}()
	if old != nil {
		// The same upload again (a client retrying): the same bytes are
		// the same piece; other bytes are refused.
		h := storage.NewMerkleHasher(old.LeafSize)
		if err := copyExactly(h, r, size); err != nil {
			return nil, false, err
		}
		if size != old.Size || !bytes.Equal(h.Root(), old.Root) {
			return nil, false, ErrPieceExists
		}
		return old, false, nil
	}
	p := &PieceInfo{ID: id, Owner: owner, LeafSize: leafSize, Size: size, Stored: now}
	if err := s.write(p, r); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	s.pieces[id] = p
	s.used += size
	s.mu.Unlock()
	return p, true, nil
}

// copyExactly copies size bytes of r to w and fails if r has fewer or
// more.
func copyExactly(w io.Writer, r io.Reader, size uint64) error {
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	n, err := io.CopyBuffer(w, io.LimitReader(r, int64(size)+1), *buf)
	switch {
	case err != nil:
		return fmt.Errorf("%w: reading the body: %v", ErrBodyTooShort, err)
	case uint64(n) > size:
		return fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, size)
	case uint64(n) < size:
		return fmt.Errorf("%w: %d bytes, the order says %d", ErrBodyTooShort, n, size)
	}
	return nil
}

// receive copies exactly size bytes of r to f and h, up to writeBufSize
// at a time (read straight into the buffer they are written and hashed
// from), and fails as copyExactly does.
func receive(f io.Writer, h io.Writer, r io.Reader, size uint64) error {
	bp := writeBufs.Get().(*[]byte)
	defer writeBufs.Put(bp)
	buf := *bp
	for left := size; left > 0; {
		n, err := io.ReadFull(r, buf[:min(uint64(len(buf)), left)])
		left -= uint64(n)
		if n > 0 {
			h.Write(buf[:n])
			if _, werr := f.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("%w: %d bytes, the order says %d", ErrBodyTooShort, size-left, size)
			}
			return fmt.Errorf("%w: reading the body: %v", ErrBodyTooShort, err)
		}
	}
	if n, _ := io.ReadFull(r, buf[:1]); n > 0 {
		return fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, size)
	}
	return nil
}

func (s *Store) write(p *PieceInfo, r io.Reader) (err error) {
	f, err := os.CreateTemp(s.tmpDir(), p.ID.String()+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(make([]byte, headerSize)); err != nil {
		return err
	}
	h := storage.NewMerkleHasher(p.LeafSize)
	if err := receive(f, h, r, p.Size); err != nil {
		return err
	}
	p.Root = h.Root()
	if _, err := f.WriteAt(p.header(), 0); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	final := s.path(p.ID)
	if err := s.mkdir(filepath.Dir(final)); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), final); err != nil {
		return err
	}
	return syncDir(filepath.Dir(final))
}

// mkdir makes a fan-out directory the first time the store needs it.
func (s *Store) mkdir(dir string) error {
	s.mu.Lock()
	known := s.dirs[dir]
	s.mu.Unlock()
	if known {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	s.mu.Lock()
	s.dirs[dir] = true
	s.mu.Unlock()
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !strings.Contains(err.Error(), "invalid argument") {
		return err
	}
	return nil
}

// Delete removes a stored piece.
func (s *Store) Delete(id PieceID) error {
	s.mu.Lock()
	p, ok := s.pieces[id]
	if !ok || s.busy[id] {
		s.mu.Unlock()
		if !ok {
			return ErrNotFound
		}
		return ErrPieceBusy
	}
	delete(s.pieces, id)
	s.used -= p.Size
	s.mu.Unlock()
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
