package node

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/api/reward"
	"github.com/depinhq/depin/app"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	authv1 "github.com/depinhq/depin/gen/depin/auth/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/bank"
	xdevice "github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/fixed"
)

// The REST API is a small JSON view of the state for browsers and
// scripts (clients that need proofs use ABCI queries, package client), plus
// one write: POST /v1/txs takes a signed tx as raw protobuf bytes, the
// cheap way to submit large txs (CometBFT's broadcast_tx_sync carries them
// base64 in JSON, and decoding that was a tenth of a busy node's CPU).

// maxQueryBody bounds the body of every request but POST /v1/txs.
const maxQueryBody = 1 << 10

func newAPIServer(n *Node) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", n.handleStatus)
	mux.HandleFunc("GET /v1/accounts/{address}", n.handleAccount)
	mux.HandleFunc("GET /v1/supply/{denom...}", n.handleSupply)
	mux.HandleFunc("GET /v1/devices/{id}", n.handleDevice)
	mux.HandleFunc("POST /v1/txs", n.handleBroadcast)
	mux.HandleFunc("GET /v1/txs/{hash}", n.handleTxResult)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, errors.New("no such endpoint; try GET /v1/status, /v1/accounts/{address}, /v1/devices/{id}, /v1/supply/{denom}, /v1/txs/{hash} or POST /v1/txs"))
	})
	small := http.MaxBytesHandler(mux, maxQueryBody)
	return &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v1/txs" {
				mux.ServeHTTP(w, r) // bounded by the mempool's max tx size
				return
			}
			small.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeError maps errors once: registered kinds carry their code.
func writeError(w http.ResponseWriter, status int, err error) {
	space, code, msg := errs.Info(err)
	writeJSON(w, status, map[string]any{"error": msg, "codespace": space, "code": code})
}

func httpStatus(err error) int {
	switch {
	case errors.Is(err, errs.ErrInvalidAddress), errors.Is(err, errs.ErrInvalidQuery), errors.Is(err, bank.ErrInvalidDenom):
		return http.StatusBadRequest
	case errors.Is(err, errs.ErrNotFound), errors.Is(err, errs.ErrHeightUnavailable):
		return http.StatusNotFound
	default:
		return http.StatusInternalServerError
	}
}

func (n *Node) queryHeight(r *http.Request) (int64, error) {
	h := r.URL.Query().Get("height")
	if h == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(h, 10, 64)
	if err != nil || v < 0 {
		return 0, errs.Wrapf(errs.ErrInvalidQuery, "height %q is not a non-negative integer", h)
	}
	return v, nil
}

// abciQuery runs a query through the app and turns a failure into an error.
func (n *Node) abciQuery(ctx context.Context, path string, data []byte, height int64) (*abci.QueryResponse, error) {
	res, err := n.App.Query(ctx, &abci.QueryRequest{Path: path, Data: data, Height: height})
	if err != nil {
		return nil, err
	}
	if res.Code != 0 {
		if kind := errs.Lookup(res.Codespace, res.Code); kind != nil {
			return nil, errors.Join(kind, errors.New(res.Log))
		}
		return nil, errors.New(res.Log)
	}
	return res, nil
}

type coinJSON struct {
	Denom  string `json:"denom"`
	Amount string `json:"amount"`
}

func (n *Node) handleStatus(w http.ResponseWriter, r *http.Request) {
	bs := n.comet.BlockStore()
	h := bs.Height()
	out := map[string]any{"chain_id": n.chainID, "height": h, "node_id": n.NodeID()}
	if meta := bs.LoadBlockMeta(h); meta != nil {
		out["block_time"] = meta.Header.Time
		out["app_hash"] = hex.EncodeToString(meta.Header.AppHash)
	}
	if n.invariants != nil {
		out["invariants"] = n.invariants.status()
	}
	writeJSON(w, http.StatusOK, out)
}

