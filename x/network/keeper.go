package network

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
)

// Keeper manages networks and makers, and drives every network's epochs:
// it puts scheduled params in force and tells the modules in Hooks, in
// order, when an epoch ends (hooks.go).
type Keeper struct {
	Bank bank.Keeper
	// Hooks are told, in this order, when a network's epoch ends. Every
	// validator must use the same list: it is set where the app is built.
	Hooks []EpochHook
}

var idRE = regexp.MustCompile(`^[a-z][a-z0-9-]{2,31}$`)

// ValidateID checks a network id's syntax.
func ValidateID(id string) error {
	if !idRE.MatchString(id) {
		return fmt.Errorf("%w: id %q (want 3-32 chars of a-z 0-9 -, starting with a letter)", ErrInvalidNetwork, id)
	}
	return nil
}

// CreationFee is burned from whoever launches a network (100 DPIN): every
// network costs every block a little work (its block steps), so networks
// must not be free to create by the thousand.
const CreationFee = 100_000_000

// maxNameLen bounds a maker's name.
const maxNameLen = 64

// sortMetrics orders metrics by id (the canonical stored form).
func sortMetrics(p *networkv1.Params) {
	sort.Slice(p.Metrics, func(i, j int) bool { return p.Metrics[i].Id < p.Metrics[j].Id })
}

// Network returns the stored network (without activating pending params),
// or nil.
func (Keeper) Network(r store.Reader, id string) *networkv1.Network {
	return state.Load[networkv1.Network](r, NetworkKey(id))
}

// IDs lists every network's id, in key order.
func (Keeper) IDs(r store.Reader) []string {
	var ids []string
	for key := range store.Prefix(r, NetworkPrefix) {
		ids = append(ids, string(key[len(NetworkPrefix):]))
	}
	return ids
}

// SetNetwork stores a network.
func (Keeper) SetNetwork(kv store.KV, n *networkv1.Network) {
	kv.Set(NetworkKey(n.Id), state.Marshal(n))
}

// Current returns the network as in force at the context's block time:
// its record, with pending params whose epoch has come put in force (in
// the copy returned; the network's block step stores that, see
// BeginNetwork). It is a pure read.
func (k Keeper) Current(ctx state.Context, id string) *networkv1.Network {
	n := k.Network(ctx.KV, id)
	if n != nil && due(n, ctx.Time.Unix()) {
		activate(n)
	}
	return n
}

// due reports whether n has pending params whose epoch has come at t.
func due(n *networkv1.Network, t int64) bool {
	return n.Pending != nil && EpochAt(n, t) >= n.PendingEpoch
}

// putInForce activates n's pending params if their epoch has come at t,
// storing the network and the params version; it reports whether it did.
func (k Keeper) putInForce(kv store.KV, n *networkv1.Network, t int64) bool {
	if !due(n, t) {
		return false
	}
	from := EpochStart(n, n.PendingEpoch)
	activate(n)
	k.SetNetwork(kv, n)
	k.recordVersion(kv, n.Id, from, n.Params)
	return true
}

// recordVersion keeps the params in force from time from on.
func (Keeper) recordVersion(kv store.KV, id string, from int64, p *networkv1.Params) {
	kv.Set(HistoryKey(id, max(from, 0)), state.Marshal(&networkv1.ParamsVersion{FromTime: max(from, 0), Params: p}))
}

// ParamsDuring returns every params version of a network that was in
// force at some moment of [start, end) (unix seconds), oldest first,
// including pending params whose epoch has come but that no block has
// activated yet. A period before the network's first version is judged by
// its first version.
func (k Keeper) ParamsDuring(r store.Reader, n *networkv1.Network, start, end int64) []*networkv1.Params {
	var versions []*networkv1.ParamsVersion
	for _, pv := range state.Records[networkv1.ParamsVersion](r, HistoryPrefixOf(n.Id)) {
		if pv.Params != nil {
			versions = append(versions, pv)
		}
	}
	if n.Pending != nil {
		versions = append(versions, &networkv1.ParamsVersion{FromTime: EpochStart(n, n.PendingEpoch), Params: n.Pending})
	}
	if len(versions) == 0 {
		return []*networkv1.Params{n.Params}
	}
	var out []*networkv1.Params
	for i, pv := range versions {
		// Version i is in force over [from_i, from_i+1); the first one also
		// before, the last one ever after.
		lo, hi := pv.FromTime, int64(math.MaxInt64)
		if i == 0 {
			lo = math.MinInt64
		}
		if i+1 < len(versions) {
			hi = versions[i+1].FromTime
		}
		if lo < end && hi > start {
			out = append(out, pv.Params)
		}
	}
	return out
}

