package chaos

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// relayNet carries every p2p connection between the nodes: one TCP relay
// per ordered pair (from, to), listening on a loopback port that from's
// persistent_peers name for to. Cutting a node off closes every relayed
// connection it has and refuses new ones until it is healed; the node
// keeps running and its peers see dropped connections, as in a real
// network partition. (Loopback offers no such switch without root.)
type relayNet struct {
	n     int
	links map[[2]int]*relay

	mu    sync.Mutex
	cut   map[int]bool
	conns map[net.Conn][2]int // open relayed connections (both halves) → link
	wg    sync.WaitGroup
}

type relay struct {
	from, to int
	ln       net.Listener
	target   string
}

// listenRelays opens the relays between n nodes. They listen at once, so
// the ports picked for the nodes afterwards cannot collide with them;
// they relay once serve has the nodes' p2p listen addresses.
func listenRelays(n int) (*relayNet, error) {
	rn := &relayNet{n: n, links: map[[2]int]*relay{}, cut: map[int]bool{}, conns: map[net.Conn][2]int{}}
	for from := 0; from < n; from++ {
		for to := 0; to < n; to++ {
			if from == to {
				continue
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				rn.close()
				return nil, fmt.Errorf("relay %d→%d: %w", from, to, err)
			}
			rn.links[[2]int{from, to}] = &relay{from: from, to: to, ln: ln}
		}
	}
	return rn, nil
}

// serve starts relaying to targets[j], the nodes' p2p listen addresses.
func (rn *relayNet) serve(targets []string) {
	for _, r := range rn.links {
		r.target = targets[r.to]
		rn.wg.Add(1)
		go rn.accept(r)
	}
}

// addr is where from dials to.
func (rn *relayNet) addr(from, to int) string { return rn.links[[2]int{from, to}].ln.Addr().String() }

func (rn *relayNet) accept(r *relay) {
	defer rn.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		rn.wg.Add(1)
		go func() {
			defer rn.wg.Done()
			rn.pipe(r, c)
		}()
	}
}

func (rn *relayNet) isCut(r *relay) bool {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return rn.cut[r.from] || rn.cut[r.to]
}

func (rn *relayNet) pipe(r *relay, in net.Conn) {
	if rn.isCut(r) {
		in.Close()
		return
	}
	out, err := net.DialTimeout("tcp", r.target, 3*time.Second)
	if err != nil {
		in.Close()
		return
	}
	link := [2]int{r.from, r.to}
	rn.mu.Lock()
	if rn.cut[r.from] || rn.cut[r.to] { // cut while dialling
		rn.mu.Unlock()
		in.Close()
		out.Close()
		return
	}
	rn.conns[in], rn.conns[out] = link, link
	rn.mu.Unlock()
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go cp(out, in)
	go cp(in, out)
	<-done // either side ended (or the link was cut): end both
	in.Close()
	out.Close()
	<-done
	rn.mu.Lock()
	delete(rn.conns, in)
	delete(rn.conns, out)
	rn.mu.Unlock()
}

// isolate cuts node k off from every other node.
func (rn *relayNet) isolate(k int) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	rn.cut[k] = true
	for c, link := range rn.conns {
		if link[0] == k || link[1] == k {
			c.Close()
		}
	}
}

// heal lets node k's connections through again (its peers redial it).
func (rn *relayNet) heal(k int) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	delete(rn.cut, k)
}

// close stops every relay and connection.
func (rn *relayNet) close() {
	rn.mu.Lock()
	for _, r := range rn.links {
		r.ln.Close()
	}
	for c := range rn.conns {
		c.Close()
	}
	rn.mu.Unlock()
	rn.wg.Wait()
}
