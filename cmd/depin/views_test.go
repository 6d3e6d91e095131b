package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	authv1 "github.com/depinhq/depin/gen/depin/auth/v1"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	sharev1 "github.com/depinhq/depin/gen/depin/share/v1"
	stakingv1 "github.com/depinhq/depin/gen/depin/staking/v1"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"google.golang.org/protobuf/proto"
)

// TestViewsFollowTheOutputModel holds render.go's rules for every struct
// type named …View in the package: each exported field has a JSON name;
// a 64-bit (or int/uint) integer is a JSON string (",string"); no field is
// a map (so no output follows map order).
func TestViewsFollowTheOutputModel(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || !strings.HasSuffix(ts.Name.Name, "View") {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			seen++
			for _, fl := range st.Fields.List {
				if len(fl.Names) == 0 || !fl.Names[0].IsExported() {
					continue // embedded views, and what only the text form uses
				}
				where := fset.Position(fl.Pos()).String() + ": " + ts.Name.Name + "." + fl.Names[0].Name
				var tag string
				if fl.Tag != nil {
					s, _ := strconv.Unquote(fl.Tag.Value)
					tag = reflect.StructTag(s).Get("json")
				}
				name, opts, _ := strings.Cut(tag, ",")
				if name == "" || name == "-" {
					t.Errorf("%s: no JSON name", where)
				}
				typ := fl.Type
				if star, ok := typ.(*ast.StarExpr); ok {
					typ = star.X
				}
				switch typ := typ.(type) {
				case *ast.MapType:
					t.Errorf("%s: a map (its order would show in the output)", where)
				case *ast.Ident:
					switch typ.Name {
					case "int", "uint", "int64", "uint64":
						if !strings.Contains(","+opts+",", ",string,") {
							t.Errorf("%s: a %s, written as a JSON number (want the ,string option)", where, typ.Name)
						}
					}
				}
			}
			return true
		})
	}
	if seen < 30 {
		t.Fatalf("found only %d view types", seen)
	}
}