// activate puts pending params in force at the start of pending_epoch,
// re-anchoring epoch numbering if the epoch length changes.
func activate(n *networkv1.Network) {
	e := n.PendingEpoch
	n.Previous = n.Params
	n.EpochAnchor += int64(e-n.EpochBase) * int64(n.Params.EpochSeconds)
	n.EpochBase = e
	n.Params = n.Pending
	n.Pending = nil
	n.PendingEpoch = 0
}

// Create launches a network. The signer becomes its owner; its reward
// denom is registered with the bank.
func (k Keeper) Create(ctx state.Context, signer crypto.Address, m *networkv1.MsgCreateNetwork) error {
	if err := ValidateID(m.Id); err != nil {
		return err
	}
	if m.Name == "" || len(m.Name) > maxNameLen {
		return fmt.Errorf("%w: name must be 1..%d bytes", ErrInvalidNetwork, maxNameLen)
	}
	if _, ok := networkv1.ResourceClass_name[int32(m.Class)]; !ok || m.Class == networkv1.ResourceClass_RESOURCE_CLASS_UNSPECIFIED {
		return fmt.Errorf("%w: resource class %d", ErrInvalidNetwork, m.Class)
	}
	if k.Network(ctx.KV, m.Id) != nil {
		return fmt.Errorf("%w: %s", ErrNetworkExists, m.Id)
	}
	if err := bank.ValidateUserDenom(m.RewardDenom); err != nil {
		return fmt.Errorf("%w: reward denom: %v", ErrInvalidNetwork, err)
	}
	if k.Bank.KnownDenom(ctx.KV, m.RewardDenom) {
		return fmt.Errorf("%w: reward denom %s is already in use", ErrInvalidNetwork, m.RewardDenom)
	}
	if err := ValidateParams(m.Params); err != nil {
		return err
	}
	if err := k.Bank.Burn(ctx, signer, bank.Coins(bank.NativeDenom, CreationFee), "network_creation"); err != nil {
		return fmt.Errorf("launching a network burns %d udpin: %w", uint64(CreationFee), err)
	}
	params := proto.Clone(m.Params).(*networkv1.Params)
	sortMetrics(params)
	n := &networkv1.Network{
		Id: m.Id, Name: m.Name, Owner: signer.Bytes(), Class: m.Class, Physical: m.Physical,
		RewardDenom: m.RewardDenom, Params: params,
		EpochAnchor: ctx.Time.Unix(), EpochBase: 0, CreatedHeight: ctx.Height,
	}
	display := strings.ToUpper(strings.TrimPrefix(m.RewardDenom, "u"))
	if err := k.Bank.CreateDenom(ctx.KV, &bankv1.DenomMetadata{Base: m.RewardDenom, Display: display, Exponent: 6}); err != nil {
		return fmt.Errorf("%w: reward denom: %v", ErrInvalidNetwork, err)
	}
	k.SetNetwork(ctx.KV, n)
	k.recordVersion(ctx.KV, n.Id, ctx.Time.Unix(), n.Params)
	ctx.Emit(&networkv1.EventNetworkCreated{Id: n.Id, Owner: signer.String(), Class: n.Class, RewardDenom: n.RewardDenom, Network: n})
	return nil
}

// UpdateParams schedules new params for the next epoch.
func (k Keeper) UpdateParams(ctx state.Context, signer crypto.Address, m *networkv1.MsgUpdateNetworkParams) error {
	n, err := k.owned(ctx, signer, m.Network)
	if err != nil {
		return err
	}
	if err := ValidateParams(m.Params); err != nil {
		return err
	}
	params := proto.Clone(m.Params).(*networkv1.Params)
	sortMetrics(params)
	n.Pending = params
	n.PendingEpoch = EpochAt(n, ctx.Time.Unix()) + 1
	k.SetNetwork(ctx.KV, n)
	ctx.Emit(&networkv1.EventNetworkParamsScheduled{Network: n.Id, EffectiveEpoch: n.PendingEpoch, Params: params})
	return nil
}

