package chaos

import (
	"testing"

	"github.com/depinhq/depin/api/event"
	"github.com/depinhq/depin/client"
	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
)

// TestFirstEvent: ids come from typed events, decoded with api/event; an
// event of the type that does not decode yields nothing, never a zero id.
func TestFirstEvent(t *testing.T) {
	res := &client.TxResult{Events: []event.Event{
		{Type: "message", Attributes: []event.Attribute{{Key: "action", Value: "depin.market.v1.MsgPlaceOrder"}}},
		event.ToABCI(&marketv1.EventOrderPlaced{Id: 41, Network: "meter", Quantity: 3}),
		event.ToABCI(&marketv1.EventOrderPlaced{Id: 42}),
	}}
	if ev, ok := firstEvent[*marketv1.EventOrderPlaced](res); !ok || ev.Id != 41 {
		t.Fatalf("order: %v %v, want id 41", ev, ok)
	}
	if ev, ok := firstEvent[*agreementv1.EventAgreementOpened](res); ok {
		t.Fatalf("agreement found in a tx without one: %v", ev)
	}
	bad := &client.TxResult{Events: []event.Event{{Type: "depin.agreement.v1.EventAgreementOpened",
		Attributes: []event.Attribute{{Key: "id", Value: "seven"}}}}}
	if ev, ok := firstEvent[*agreementv1.EventAgreementOpened](bad); ok {
		t.Fatalf("an undecodable event read as %v", ev)
	}
}
