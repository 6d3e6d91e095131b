package storageclient

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// Chain is what the storage client asks of the chain (package client's
// Client has it all).
type Chain interface {
	ChainID(ctx context.Context) (string, error)
	Networks(ctx context.Context) ([]*networkv1.Network, error)
	StorageParams(ctx context.Context, net string) (*storagev1.StorageParams, error)
	StorageNodes(ctx context.Context, net string) ([]client.StorageNode, error)
	Deal(ctx context.Context, id uint64, o client.QueryOptions) (*storagev1.Deal, error)
	DealsOf(ctx context.Context, owner crypto.Address) ([]*storagev1.Deal, error)
	ActiveDeals(ctx context.Context, net string) ([]*storagev1.Deal, error)
	Endpoint(ctx context.Context, id crypto.DeviceID) (*storagev1.Endpoint, error)
	SendTx(ctx context.Context, priv ed25519.PrivateKey, msgs []*txv1.Msg, opts client.TxOptions) (*client.TxResult, error)
}

var _ Chain = (*client.Client)(nil)

// Config configures a Client.
type Config struct {
	// Key is the owner's account key: it signs orders and deals, and the
	// files' keys are derived from it.
	Key ed25519.PrivateKey
	// HTTP talks to the storage nodes; nil: one with sensible timeouts.
	HTTP *http.Client
	// Transfers is how many pieces move at once (uploads or downloads).
	Transfers int
	// Segments is how many segments are coded or decoded at once.
	Segments int
	// OrderTTL is how long an order is valid (nodes refuse more than their
	// own bound, an hour by default).
	OrderTTL time.Duration
	// HedgeAfter bounds how long a download waits for a segment's late
	// pieces before it asks one more node; the wait itself follows the
	// pieces' times (twice their median, see get.go) once some have come.
	HedgeAfter time.Duration
	Logger     *slog.Logger
	Clock      func() time.Time
}

// DefaultConfig is a client's configuration before its key is set.
func DefaultConfig() Config {
	return Config{Transfers: 16, Segments: 4, OrderTTL: 10 * time.Minute, HedgeAfter: 2 * time.Second}
}

// Client stores files on a storage network and fetches them back.
type Client struct {
	cfg   Config
	chain Chain
	http  *http.Client
	owner crypto.Address
	log   *slog.Logger
}

// New returns a client of chain acting as cfg.Key's account.
func New(chain Chain, cfg Config) (*Client, error) {
	if len(cfg.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("storage client: no account key")
	}
	d := DefaultConfig()
	if cfg.Transfers <= 0 {
		cfg.Transfers = d.Transfers
	}
	if cfg.Segments <= 0 {
		cfg.Segments = d.Segments
	}
	if cfg.OrderTTL <= 0 {
		cfg.OrderTTL = d.OrderTTL
	}
	if cfg.HedgeAfter <= 0 {
		cfg.HedgeAfter = d.HedgeAfter
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
		}}
	}
	return &Client{cfg: cfg, chain: chain, http: hc, log: log,
		owner: crypto.AddressFromPubKey(cfg.Key.Public().(ed25519.PublicKey))}, nil
}

// Owner is the client's account.
func (c *Client) Owner() crypto.Address { return c.owner }

// FileKey is the key of one of the client's files (by its deal's file
// id): whoever has it can read that file, and no other (GetOptions.FileKey)
// — what a compute job gives its providers for its module and inputs.
func (c *Client) FileKey(fileID []byte) ([]byte, error) {
	return fileKey(c.cfg.Key.Seed(), fileID)
}

// ErrNoNetwork: no storage network was named and the chain does not have
// exactly one.
var ErrNoNetwork = errors.New("which storage network?")

// DefaultNetwork is the chain's storage network if it has exactly one.
func (c *Client) DefaultNetwork(ctx context.Context) (string, error) {
	nets, err := c.chain.Networks(ctx)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, n := range nets {
		if n.Class == networkv1.ResourceClass_RESOURCE_CLASS_STORAGE && n.Params != nil && n.Params.Storage != nil && !n.Frozen {
			ids = append(ids, n.Id)
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], nil
	case 0:
		return "", fmt.Errorf("%w: the chain has no storage network (a network of class storage with storage params)", ErrNoNetwork)
	}
	return "", fmt.Errorf("%w: the chain has %d (%s): name one", ErrNoNetwork, len(ids), strings.Join(ids, ", "))
}

