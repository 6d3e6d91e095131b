package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Publisher delivers signed reports to a gateway. Publish returns once the
// gateway has taken the report (an MQTT PUBACK, an HTTP 2xx), or with an
// error wrapping ErrRejected (never retry) or ErrUnavailable (retry later).
type Publisher interface {
	Publish(ctx context.Context, network, device string, payload []byte) error
	Close()
}

// Errors of publishers.
var (
	// ErrRejected: the gateway refused the report. Sending the same bytes
	// again cannot succeed; fix the device (registration, network, clock)
	// instead.
	ErrRejected = errors.New("report rejected by the gateway")
	// ErrUnavailable: the gateway could not be reached or is overloaded;
	// the same report may succeed later.
	ErrUnavailable = errors.New("gateway unavailable")
	// ErrClosed: the publisher was closed.
	ErrClosed = errors.New("publisher closed")
)

// Topic is the MQTT topic a device's reports go to:
// depin/v1/<network>/<device>/report, device being the depindev1… id.
func Topic(network, device string) string {
	return "depin/v1/" + network + "/" + device + "/report"
}

// checkTopicLevels makes sure network and device are single, literal MQTT
// topic levels.
func checkTopicLevels(network, device string) error {
	for _, s := range []string{network, device} {
		if s == "" || strings.ContainsAny(s, "/+#\x00") {
			return fmt.Errorf("%w: %q cannot be an MQTT topic level", ErrRejected, s)
		}
	}
	return nil
}