// TestViewsGolden renders every view from fixed records, as JSON and as
// text, and compares them with testdata/views.golden: what each command
// prints, including what a short devnet session cannot produce (a reward
// breakdown, a cleared interval, a frozen network, a failed tx).
func TestViewsGolden(t *testing.T) {
	addr := func(name string) []byte { a := crypto.AddressFromPubKey(seed(name)); return a[:] }
	acct := func(name string) string { return accountString(addr(name)) }
	dev := deviceString(addr("device"))
	solarParams := &networkv1.Params{
		Metrics:      []*networkv1.Metric{{Id: 1, Name: "energy", Unit: "Wh", BoundNum: 1, BoundDen: 3600, Weight: 1}, {Id: 2, Name: "peak", Unit: "W", BoundNum: 1, BoundDen: 1}},
		EpochSeconds: 3600, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 30, MinStake: 10_000_000, UnbondingSeconds: 86400,
		MinMoveIntervalSeconds: 86400, Rewards: network.DefaultRewards(1_000_000_000),
		Market: &marketv1.MarketParams{IntervalSeconds: 900, Denom: "udpin", SellerMetric: 2, BuyerMetric: 1, SettleDelaySeconds: 900, ShortfallPenalty: 10_000_000},
	}
	pending := &networkv1.Params{Metrics: solarParams.Metrics[:1], EpochSeconds: 600, ReportWindowSeconds: 600, MinStake: 5_000_000}
	frozen := &networkv1.Network{Id: "solar", Name: "Solar Berlin", Owner: addr("alice"), Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY,
		Physical: true, RewardDenom: "usolar", Params: solarParams, Pending: pending, PendingEpoch: 12, CreatedHeight: 7,
		Frozen: true, FrozenReason: "rewards: pool weights overflow", FrozenHeight: 4242}
	device := &devicev1.Device{Id: addr("device"), PublicKey: seed("device"), Network: "solar", Owner: addr("alice"), Model: "SunBox",
		Serial: "SN1", Capacity: 5000, MakerPublicKey: seed("maker"), Cell: 0x8a1f1d48945ffff, Status: devicev1.DeviceStatus_DEVICE_STATUS_UNBONDING,
		Stake: 10_000_000, RegisteredHeight: 12, UnbondTime: 1_700_086_400, LastSeq: 41, LastPeriodEnd: 1_700_000_000,
		ReportsAccepted: 40, ReportsRejected: 1, EvidenceCount: 1, Tokenized: true}
	lease := &sharev1.Lease{Device: addr("device"), Owner: addr("alice"), Lessee: addr("bob"), Denom: "udpin", RentPerEpoch: 5_000_000,
		RewardShareBps: 5000, StartEpoch: 4, EndEpoch: 6, Escrow: 10_000_000, NextEpoch: 5, Status: sharev1.LeaseStatus_LEASE_STATUS_ACTIVE,
		RentPaid: 5_000_000, RewardsPaid: 20_000, EpochSeconds: 3600}
	big := uint64(1<<64 - 1) // no JSON reader may round it
	cases := []struct {
		name string
		v    view
	}{
		{"balance", newBalanceView(acct("alice"), "udpin", 1_500_000, &client.KeyResult{Height: 10, Proven: true, AppHash: seed("app")})},
		{"balance unproven", newBalanceView(acct("alice"), "usolar", big, &client.KeyResult{Height: 10})},
		{"balances", balancesView{Address: acct("alice"), Balances: newCoinViews([]*bankv1.Coin{{Denom: "udpin", Amount: 2_500_000}, {Denom: "usolar", Amount: 7}}), Height: 10}},
		{"balances none", balancesView{Address: acct("bob"), Balances: newCoinViews(nil), Height: 10}},
		{"balances proven", balancesView{Address: acct("alice"), Balances: newCoinViews([]*bankv1.Coin{{Denom: "udpin", Amount: 2_500_000}}), Height: 10,
			Proven: true, AppHash: "63A5"}},
		{"supply", supplyView{Denom: "udpin", Amount: 4_999_800_000_000, Height: 10}},
		{"supply in display units, proven", supplyView{Denom: "usolar", Amount: 1_234_500_000, Height: 10, Proven: true, AppHash: "63A5", shown: "1234.5 SOLAR"}},
		{"account", newAccountView(acct("alice"), &authv1.Account{Sequence: 3, PublicKey: seed("alice")}, &client.KeyResult{Height: 10, Proven: true, AppHash: seed("app")})},
		{"account new", newAccountView(acct("bob"), nil, &client.KeyResult{Height: 10})},
		{"tx committed", newTxView(&client.TxResult{Hash: "AB12", Height: 5})},
		{"tx failed", newTxView(&client.TxResult{Hash: "AB13", Height: 6, Code: 5, Log: "insufficient funds"})},
		{"tx in mempool", txView{Hash: "AB14", Status: txInMempool}},
		{"tx claiming rewards", func() view {
			v := newTxView(&client.TxResult{Hash: "AB15", Height: 7})
			v.Claimed = []claimView{{To: acct("alice"), Denom: "usolar", Amount: 750_000, Devices: 2, Display: "0.75 SOLAR"},
				{To: acct("bob"), Device: dev, Denom: "usolar", Amount: 5, Display: "0.000005 SOLAR"}}
			return v
		}()},
		{"tx generated, unsigned", generatedTxView{Tx: "0x0a02", Encoding: "hex", ChainID: "depin-devnet", Signer: acct("alice"), Sequence: 3,
			FeeUdpin: 1180, SignBytes: "6465"}},
		{"no reward: jailed", noRewardView{Device: dev, Network: "solar", Epoch: 3, Reason: noRewardJailed,
			Detail: "The device was jailed at height 77, in epoch 3, for double_report evidence 6d2e, before epoch 3's rewards were computed.",
			Jail:   &jailView{Height: 77, Evidence: "6d2e", Kind: "double_report"},
			advice: deviceAdvice(dev, acct("alice"), "jailed", 9_000_000, 0, 3600, 0)}},
		{"block", blockView{Height: 5, Hash: "B10C", Time: time.Date(2024, 5, 1, 12, 0, 0, 250e6, time.UTC), ChainID: "depin-devnet",
			Proposer: "A1B2", AppHash: "A99", Txs: []blockTxView{{Hash: "AB12"}, {Hash: "AB13", Code: 5, Log: "insufficient funds"}}}},
		{"status", statusView{ChainID: "depin-devnet", NodeID: "f00d", Moniker: "devnet", LatestHeight: 99,
			LatestBlockTime: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), LatestAppHash: "A99", ValidatorAddress: "A1B2", VotingPower: 100}},
		{"key", newKeyView(keystore.Info{Name: "alice", Address: crypto.AddressFromPubKey(seed("alice")), PublicKey: seed("alice")})},
		{"key added", keyAddedView{newKeyView(keystore.Info{Name: "carl", Address: crypto.AddressFromPubKey(seed("carl")), PublicKey: seed("carl"), Encrypted: true}), "/home/x/.depin/keys"}},
		{"key imported", keyImportedView{newKeyView(keystore.Info{Name: "carl", Address: crypto.AddressFromPubKey(seed("carl")), PublicKey: seed("carl")})}},
		{"keys none", newKeyListView(nil, "/home/x/.depin/keys")},
		{"init", initView{Home: "/home/x/node", ChainID: "mynet", NodeID: "f00d"}},
		{"testnet", newTestnetView("depin-testnet", []node.TestnetNode{{Home: "tn/node0", NodeID: "f00d", Ports: node.Ports{P2P: "127.0.0.1:26656", RPC: "127.0.0.1:26657", API: "127.0.0.1:26658"}}})},
		{"network frozen with pending params", newNetworkView(frozen)},
		{"networks none", networkList(nil)},
		{"device", newDeviceView(device, 86400)},
		{"device jailed, leased", func() view {
			d := proto.Clone(device).(*devicev1.Device)
			d.Status, d.Tokenized, d.Stake = devicev1.DeviceStatus_DEVICE_STATUS_JAILED, false, 9_000_000
			v := newDeviceView(d, 3600)
			v.Jail = &jailView{Height: 77, Evidence: "6d2e55c1a9e6c7f0", Kind: "double_report"}
			lv := newLeaseView(lease)
			v.Lease = &lv
			return v
		}()},
		{"device unbonded", func() view {
			v := newDeviceView(device, 86400)
			v.chainTime = device.UnbondTime + 1
			return v
		}()},
		{"lease", func() view { v := newLeaseView(lease); v.rewardDenom = "usolar"; return v }()},
		{"devices none", deviceList(nil)},
		{"work", newWorkView(dev, "solar", solarParams, 3, &reportv1.WorkRecord{Totals: []*reportv1.MetricValue{{Id: 1, Value: 1200}, {Id: 2, Value: 4800}, {Id: 9, Value: 1}},
			CoveredSeconds: 3000, ReportsAccepted: 50, ReportsRejected: 2})},
		{"evidence", newEvidenceList([]*reportv1.Evidence{{Id: seed("ev")[:8], Kind: reportv1.EvidenceKind_EVIDENCE_KIND_DOUBLE_REPORT, Device: addr("device"),
			Network: "solar", Reports: []*reportv1.SignedReport{{}, {}}, Submitter: addr("bob"), Height: 77}})},
		{"reward breakdown", newBreakdownView(dev, &rewardv1.Breakdown{Network: "solar", Epoch: 3, Device: addr("device"), Productivity: 1200,
			ReportsAccepted: 50, ReportsRejected: 2, CoveredSeconds: 3000, EpochSeconds: 3600, UptimePpm: 833_333, ReputationPpm: 961_538,
			QualityPpm: 801_281, GeoPpm: 1_000_000, Cell: 0x871f1d489ffffff, BoostBps: 20_000, Weight: "1923074400", WorkReward: 600_000,
			AvailabilityReward: 150_000, Reward: 750_000, Denom: "usolar", Emission: 1_000_000_000, TotalWeight: "2564099200000", Devices: 1333})},
		{"reward unclaimed", unclaimedView{Device: dev, Network: "solar", Denom: "usolar", Unclaimed: 750_000}},
		{"reward network", newRewardStateView(frozen, &rewardv1.State{Network: "solar", FirstEpoch: 1, Queued: []uint64{3},
			Minted: 3_000_000_000, Claimed: 1_000_000_000, Treasury: 300_000_000, Unclaimed: 1_700_000_000}, 4)},
		{"reward network new", newRewardStateView(frozen, nil, 0)},
		{"validators", newValidatorList([]*stakingv1.Validator{
			{ConsAddress: seed("val")[:20], Moniker: "genesis", Status: stakingv1.ValidatorStatus_VALIDATOR_STATUS_BONDED, Power: 100, GenesisPower: 100},
			{Operator: addr("carol"), ConsAddress: seed("val2")[:20], Moniker: "carol", Tokens: 25_000_000, Shares: 25_000_000,
				Status: stakingv1.ValidatorStatus_VALIDATOR_STATUS_JAILED, JailedUntil: 1_700_000_600}})},
		{"shares with holder and lease", func() view {
			v := newSharesView(dev, &sharev1.Pool{Denom: "share/" + dev, TotalShares: 1000, Rewarded: 90_000}, lease)
			v.Holder = &shareHolderView{Address: acct("alice"), Shares: 600, Owed: 1234}
			return v
		}()},
		{"agreement", newAgreementView(&agreementv1.Agreement{Id: 1, Consumer: addr("bob"), Device: addr("device"), Network: "solar", Metric: 1,
			Denom: "udpin", PriceNum: 2, PriceDen: 1000, MaxUnits: 5_000_000, StartEpoch: 3, EndEpoch: 5, Escrow: 10_000, UnitsPaid: 1_200_000,
			Paid: 2400, NextEpoch: 6, Status: agreementv1.Status_STATUS_CLOSED, CloseReason: "expired", Refunded: 7600, EpochSeconds: 3600})},
		{"agreements none", agreementList(nil)},
		{"market book", orderBook(newOrderViews([]*marketv1.Order{
			{Id: 1, Network: "grid", Owner: addr("bob"), Device: addr("meter"), Side: marketv1.Side_SIDE_BID, Interval: 1_888_000, Price: 3, Quantity: 500, Escrow: 1500, Denom: "udpin", Status: marketv1.OrderStatus_ORDER_STATUS_OPEN},
			{Id: 2, Network: "grid", Owner: addr("alice"), Device: addr("meter2"), Side: marketv1.Side_SIDE_ASK, Interval: 1_888_000, Price: 2, Quantity: 300, Denom: "udpin", Status: marketv1.OrderStatus_ORDER_STATUS_OPEN},
		}))},
		{"market book none", orderBook(nil)},
		{"market orders", orderList(newOrderViews([]*marketv1.Order{
			{Id: 1, Network: "grid", Owner: addr("bob"), Device: addr("meter"), Side: marketv1.Side_SIDE_BID, Interval: 1_888_000, Price: 3, Quantity: 500, Allocated: 300, Delivered: 280, Denom: "udpin", Status: marketv1.OrderStatus_ORDER_STATUS_CLEARED},
			{Id: 3, Network: "grid", Owner: addr("bob"), Device: addr("meter"), Side: marketv1.Side_SIDE_BID, Interval: 1_888_001, Price: 3, Quantity: 100, Denom: "udpin", Status: marketv1.OrderStatus_ORDER_STATUS_CANCELLED, CloseReason: "market terms changed"},
		}))},
		{"market clearing", newClearingView(&marketv1.Clearing{Network: "grid", Interval: 1_888_000, Price: 2, Volume: 300, Orders: 2, Settled: true,
			Trades: []*marketv1.Trade{{Bid: 1, Ask: 2, Quantity: 300, Delivered: 280}}, Terms: solarParams.Market})},
		{"device keygen", deviceKeyView{Device: dev, PublicKey: "a745", KeyFile: "device.key"}},
		{"device prove", possessionView{Device: dev, Owner: acct("alice"), ChainID: "depin-devnet", Proof: "026e"}},
		{"device run", deviceRunView{Device: dev, Signed: 10, Offline: 1, Delivered: 9, Rejected: 1, LastSeq: 10}},
	}
	var out bytes.Buffer
	for _, c := range cases {
		out.WriteString("-- " + c.name + " --\n")
		for _, format := range []string{"json", "text"} {
			g := &globals{output: format}
			if err := g.render(&out, c.v); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		out.WriteString("\n")
	}
	checkGolden(t, "views.golden", out.String())
}
