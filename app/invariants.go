package app

import (
	"fmt"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/agreement"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/compute"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/market"
	"github.com/depinhq/depin/x/reward"
	"github.com/depinhq/depin/x/share"
	"github.com/depinhq/depin/x/staking"
	"github.com/depinhq/depin/x/storage"
	"github.com/depinhq/depin/x/vpp"
)

// escrowAccounts are the module accounts whose balances CheckInvariants
// holds to their module's records: no MsgSend may pay them.
func escrowAccounts() map[crypto.Address]bool {
	m := map[crypto.Address]bool{}
	for _, a := range []crypto.Address{reward.Pool, share.LeaseEscrow, market.Escrow, agreement.Escrow,
		device.StakePool, staking.BondedPool, staking.UnbondingPool, storage.Escrow, compute.Escrow, vpp.Escrow} {
		m[a] = true
	}
	return m
}

// CheckInvariants verifies every module's books against a committed
// state: balances sum to supply, reward pools hold what devices are owed,
// the staking pools hold the bonded stake, every escrow (agreements,
// market bids, leases) holds exactly what its records say, share supplies
// match their pools, the stake pool holds the devices' stakes. It returns
// the first violation; a record that does not decode (a check panics, see
// state.CorruptError) is a violation too, never a crash of the checker.
// Tests check it after every block; `depin chaos` has every node check it
// (app.toml check_invariants).
func CheckInvariants(r store.Reader) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("invariant check failed on unreadable state: %v", p)
		}
	}()
	checks := []func(store.Reader) error{
		bank.Keeper{}.CheckInvariant,
		reward.Keeper{}.CheckInvariant,
		staking.Keeper{}.CheckInvariant,
		device.Keeper{}.CheckInvariant,
		agreement.Keeper{}.CheckInvariant,
		market.Keeper{}.CheckInvariant,
		share.Keeper{Rewards: reward.Keeper{}}.CheckInvariant,
		storage.Keeper{}.CheckInvariant,
		compute.Keeper{}.CheckInvariant,
		vpp.Keeper{}.CheckInvariant,
	}
	for _, check := range checks {
		if err := check(r); err != nil {
			return err
		}
	}
	return nil
}
