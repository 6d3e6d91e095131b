package network

import (
	"errors"
	"fmt"
	"testing"
	"time"

	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
)

// recorder is an epoch hook that notes each call, and fails when told.
type recorder struct {
	name  string
	calls *[]string
	fail  bool
}

func (r recorder) EpochEnded(_ state.Context, n *networkv1.Network, ended, now uint64) error {
	*r.calls = append(*r.calls, fmt.Sprintf("%s %s %d→%d", r.name, n.Id, ended, now))
	if r.fail {
		return errors.New("hook failed")
	}
	return nil
}

func testNetwork(kv store.KV, anchor int64) *networkv1.Network {
	p := &networkv1.Params{EpochSeconds: 100}
	n := &networkv1.Network{Id: "solar", Params: p, EpochAnchor: anchor}
	Keeper{}.SetNetwork(kv, n)
	return n
}

func ctxAt(kv store.KV, t int64) state.Context {
	return state.Context{KV: kv, Time: time.Unix(t, 0), Events: &state.Events{}}
}

// TestEpochHooks: the first block step of a network only records its
// epoch; later steps in the same epoch call nothing; the first step of a
// later epoch calls every hook once, in order, with the ended epoch (that
// of the previous step, however many epochs passed); a frozen network's
// epochs do not end until it is resumed.
func TestEpochHooks(t *testing.T) {
	kv := store.NewCache(store.ReadOnly(store.NewMemTree()))
	testNetwork(kv, 1000)
	var calls []string
	k := Keeper{Hooks: []EpochHook{recorder{name: "a", calls: &calls}, recorder{name: "b", calls: &calls}}}
	step := func(t int64) {
		if err := k.BeginNetwork(ctxAt(kv, t), "solar"); err != nil {
			panic(err)
		}
	}
	step(1050) // epoch 0, first step
	step(1099) // still epoch 0
	if len(calls) != 0 {
		t.Fatalf("calls in the first epoch: %v", calls)
	}
	step(1100) // epoch 1
	step(1150)
	step(1420) // epoch 4: epochs 2 and 3 had no step
	want := []string{"a solar 0→1", "b solar 0→1", "a solar 1→4", "b solar 1→4"}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
	n := k.Network(kv, "solar")
	n.Frozen = true
	k.SetNetwork(kv, n)
	calls = nil
	step(1500)
	step(1650)
	if len(calls) != 0 {
		t.Fatalf("a frozen network's epochs ended: %v", calls)
	}
	n.Frozen = false
	k.SetNetwork(kv, n)
	step(1700)
	if want := []string{"a solar 4→7", "b solar 4→7"}; fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Fatalf("after resuming: %v, want %v", calls, want)
	}
}

// TestFailingHookFailsTheStep: a hook's error fails the step (the app
// rolls back its writes, the epoch record included, and freezes the
// network), and hooks after it are not called.
func TestFailingHookFailsTheStep(t *testing.T) {
	kv := store.NewCache(store.ReadOnly(store.NewMemTree()))
	testNetwork(kv, 0)
	var calls []string
	k := Keeper{Hooks: []EpochHook{recorder{name: "a", calls: &calls, fail: true}, recorder{name: "b", calls: &calls}}}
	if err := k.BeginNetwork(ctxAt(kv, 10), "solar"); err != nil {
		t.Fatal(err)
	}
	if err := k.BeginNetwork(ctxAt(kv, 110), "solar"); err == nil || len(calls) != 1 {
		t.Fatalf("err %v, calls %v", err, calls)
	}
}

// TestParamsComeInForceOnceByTheEpochStep: Current shows due params
// without storing anything; the epoch step stores them (and the params
// version) once, for frozen networks too.
func TestParamsComeInForceOnceByTheEpochStep(t *testing.T) {
	for _, frozen := range []bool{false, true} {
		kv := store.NewCache(store.ReadOnly(store.NewMemTree()))
		n := testNetwork(kv, 0)
		n.Frozen = frozen
		n.Pending, n.PendingEpoch = &networkv1.Params{EpochSeconds: 50}, 1
		Keeper{}.SetNetwork(kv, n)
		k := Keeper{}
		if got := k.Current(ctxAt(kv, 150), "solar"); got.Params.EpochSeconds != 50 || got.Pending != nil {
			t.Fatalf("Current: %v", got)
		}
		if k.Network(kv, "solar").Pending == nil {
			t.Fatal("Current stored the activation")
		}
		if err := k.BeginNetwork(ctxAt(kv, 150), "solar"); err != nil {
			t.Fatal(err)
		}
		got := k.Network(kv, "solar")
		if got.Pending != nil || got.Params.EpochSeconds != 50 || got.EpochBase != 1 || got.EpochAnchor != 100 {
			t.Fatalf("frozen=%v: after the step: %v", frozen, got)
		}
		if v := k.ParamsDuring(kv, got, 100, 101); len(v) != 1 || v[0].EpochSeconds != 50 {
			t.Fatalf("params version not recorded: %v", v)
		}
	}
}
