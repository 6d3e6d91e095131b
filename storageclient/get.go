package storageclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
)

// Errors of Get.
var (
	// ErrCorruptPiece: a node served bytes that are not the piece the deal
	// committed to (another root or size). The piece is not used.
	ErrCorruptPiece = errors.New("the node served bytes that do not match the piece's root on chain")
	// ErrUnrecoverable: fewer than k pieces of a segment could be read.
	ErrUnrecoverable = errors.New("the file cannot be restored")
)

// GetOptions say how to fetch a file.
type GetOptions struct {
	// Extra is how many pieces beyond k each segment asks for at once
	// (the slow tail is cancelled when k have arrived); 0: none, and a
	// piece that is late is hedged (another node is asked, see hedgeDelay).
	Extra int
	// Progress, if set, is called as the file is written: bytes written
	// so far and in all.
	Progress func(done, total uint64)
	// FileKey, if set, decrypts a file another account stored and shared
	// by giving its key (Client.FileKey); nil: the file is the client's
	// own.
	FileKey []byte
}

// GetResult is what Get did.
type GetResult struct {
	Deal     uint64
	Size     uint64
	Segments uint32
	Fetched  int               // pieces downloaded and verified
	Hedged   int               // pieces asked for because others were late
	Corrupt  []crypto.DeviceID // nodes that served bytes not matching the deal's roots
	Failed   []crypto.DeviceID // nodes that could not serve a piece (down, refusing)
	Elapsed  time.Duration
}