func (n *Node) handleAccount(w http.ResponseWriter, r *http.Request) {
	addr, err := crypto.ParseAddress(r.PathValue("address"))
	if err != nil {
		writeError(w, http.StatusBadRequest, errs.Wrapf(errs.ErrInvalidAddress, "%v", err))
		return
	}
	height, err := n.queryHeight(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	accRes, err := n.abciQuery(r.Context(), app.QueryKey, auth.AccountKey(addr), height)
	if err != nil {
		writeError(w, httpStatus(err), err)
		return
	}
	out := map[string]any{"address": addr.String(), "height": accRes.Height, "sequence": "0", "public_key": nil}
	if len(accRes.Value) > 0 {
		var acc authv1.Account
		if err := proto.Unmarshal(accRes.Value, &acc); err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		out["sequence"] = strconv.FormatUint(acc.Sequence, 10)
		if len(acc.PublicKey) > 0 {
			out["public_key"] = base64.StdEncoding.EncodeToString(acc.PublicKey)
		}
	}
	q, _ := proto.Marshal(&appv1.PrefixQuery{Prefix: bank.AccountBalancesPrefix(addr), Limit: app.MaxPrefixLimit})
	balRes, err := n.abciQuery(r.Context(), app.QueryPrefix, q, accRes.Height)
	if err != nil {
		writeError(w, httpStatus(err), err)
		return
	}
	var pr appv1.PrefixResult
	if err := proto.Unmarshal(balRes.Value, &pr); err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	balances := []coinJSON{}
	for _, c := range bank.DecodeBalances(addr, pr.Pairs) {
		balances = append(balances, coinJSON{Denom: c.Denom, Amount: strconv.FormatUint(c.Amount, 10)})
	}
	out["balances"] = balances
	writeJSON(w, http.StatusOK, out)
}

func (n *Node) handleSupply(w http.ResponseWriter, r *http.Request) {
	denom := r.PathValue("denom")
	if err := bank.ValidateDenom(denom); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	height, err := n.queryHeight(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	res, err := n.abciQuery(r.Context(), app.QueryKey, bank.SupplyKey(denom), height)
	if err != nil {
		writeError(w, httpStatus(err), err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"denom": denom, "amount": strconv.FormatUint(bank.DecodeAmount(res.Value), 10), "height": res.Height})
}

// DeviceJSON is the answer of GET /v1/devices/{id}: a device's standing
// as of one height. 64-bit integers are decimal strings (JSON numbers
// lose precision above 2^53); docs/DEVICE-PROTOCOL.md §9 documents it.
type DeviceJSON struct {
	ID       string `json:"id"` // depindev1…
	Height   int64  `json:"height"`
	Status   string `json:"status"` // active, unbonding, retired, jailed
	Owner    string `json:"owner"`
	Network  string `json:"network"`
	Capacity string `json:"capacity"` // in the network's capacity unit
	Stake    struct {
		Udpin string `json:"udpin"`
		DPIN  string `json:"dpin"` // the same, in DPIN (10^6 udpin)
	} `json:"stake"`
	// Reputation is the Beta(α, β) belief that the device's next report
	// is honest: α and β in observations (decimal, 6 places at most), and
	// α/(α+β) in parts per million. Until its first validly signed report
	// a device has its network's priors (initialized false).
	Reputation struct {
		Alpha       string `json:"alpha"`
		Beta        string `json:"beta"`
		PPM         uint64 `json:"ppm"`
		Initialized bool   `json:"initialized"`
	} `json:"reputation"`
	// Reports are the chain's record of the device's reports: the last
	// accepted one's seq and period end (unix seconds; the next report
	// needs a higher seq and a period starting at or after it), and the
	// counts of accepted and rejected (validly signed) reports and of
	// fraud evidence.
	Reports struct {
		LastSeq       string `json:"last_seq"`
		LastPeriodEnd string `json:"last_period_end"`
		Accepted      string `json:"accepted"`
		Rejected      string `json:"rejected"`
		Evidence      string `json:"evidence"`
	} `json:"reports"`
	// UnclaimedRewards is what the device has earned and its owner not
	// yet claimed, in the network's reward token.
	UnclaimedRewards coinJSON `json:"unclaimed_rewards"`
}

// handleDevice is GET /v1/devices/{id}[?height=]: 200 DeviceJSON; 400 an
// id that is not a depindev1… device id, or a bad height; 404 no such
// device (or the height is pruned). Every value is read at one height.
func (n *Node) handleDevice(w http.ResponseWriter, r *http.Request) {
	id, err := crypto.ParseDeviceID(r.PathValue("id"))
	if err != nil {
		why := strings.TrimPrefix(err.Error(), crypto.ErrInvalidAddress.Error()+": ")
		writeError(w, http.StatusBadRequest, errs.Wrapf(errs.ErrInvalidAddress, "%q is not a device id (depindev1…): %s", clip(r.PathValue("id"), 100), why))
		return
	}
	height, err := n.queryHeight(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	res, err := n.abciQuery(r.Context(), app.QueryKey, device.Key(id), height)
	if err != nil {
		writeError(w, httpStatus(err), err)
		return
	}
	if len(res.Value) == 0 {
		writeError(w, http.StatusNotFound, errs.Wrapf(errs.ErrNotFound, "no device %s at height %d", crypto.DeviceString(id), res.Height))
		return
	}
	var d devicev1.Device
	if err := proto.Unmarshal(res.Value, &d); err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	var net networkv1.Network
	netRes, err := n.abciQuery(r.Context(), app.QueryKey, network.NetworkKey(d.Network), res.Height)
	if err == nil {
		err = proto.Unmarshal(netRes.Value, &net)
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	unclaimed, err := n.abciQuery(r.Context(), app.QueryKey, reward.UnclaimedKey(id), res.Height)
	if err != nil {
		writeError(w, httpStatus(err), err)
		return
	}
	writeJSON(w, http.StatusOK, deviceJSON(id, &d, &net, unclaimed.Value, res.Height))
}

// deviceJSON builds the answer from the device's, its network's and its
// unclaimed reward's records.
func deviceJSON(id crypto.DeviceID, d *devicev1.Device, net *networkv1.Network, unclaimed []byte, height int64) DeviceJSON {
	var out DeviceJSON
	out.ID, out.Height = crypto.DeviceString(id), height
	out.Status = strings.ToLower(strings.TrimPrefix(d.Status.String(), "DEVICE_STATUS_"))
	if owner, err := crypto.AddressFromBytes(d.Owner); err == nil {
		out.Owner = owner.String()
	}
	out.Network, out.Capacity = d.Network, strconv.FormatUint(d.Capacity, 10)
	out.Stake.Udpin, out.Stake.DPIN = strconv.FormatUint(d.Stake, 10), decimal(d.Stake, bank.NativeExponent)
	rep := xdevice.ReputationOf(d, network.RewardsOf(net.Params))
	out.Reputation.Alpha, out.Reputation.Beta = decimal(rep.Alpha, 6), decimal(rep.Beta, 6)
	if s := rep.Alpha + rep.Beta; s >= rep.Alpha && s > 0 {
		out.Reputation.PPM = fixed.Frac(rep.Alpha, fixed.PPM, s)
	}
	out.Reputation.Initialized = d.RepInit
	out.Reports.LastSeq = strconv.FormatUint(d.LastSeq, 10)
	out.Reports.LastPeriodEnd = strconv.FormatInt(d.LastPeriodEnd, 10)
	out.Reports.Accepted = strconv.FormatUint(d.ReportsAccepted, 10)
	out.Reports.Rejected = strconv.FormatUint(d.ReportsRejected, 10)
	out.Reports.Evidence = strconv.FormatUint(d.EvidenceCount, 10)
	var amount uint64
	if len(unclaimed) == 8 {
		amount = binary.BigEndian.Uint64(unclaimed)
	}
	out.UnclaimedRewards = coinJSON{Denom: net.RewardDenom, Amount: strconv.FormatUint(amount, 10)}
	return out
}

// decimal writes v/10^exp with at most exp decimals, trailing zeros cut.
func decimal(v uint64, exp int) string {
	p := uint64(1)
	for range exp {
		p *= 10
	}
	whole, frac := v/p, v%p
	if frac == 0 {
		return strconv.FormatUint(whole, 10)
	}
	return strconv.FormatUint(whole, 10) + "." + strings.TrimRight(fmt.Sprintf("%0*d", exp, frac), "0")
}

// clip shortens s to at most n bytes (for echoing input in errors).
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
