package main

import (
	"errors"
	"testing"

	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
)

// TestPoolsFlag: a --pools name is of the one kind whose word it contains;
// a name with two kinds' words is refused (it once took whichever a map
// iteration met last).
func TestPoolsFlag(t *testing.T) {
	for _, tc := range []struct {
		pools string
		kinds []rewardv1.PoolKind
	}{
		{"work=70,availability=20,treasury=10", []rewardv1.PoolKind{rewardv1.PoolKind_POOL_KIND_WORK, rewardv1.PoolKind_POOL_KIND_AVAILABILITY, rewardv1.PoolKind_POOL_KIND_TREASURY}},
		{"homework=90,dao-treasury=10", []rewardv1.PoolKind{rewardv1.PoolKind_POOL_KIND_WORK, rewardv1.PoolKind_POOL_KIND_TREASURY}},
		{"work-treasury=100", nil},
		{"rest=100", nil},
	} {
		f := paramFlags{pools: tc.pools, geo: "hip104", slash: 10, finder: 20, threshold: 0.5}
		rp, err := f.rewards()
		if tc.kinds == nil {
			var ue usageError
			if !errors.As(err, &ue) {
				t.Errorf("--pools %s: %v, want a usage error", tc.pools, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("--pools %s: %v", tc.pools, err)
		}
		if len(rp.Pools) != len(tc.kinds) {
			t.Fatalf("--pools %s: %d pools", tc.pools, len(rp.Pools))
		}
		for i, p := range rp.Pools {
			if p.Kind != tc.kinds[i] {
				t.Errorf("--pools %s: pool %s is %s, want %s", tc.pools, p.Name, p.Kind, tc.kinds[i])
			}
		}
	}
}