// NodeError is a storage node's refusal of a request.
type NodeError struct {
	Node    crypto.DeviceID
	Status  int
	Code    string // the node's error code (storagenode's API)
	Message string
}

func (e *NodeError) Error() string {
	return fmt.Sprintf("node %s: %s (HTTP %d, %s)", crypto.DeviceString(e.Node), e.Message, e.Status, e.Code)
}

// order signs an order for one request to node about piece id.
func (c *Client) order(chainID string, action storagev1.OrderAction, id []byte, size uint64, node crypto.DeviceID) (string, error) {
	serial := make([]byte, storage.SerialLen)
	if _, err := rand.Read(serial); err != nil {
		return "", err
	}
	raw, err := storage.SignOrder(c.cfg.Key, chainID, &storagev1.Order{Action: action, PieceId: id, Size: size,
		Expires: c.cfg.Clock().Add(c.cfg.OrderTTL).Unix(), Serial: serial, Node: node.Bytes()})
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// request sends one request about piece id to the node at endpoint and
// returns the answer if its status is 2xx; the caller closes its body.
func (c *Client) request(ctx context.Context, chainID, method, endpoint string, node crypto.DeviceID, id []byte, size uint64, body []byte) (*http.Response, error) {
	action := map[string]storagev1.OrderAction{http.MethodPut: storagev1.OrderAction_ORDER_ACTION_PUT,
		http.MethodGet: storagev1.OrderAction_ORDER_ACTION_GET, http.MethodHead: storagev1.OrderAction_ORDER_ACTION_GET,
		http.MethodDelete: storagev1.OrderAction_ORDER_ACTION_DELETE}[method]
	ord, err := c.order(chainID, action, id, size, node)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(endpoint, "/")+storage.PiecePath(id), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set(storage.OrderHeader, ord)
	if body != nil {
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("node %s at %s: %w", crypto.DeviceString(node), endpoint, err)
	}
	if res.StatusCode/100 == 2 {
		return res, nil
	}
	defer res.Body.Close()
	var eb struct{ Error, Code string }
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
	if json.Unmarshal(b, &eb) != nil || eb.Error == "" {
		eb.Error = strings.TrimSpace(string(b))
	}
	return nil, &NodeError{Node: node, Status: res.StatusCode, Code: eb.Code, Message: eb.Error}
}

// deal reads one of the client's deals.
func (c *Client) deal(ctx context.Context, id uint64) (*storagev1.Deal, error) {
	d, err := c.Deal(ctx, id)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(d.Owner, c.owner[:]) {
		return nil, fmt.Errorf("%w: deal %d belongs to %s, not to %s (only the owner's key decrypts its file or closes it)", ErrNotOwner, id, ownerString(d.Owner), c.owner)
	}
	return d, nil
}

// ErrNotOwner: a deal of another account (only its owner can read or
// remove its file).
var ErrNotOwner = errors.New("not the deal's owner")

func ownerString(b []byte) string {
	a, err := crypto.AddressFromBytes(b)
	if err != nil {
		return fmt.Sprintf("%x", b)
	}
	return a.String()
}

// Deals lists the client's deals.
func (c *Client) Deals(ctx context.Context) ([]*storagev1.Deal, error) {
	return c.chain.DealsOf(ctx, c.owner)
}

// Deal returns a deal (anyone's: deals are public), or an error wrapping
// api/storage.ErrUnknownDeal.
func (c *Client) Deal(ctx context.Context, id uint64) (*storagev1.Deal, error) {
	d, err := c.chain.Deal(ctx, id, client.QueryOptions{})
	if err == nil && d == nil {
		err = fmt.Errorf("%w: there is no deal %d", storage.ErrUnknownDeal, id)
	}
	return d, err
}
