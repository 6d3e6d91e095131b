package gateway

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
)

// dispatchesReply is the body of GET /v1/dispatch/{device}.
type dispatchesReply struct {
	Device     string     `json:"device"`
	Dispatches []Dispatch `json:"dispatches"` // oldest first, never null
}

// handleDispatches is GET /v1/dispatch/{device}: 200 with the last
// dispatches the gateway forwarded to the device (oldest first, none
// known: []); 400 for what is not a depindev1… id.
func (g *Gateway) handleDispatches(w http.ResponseWriter, r *http.Request) {
	id, err := crypto.ParseDeviceID(r.PathValue("device"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "invalid", "error": fmt.Sprintf(
			"device %q: want a depindev1… device id (%v)", clip(r.PathValue("device"), 80), err)})
		return
	}
	dev := crypto.DeviceString(id)
	writeJSON(w, http.StatusOK, dispatchesReply{Device: dev, Dispatches: g.dispatches.get(dev)})
}

// memberReply is the body of GET /v1/vpp/members/{pool}/{device}: the
// device's pool membership at a height with the proof that the chain
// holds it (or that it holds none), for a device to check a dispatch
// against (docs/DEVICE-PROTOCOL.md §7.2). Bytes are lower-case hex.
type memberReply struct {
	Pool   uint64 `json:"pool,string"`
	Device string `json:"device"`
	Height int64  `json:"height"`
	// Member is the record (vppv1.Member) in protobuf's JSON form; null
	// when the device is not a member.
	Member json.RawMessage `json:"member"`
	Key    string          `json:"key"`
	Value  string          `json:"value"` // the record's protobuf bytes; "" when absent
	// AppHash is the state's root at Height: the app hash in the header
	// of block Height+1, which the gateway checked against that block's
	// commit before answering.
	AppHash string      `json:"app_hash"`
	Proof   memberProof `json:"proof"`
	Error   string      `json:"error,omitempty"`
}

// memberProof is package proof's Proof: an ICS-23 CommitmentProof of the
// key in its state tree, and the roots of all the trees.
type memberProof struct {
	ICS23 string   `json:"ics23"`
	Roots []string `json:"roots"`
}

// memberQueryTimeout bounds one proven query to the node (it waits for
// the next block's commit to check the app hash).
const memberQueryTimeout = 20 * time.Second

// handleMember is GET /v1/vpp/members/{pool}/{device}[?height=H]: the
// member record with its proof, read from the gateway's node and checked
// against a commit signed by more than 2/3 of the voting power. 200 with
// the record; 404, same body with member null, when the device is not a
// member of the pool (the proof then proves its absence); 400 for a bad
// pool, device or height, or a height the node cannot answer for; 502
// when the node's answer does not verify; 503 when the node does not
// answer.
func (g *Gateway) handleMember(w http.ResponseWriter, r *http.Request) {
	pool, dev, height, err := parseMemberRequest(r.PathValue("pool"), r.PathValue("device"), r.URL.Query().Get("height"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "invalid", "error": err.Error()})
		return
	}
	key := vpp.MemberKey(pool, dev)
	ctx, cancel := context.WithTimeout(r.Context(), memberQueryTimeout)
	defer cancel()
	res, err := g.chain.QueryKey(ctx, key, client.QueryOptions{Height: height, Prove: true})
	if err == nil && res.Proof == nil {
		err = fmt.Errorf("%w: the node's answer carries no proof", client.ErrProof)
	}
	var code *client.CodeError
	switch {
	case errors.Is(err, client.ErrProof):
		writeJSON(w, http.StatusBadGateway, map[string]string{"status": "unavailable", "error": "the node's answer does not verify: " + err.Error()})
		return
	case errors.As(err, &code):
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "invalid", "error": "the node refused the query: " + err.Error()})
		return
	case err != nil:
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "cannot read the chain: " + err.Error()})
		return
	}
	reply := memberReply{Pool: pool, Device: crypto.DeviceString(dev), Height: res.Height, Member: json.RawMessage("null"),
		Key: hex.EncodeToString(key), Value: hex.EncodeToString(res.Value), AppHash: hex.EncodeToString(res.AppHash)}
	ics, err := res.Proof.ICS23.Marshal()
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"status": "unavailable", "error": "the node's proof does not encode: " + err.Error()})
		return
	}
	reply.Proof.ICS23 = hex.EncodeToString(ics)
	for _, root := range res.Proof.Roots {
		reply.Proof.Roots = append(reply.Proof.Roots, hex.EncodeToString(root))
	}
	if res.Value == nil {
		reply.Error = fmt.Sprintf("device %s is not a member of pool %d at height %d (the proof proves it)", reply.Device, pool, res.Height)
		writeJSON(w, http.StatusNotFound, reply)
		return
	}
	var m vppv1.Member
	if err := proto.Unmarshal(res.Value, &m); err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"status": "unavailable", "error": "the member record does not decode (is the chain newer than this gateway?): " + err.Error()})
		return
	}
	js, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(&m)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"status": "unavailable", "error": err.Error()})
		return
	}
	reply.Member = js
	writeJSON(w, http.StatusOK, reply)
}

// parseMemberRequest reads GET /v1/vpp/members/{pool}/{device}?height=H:
// a pool id in decimal, a depindev1… device id, and an optional height
// (≥ 1; absent or empty: the latest).
func parseMemberRequest(pool, device, height string) (uint64, crypto.DeviceID, int64, error) {
	p, err := strconv.ParseUint(pool, 10, 64)
	if err != nil {
		return 0, crypto.DeviceID{}, 0, fmt.Errorf("pool %q: want a pool id, a decimal number", clip(pool, 40))
	}
	dev, err := crypto.ParseDeviceID(device)
	if err != nil {
		return 0, crypto.DeviceID{}, 0, fmt.Errorf("device %q: want a depindev1… device id (%v)", clip(device, 80), err)
	}
	var h int64
	if height != "" {
		if h, err = strconv.ParseInt(height, 10, 64); err != nil || h < 1 {
			return 0, crypto.DeviceID{}, 0, fmt.Errorf("height %q: want a block height ≥ 1, or none for the latest", clip(height, 40))
		}
	}
	return p, dev, h, nil
}
