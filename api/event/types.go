package event

// Every module's events, registered with the protobuf registry that
// FromABCI looks event types up in (TestEveryEventIsRegistered holds that
// none is missing).
import (
	_ "github.com/depinhq/depin/gen/depin/agreement/v1"
	_ "github.com/depinhq/depin/gen/depin/bank/v1"
	_ "github.com/depinhq/depin/gen/depin/compute/v1"
	_ "github.com/depinhq/depin/gen/depin/device/v1"
	_ "github.com/depinhq/depin/gen/depin/market/v1"
	_ "github.com/depinhq/depin/gen/depin/network/v1"
	_ "github.com/depinhq/depin/gen/depin/report/v1"
	_ "github.com/depinhq/depin/gen/depin/reward/v1"
	_ "github.com/depinhq/depin/gen/depin/share/v1"
	_ "github.com/depinhq/depin/gen/depin/staking/v1"
	_ "github.com/depinhq/depin/gen/depin/storage/v1"
	_ "github.com/depinhq/depin/gen/depin/vpp/v1"
)
