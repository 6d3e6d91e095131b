package computeclient_test

import (
	"errors"
	"testing"

	"github.com/depinhq/depin/computeclient"
)

// A client made without a key reads jobs (status, results) and refuses to
// submit: 'depin compute status' and 'result' need no key.
func TestReadOnlyClient(t *testing.T) {
	c := computeclient.New(nil, nil, nil, nil)
	if _, err := c.Submit(t.Context(), computeclient.Job{}); !errors.Is(err, computeclient.ErrNoKey) {
		t.Fatalf("submit without a key: %v", err)
	}
}