// owned returns a network the signer owns.
func (k Keeper) owned(ctx state.Context, signer crypto.Address, id string) (*networkv1.Network, error) {
	n := k.Network(ctx.KV, id)
	if n == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownNetwork, id)
	}
	if !bytes.Equal(n.Owner, signer[:]) {
		return nil, fmt.Errorf("%w: %s is owned by %x", ErrNotOwner, id, n.Owner)
	}
	// Its owner is about to store the network: params due (the block
	// step put them in force unless the network is frozen) go with it.
	k.putInForce(ctx.KV, n, ctx.Time.Unix())
	return n, nil
}

// Freeze stops a network's block steps after one of them failed (the
// caller rolled the step back): its owner sees the reason in the network
// record and the event. It never fails: freezing is how the chain
// contains a failure.
func (k Keeper) Freeze(ctx state.Context, id, step, reason string) {
	n := k.Network(ctx.KV, id)
	if n == nil {
		return
	}
	const maxReason = 512
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	n.Frozen, n.FrozenReason, n.FrozenHeight = true, step+": "+reason, ctx.Height
	k.SetNetwork(ctx.KV, n)
	ctx.Emit(&networkv1.EventNetworkFrozen{Network: id, Step: step, Reason: reason, Height: ctx.Height})
}

// Resume lets a frozen network's owner run its block steps again.
func (k Keeper) Resume(ctx state.Context, signer crypto.Address, m *networkv1.MsgResumeNetwork) error {
	n, err := k.owned(ctx, signer, m.Network)
	if err != nil {
		return err
	}
	if !n.Frozen {
		return fmt.Errorf("%w: %s", ErrNotFrozen, n.Id)
	}
	n.Frozen, n.FrozenReason, n.FrozenHeight = false, "", 0
	k.SetNetwork(ctx.KV, n)
	ctx.Emit(&networkv1.EventNetworkResumed{Network: n.Id, Owner: signer.String()})
	return nil
}

// Active returns the network as in force now (see Current), or an error
// if it does not exist or is frozen: what every message that adds to a
// network (devices, reports, orders, agreements, leases) checks.
func (k Keeper) Active(ctx state.Context, id string) (*networkv1.Network, error) {
	n := k.Current(ctx, id)
	if n == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownNetwork, id)
	}
	if n.Frozen {
		return nil, fmt.Errorf("%w: %s (%s); its owner can resume it", ErrFrozen, id, n.FrozenReason)
	}
	return n, nil
}

// ApproveMaker lets a maker key certify devices for the network.
func (k Keeper) ApproveMaker(ctx state.Context, signer crypto.Address, m *networkv1.MsgApproveMaker) error {
	if _, err := k.owned(ctx, signer, m.Network); err != nil {
		return err
	}
	if _, err := crypto.CheckPubKey(m.MakerPublicKey); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidNetwork, err)
	}
	if len(m.Name) > maxNameLen {
		return fmt.Errorf("%w: maker name too long", ErrInvalidNetwork)
	}
	mk := &networkv1.Maker{Network: m.Network, PublicKey: m.MakerPublicKey, Name: m.Name, Active: true}
	ctx.KV.Set(MakerKey(m.Network, m.MakerPublicKey), state.Marshal(mk))
	ctx.Emit(&networkv1.EventMakerApproved{Network: m.Network, MakerPublicKey: m.MakerPublicKey, Name: m.Name})
	return nil
}

// RevokeMaker stops a maker from certifying new devices (devices already
// registered stay).
func (k Keeper) RevokeMaker(ctx state.Context, signer crypto.Address, m *networkv1.MsgRevokeMaker) error {
	if _, err := k.owned(ctx, signer, m.Network); err != nil {
		return err
	}
	mk := k.Maker(ctx.KV, m.Network, m.MakerPublicKey)
	if mk == nil {
		return fmt.Errorf("%w: %x", ErrUnknownMaker, m.MakerPublicKey)
	}
	mk.Active = false
	ctx.KV.Set(MakerKey(m.Network, m.MakerPublicKey), state.Marshal(mk))
	ctx.Emit(&networkv1.EventMakerRevoked{Network: m.Network, MakerPublicKey: m.MakerPublicKey})
	return nil
}

// Maker returns a network's maker record, or nil.
func (Keeper) Maker(r store.Reader, network string, pub []byte) *networkv1.Maker {
	return state.Load[networkv1.Maker](r, MakerKey(network, pub))
}