// Get writes the file of deal id to dst, in order. For each segment it
// asks k (+Extra) nodes for their pieces in parallel, asks another node
// whenever one fails or the pieces are late (hedgeDelay), cancels the
// rest once k pieces have arrived, checks every piece against its root
// on chain before using it (a node serving other bytes is left out of
// the rest of the download and reported), decodes and decrypts. Nodes
// that failed or were late are asked last for the segments after.
func (c *Client) Get(ctx context.Context, id uint64, dst io.Writer, o GetOptions) (*GetResult, error) {
	start := time.Now()
	// A shared file (its key given) may be another account's; only the
	// owner's own files derive their key from the client's.
	var d *storagev1.Deal
	var err error
	if o.FileKey != nil {
		d, err = c.Deal(ctx, id)
	} else {
		d, err = c.deal(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	if d.Status != storagev1.DealStatus_DEAL_STATUS_ACTIVE {
		return nil, fmt.Errorf("%w: deal %d (%s): its nodes may have deleted its pieces", storage.ErrDealClosed, id, d.CloseReason)
	}
	l := LayoutOf(d)
	if l.K == 0 || l.K >= l.N || l.Segments == 0 || uint64(len(d.Pieces)) != uint64(l.Segments)*uint64(l.N) {
		return nil, fmt.Errorf("deal %d: %d pieces for %d segments of %d", id, len(d.Pieces), l.Segments, l.N)
	}
	for _, p := range d.Pieces {
		if p.Size != l.PieceSize(p.Segment) {
			return nil, fmt.Errorf("deal %d: piece %d/%d has %d bytes, this client would have made %d: the file was not stored by 'depin storage put'",
				id, p.Segment, p.Index, p.Size, l.PieceSize(p.Segment))
		}
	}
	chainID, err := c.chain.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	var cd *codec
	if o.FileKey != nil {
		cd, err = newCodecWithKey(l, o.FileKey, d.FileId)
	} else {
		cd, err = newCodec(l, c.cfg.Key.Seed(), d.FileId)
	}
	if err != nil {
		return nil, err
	}
	f := &fetcher{c: c, chainID: chainID, deal: d, layout: l, codec: cd, extra: max(o.Extra, 0),
		sem: make(chan struct{}, c.cfg.Transfers), endpoints: map[crypto.DeviceID]string{}, corrupt: map[crypto.DeviceID]bool{}, failures: map[crypto.DeviceID]int{},
		late:      map[crypto.DeviceID]int{},
		pieceBufs: newBufPool(int(l.PieceSize(0)), c.cfg.Segments*max(o.Extra, 1)),
		segBufs:   newBufPool(int(l.PieceSize(0)*uint64(l.K)), 3*c.cfg.Segments)}
	for _, p := range d.Pieces {
		node, _ := crypto.AddressFromBytes(p.Node)
		if _, seen := f.endpoints[node]; seen {
			continue
		}
		e, err := c.chain.Endpoint(ctx, node)
		if err != nil {
			return nil, err
		}
		f.endpoints[node] = ""
		if e != nil {
			f.endpoints[node] = e.Url
		}
	}

	// Segments are fetched by Segments workers, at most twice as many
	// ahead of the writer, and written in order.
	type slot struct {
		done  chan struct{}
		plain []byte
		err   error
	}
	slots := make([]*slot, l.Segments)
	for s := range slots {
		slots[s] = &slot{done: make(chan struct{})}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	window := make(chan struct{}, 2*c.cfg.Segments)
	todo := make(chan uint32)
	var wg sync.WaitGroup
	for range c.cfg.Segments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range todo {
				sl := slots[s]
				sl.plain, sl.err = f.segment(ctx, s)
				close(sl.done)
			}
		}()
	}
	go func() {
		defer close(todo)
		for s := uint32(0); s < l.Segments; s++ {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case todo <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	var written uint64
	var werr error
	for s := uint32(0); s < l.Segments && werr == nil; s++ {
		select {
		case <-slots[s].done:
		case <-ctx.Done():
			werr = ctx.Err()
			continue
		}
		if werr = slots[s].err; werr != nil {
			break
		}
		if _, werr = dst.Write(slots[s].plain); werr != nil {
			break
		}
		written += uint64(len(slots[s].plain))
		f.segBufs.put(slots[s].plain)
		slots[s].plain = nil
		<-window
		if o.Progress != nil {
			o.Progress(written, l.Size)
		}
	}
	cancel()
	wg.Wait()
	res := &GetResult{Deal: id, Size: l.Size, Segments: l.Segments, Fetched: f.fetched, Hedged: f.hedged, Elapsed: time.Since(start)}
	for node := range f.corrupt {
		res.Corrupt = append(res.Corrupt, node)
	}
	for node := range f.failures {
		if !f.corrupt[node] {
			res.Failed = append(res.Failed, node)
		}
	}
	sortIDs(res.Corrupt)
	sortIDs(res.Failed)
	return res, werr
}

func sortIDs(ids []crypto.DeviceID) {
	slices.SortFunc(ids, func(a, b crypto.DeviceID) int { return bytes.Compare(a[:], b[:]) })
}

// fetcher downloads the segments of one deal.
type fetcher struct {
	c       *Client
	chainID string
	deal    *storagev1.Deal
	layout  Layout
	codec   *codec
	extra   int
	sem     chan struct{}

	// Buffers of segments (their data pieces, then their plaintext) and
	// of parity pieces are used again once a segment is written and once
	// it is decoded: a get touches its window's worth of fresh memory, not
	// the file's.
	pieceBufs, segBufs *bufPool

	mu        sync.Mutex
	endpoints map[crypto.DeviceID]string
	corrupt   map[crypto.DeviceID]bool
	failures  map[crypto.DeviceID]int
	late      map[crypto.DeviceID]int // requests cancelled because k pieces came first
	fetched   int
	hedged    int
	times     pieceTimes
}

// Hedging: a segment asks k nodes at once, not k+1 — on a fast network
// all of them answer together and the extra piece would be read (and
// often hashed) for nothing, ~15% of a get's CPU (docs/PERFORMANCE.md).
// Instead, when the segment's pieces are late — hedgeFactor times the
// median time of the last pieces fetched, at least hedgeFloor, at most
// Config.HedgeAfter (before any piece has arrived) — one more node is
// asked, and again each time that delay passes. A node that stalls costs
// a segment one such delay; a corrupt or refusing node is replaced at
// once, as before.
const (
	hedgeFactor = 2
	hedgeFloor  = 50 * time.Millisecond
)

// pieceTimes keeps how long the last pieces took, from their request to
// their check.
type pieceTimes struct {
	last [16]time.Duration
	n    int // how many were recorded in all
}

func (p *pieceTimes) add(d time.Duration) {
	p.last[p.n%len(p.last)] = d
	p.n++
}

// median of the recorded times; false before any.
func (p *pieceTimes) median() (time.Duration, bool) {
	if p.n == 0 {
		return 0, false
	}
	ts := slices.Clone(p.last[:min(p.n, len(p.last))])
	slices.Sort(ts)
	return ts[len(ts)/2], true
}

// hedgeDelay is how long a segment's requests may go without k pieces
// before another node is asked.
func (f *fetcher) hedgeDelay() time.Duration {
	f.mu.Lock()
	m, ok := f.times.median()
	f.mu.Unlock()
	if !ok {
		return f.c.cfg.HedgeAfter
	}
	return min(max(hedgeFactor*m, hedgeFloor), f.c.cfg.HedgeAfter)
}

type fetched struct {
	index uint32
	node  crypto.DeviceID
	data  []byte
	err   error
}

// segment fetches k verified pieces of segment s and decodes them.
func (f *fetcher) segment(ctx context.Context, s uint32) ([]byte, error) {
	l := f.layout
	type cand struct {
		index uint32
		node  crypto.DeviceID
		url   string
		fails int
	}
	var cands []cand
	f.mu.Lock()
	for i := uint32(0); i < l.N; i++ {
		p := f.deal.Pieces[s*l.N+i]
		node, _ := crypto.AddressFromBytes(p.Node)
		if url := f.endpoints[node]; !p.Lost && url != "" && !f.corrupt[node] {
			cands = append(cands, cand{i, node, url, f.failures[node] + f.late[node]})
		}
	}
	f.mu.Unlock()
	// Nodes that failed or were late before go last; data pieces (i < k)
	// first, as they need no decoding.
	slices.SortStableFunc(cands, func(a, b cand) int { return a.fails - b.fails })

	// Data pieces are read straight into their place in the segment's
	// buffer, where the missing ones are rebuilt and the ciphertext opened
	// in place: no piece is copied.
	size := l.PieceSize(s)
	buf := f.segBufs.get()
	if uint64(cap(buf)) < uint64(l.K)*size {
		buf = make([]byte, 0, uint64(l.K)*size)
	}
	buf = buf[:uint64(l.K)*size]
	slot := func(i uint32) []byte {
		if i >= l.K {
			return nil
		}
		return buf[uint64(i)*size : uint64(i+1)*size : uint64(i+1)*size]
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan fetched, len(cands))
	next, inflight := 0, 0
	pending := map[uint32]crypto.DeviceID{} // pieces asked for and not answered
	launch := func() bool {
		if next == len(cands) {
			return false
		}
		cd := cands[next]
		next++
		inflight++
		pending[cd.index] = cd.node
		go func() {
			asked := time.Now()
			data, err := f.piece(ctx, cd.node, cd.url, f.deal.Pieces[s*l.N+cd.index], slot(cd.index))
			if err == nil {
				f.mu.Lock()
				f.times.add(time.Since(asked))
				f.mu.Unlock()
			}
			results <- fetched{cd.index, cd.node, data, err}
		}()
		return true
	}
	for range int(l.K) + f.extra {
		launch()
	}
	shards := make([][]byte, l.N)
	good := 0
	var reasons []string
	// The hedge timer runs from the last request sent; its delay follows
	// the pieces' times as they arrive.
	lastAsked := time.Now()
	hedge := time.NewTimer(f.hedgeDelay())
	defer hedge.Stop()
	for good < int(l.K) && (inflight > 0 || launch()) {
		select {
		case r := <-results:
			inflight--
			delete(pending, r.index)
			if r.err == nil {
				shards[r.index], good = r.data, good+1
				hedge.Reset(time.Until(lastAsked.Add(f.hedgeDelay())))
				continue
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			reasons = append(reasons, r.err.Error())
			f.mu.Lock()
			f.failures[r.node]++
			if errors.Is(r.err, ErrCorruptPiece) {
				f.corrupt[r.node] = true
			}
			f.mu.Unlock()
			f.c.log.Warn("a piece could not be used; asking another node", "segment", s, "piece", r.index, "node", deviceString(r.node), "err", r.err)
			launch()
		case <-hedge.C:
			if wait := time.Until(lastAsked.Add(f.hedgeDelay())); wait > 0 {
				hedge.Reset(wait) // the pieces' times grew since it was set
				continue
			}
			if launch() {
				f.mu.Lock()
				f.hedged++
				f.mu.Unlock()
				f.c.log.Debug("pieces are late; asking another node", "segment", s, "waiting_for", len(pending))
			}
			lastAsked = time.Now()
			hedge.Reset(f.hedgeDelay())
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	cancel() // the slow tail
	if good < int(l.K) {
		return nil, fmt.Errorf("%w: segment %d: %d of its %d pieces could be read, %d are needed: %s",
			ErrUnrecoverable, s, good, l.N, l.K, strings.Join(reasons, "; "))
	}
	// Nodes whose pieces came too late for the segment are asked last for
	// the next ones.
	f.mu.Lock()
	for _, node := range pending {
		f.late[node]++
	}
	f.mu.Unlock()
	// The slow tail's requests may still be writing into buf: they end
	// before it is decoded into.
	for ; inflight > 0; inflight-- {
		if r := <-results; r.err == nil && r.index >= l.K {
			f.pieceBufs.put(r.data)
		}
	}
	f.mu.Lock()
	f.fetched += good
	f.mu.Unlock()
	for i := range l.K {
		if shards[i] == nil {
			shards[i] = slot(i)[:0] // rebuilt in place
		}
	}
	plain, err := f.codec.decodeInPlace(s, shards, buf)
	for _, sh := range shards[l.K:] {
		f.pieceBufs.put(sh)
	}
	return plain, err
}

// piece downloads one piece into dst (nil: a buffer of the fetcher's)
// and checks it against the deal: its size and its Merkle root at the
// deal's leaf size.
func (f *fetcher) piece(ctx context.Context, node crypto.DeviceID, url string, p *storagev1.Piece, dst []byte) ([]byte, error) {
	select {
	case f.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-f.sem }()
	id := storage.PieceIDOf(f.deal, p)
	res, err := f.c.request(ctx, f.chainID, http.MethodGet, url, node, id, p.Size, nil)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data := dst
	if data == nil {
		data = f.pieceBufs.get()
	}
	if uint64(cap(data)) < p.Size {
		data = make([]byte, p.Size)
	}
	data = data[:p.Size]
	n, err := io.ReadFull(res.Body, data)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return nil, fmt.Errorf("node %s: %w: %d bytes, the deal says %d", deviceString(node), ErrCorruptPiece, n, p.Size)
	case err != nil:
		return nil, fmt.Errorf("node %s: %w", deviceString(node), err)
	}
	if _, err := io.ReadFull(res.Body, make([]byte, 1)); err == nil {
		return nil, fmt.Errorf("node %s: %w: more bytes than the deal's %d", deviceString(node), ErrCorruptPiece, p.Size)
	}
	if err := ctx.Err(); err != nil {
		return nil, err // the segment has its k pieces: no need to check this one
	}
	if !bytes.Equal(storage.MerkleRoot(data, f.deal.LeafSize), p.Root) {
		return nil, fmt.Errorf("node %s: %w (piece %d/%d)", deviceString(node), ErrCorruptPiece, p.Segment, p.Index)
	}
	return data, nil
}

// bufPool is a bounded free list of byte buffers of one size. A nil
// pool keeps nothing.
type bufPool struct {
	size int
	free chan []byte
}

func newBufPool(size, keep int) *bufPool {
	return &bufPool{size: size, free: make(chan []byte, keep)}
}

// get returns a buffer of len 0 and cap ≥ the pool's size (nil from a
// nil pool).
func (p *bufPool) get() []byte {
	if p == nil {
		return nil
	}
	select {
	case b := <-p.free:
		return b[:0]
	default:
		return make([]byte, 0, p.size)
	}
}

// put keeps b for a later get, unless it is too small or the pool full.
// Nothing may use b afterwards.
func (p *bufPool) put(b []byte) {
	if p == nil || cap(b) < p.size {
		return
	}
	select {
	case p.free <- b[:0]:
	default:
	}
}
