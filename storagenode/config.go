package storagenode

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/depinhq/depin/api/storage"
)

// Config configures a Node. cmd/depin fills it from flags and files.
type Config struct {
	// DataDir holds the pieces (DataDir/pieces), temp files and the replay
	// memory of order serials.
	DataDir string
	// Capacity is how many bytes of pieces the node stores at most.
	Capacity uint64
	// Listen is the HTTP listen address (host:port; port 0 picks one).
	Listen string
	// PublicURL is the URL announced on chain (MsgSetEndpoint); empty:
	// http:// and the listen address.
	PublicURL string
	// DeviceKey is the node's device key: it signs receipts.
	DeviceKey ed25519.PrivateKey
	// OwnerKey is the device owner's account key: it signs the endpoint
	// announcement and the audit answers. Without it the node serves
	// pieces but answers no audit (and is disqualified).
	OwnerKey ed25519.PrivateKey

	// PollInterval is how often the node reads its challenges from the
	// chain.
	PollInterval time.Duration
	// GCInterval is how often the node deletes pieces no deal references.
	GCInterval time.Duration
	// GCGrace is how long a piece may wait for a deal that references it
	// after its owner's last upload to this node (the client uploads every
	// piece first and opens the deal after). A piece whose deal the node
	// saw close goes at once.
	GCGrace time.Duration
	// MaxOrderTTL bounds how far in the future an order may expire: the
	// node remembers each serial until then.
	MaxOrderTTL time.Duration
	// MaxPieceSize bounds one piece (the network's max_piece_size also
	// applies).
	MaxPieceSize uint64

	Logger *slog.Logger
	// Clock is the time (tests inject one); nil: time.Now.
	Clock func() time.Time
}

// DefaultConfig is a node's configuration before keys, directories and
// capacity are given.
func DefaultConfig() Config {
	return Config{
		Listen:       "127.0.0.1:7777",
		PollInterval: 2 * time.Second,
		GCInterval:   10 * time.Minute,
		GCGrace:      time.Hour,
		MaxOrderTTL:  time.Hour,
		MaxPieceSize: storage.DefaultParams().MaxPieceSize,
	}
}

// TestConfig is DefaultConfig for tests on loopback: a free port, fast
// polling and garbage collection.
func TestConfig() Config {
	c := DefaultConfig()
	c.Listen = "127.0.0.1:0"
	c.PollInterval = 200 * time.Millisecond
	c.GCInterval = 300 * time.Millisecond
	c.GCGrace = 3 * time.Second
	return c
}

// Validate checks a configuration.
func (c Config) Validate() error {
	switch {
	case c.DataDir == "":
		return errors.New("storage node: no data directory")
	case c.Capacity == 0:
		return errors.New("storage node: capacity is 0 bytes")
	case len(c.DeviceKey) != ed25519.PrivateKeySize:
		return errors.New("storage node: no device key")
	case c.OwnerKey != nil && len(c.OwnerKey) != ed25519.PrivateKeySize:
		return errors.New("storage node: the owner key is not an ed25519 key")
	case c.Listen == "":
		return errors.New("storage node: no listen address")
	case c.PollInterval <= 0 || c.GCInterval <= 0 || c.GCGrace < 0 || c.MaxOrderTTL <= 0:
		return errors.New("storage node: intervals must be positive")
	case c.MaxPieceSize == 0:
		return errors.New("storage node: max piece size is 0")
	}
	if c.PublicURL != "" {
		if err := storage.ValidateEndpoint(c.PublicURL); err != nil {
			return fmt.Errorf("storage node: public URL: %w", err)
		}
		if _, err := url.Parse(c.PublicURL); err != nil {
			return fmt.Errorf("storage node: public URL: %w", err)
		}
	}
	return nil
}

func (c Config) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}
