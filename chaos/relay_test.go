package chaos

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"
)

// echoServer answers every line with itself.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a line through addr and reports whether it came back.
func roundTrip(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	return echoes(c)
}

func echoes(c net.Conn) bool {
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "ping\n"
}

// TestRelayPartition: relayed connections carry bytes both ways; cutting a
// node off closes its open connections and refuses new ones, leaving the
// other links alone; healing lets it through again.
func TestRelayPartition(t *testing.T) {
	targets := []string{echoServer(t), echoServer(t), echoServer(t)}
	rn, err := listenRelays(len(targets))
	if err != nil {
		t.Fatal(err)
	}
	defer rn.close()
	rn.serve(targets)
	for from := range targets {
		for to := range targets {
			if from != to && !roundTrip(rn.addr(from, to)) {
				t.Fatalf("link %d→%d does not carry bytes", from, to)
			}
		}
	}
	open, err := net.Dial("tcp", rn.addr(0, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if !echoes(open) {
		t.Fatal("open connection does not echo")
	}
	rn.isolate(1)
	open.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := open.Read(make([]byte, 1)); err == nil {
		t.Fatal("a connection to the cut-off node stayed open")
	}
	for _, l := range [][2]int{{0, 1}, {1, 0}, {2, 1}, {1, 2}} {
		if roundTrip(rn.addr(l[0], l[1])) {
			t.Fatalf("link %d→%d carries bytes while node 1 is cut off", l[0], l[1])
		}
	}
	if !roundTrip(rn.addr(0, 2)) || !roundTrip(rn.addr(2, 0)) {
		t.Fatal("links between the other nodes were cut too")
	}
	rn.heal(1)
	if !roundTrip(rn.addr(0, 1)) || !roundTrip(rn.addr(1, 2)) {
		t.Fatal("node 1 still cut off after healing")
	}
}

func TestOverlapSeconds(t *testing.T) {
	v := func(start, rec float64, power int64) *Perturbation {
		return &Perturbation{Validator: true, Start: start, Recovered: rec, Power: power, Total: 40}
	}
	cases := []struct {
		name string
		ps   []*Perturbation
		want float64
	}{
		{"none", nil, 0},
		{"one of four at a time", []*Perturbation{v(1, 5, 10), v(6, 9, 10)}, 0},
		{"two of four overlap 2 s", []*Perturbation{v(1, 5, 10), v(3, 9, 10)}, 2},
		{"full nodes do not count", []*Perturbation{v(1, 5, 10), {Start: 2, Recovered: 4}}, 0},
		{"never recovered runs to the end", []*Perturbation{v(1, 0, 10), v(8, 0, 10)}, 2},
		{"one with a third of the power", []*Perturbation{v(2, 4, 14)}, 2},
	}
	for _, tc := range cases {
		if got := overlapSeconds(tc.ps, 10); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	ok := TestConfig()
	ok.Binary = "depin"
	if err := ok.Validate(); err != nil {
		t.Fatalf("TestConfig: %v", err)
	}
	def := DefaultConfig()
	def.Binary = "depin"
	if err := def.Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	for name, mod := range map[string]func(*Config){
		"no binary":      func(c *Config) { c.Binary = "" },
		"no validators":  func(c *Config) { c.Validators = 0 },
		"no duration":    func(c *Config) { c.Duration = 0 },
		"gap inverted":   func(c *Config) { c.GapMin, c.GapMax = 2*time.Second, time.Second },
		"no workers":     func(c *Config) { c.Workers = 0 },
		"negative block": func(c *Config) { c.TimeoutCommit = -1 },
	} {
		c := ok
		mod(&c)
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for n, f := range map[int]int{1: 0, 3: 0, 4: 1, 6: 1, 7: 2, 10: 3} {
		if got := faultTolerance(n); got != f {
			t.Errorf("f(%d) = %d, want %d", n, got, f)
		}
	}
}
