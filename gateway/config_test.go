package gateway

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.SubmitterKey = testKey("submitter")
	if err := ok.Validate(); err != nil {
		t.Fatalf("DefaultConfig with a key: %v", err)
	}
	tc := TestConfig()
	tc.SubmitterKey = ok.SubmitterKey
	if err := tc.Validate(); err != nil {
		t.Fatalf("TestConfig with a key: %v", err)
	}
	for _, c := range []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"no key", func(c *Config) { c.SubmitterKey = nil }, "submitter key"},
		{"both MQTT modes", func(c *Config) { c.MQTTBroker = "tcp://broker:1883" }, "not both"},
		{"bad broker scheme", func(c *Config) { c.MQTTListen, c.MQTTBroker = "", "http://broker" }, "scheme"},
		{"broker without host", func(c *Config) { c.MQTTListen, c.MQTTBroker = "", "tcp://" }, "no host"},
		{"no way in", func(c *Config) { c.MQTTListen, c.HTTPListen = "", "" }, "no way in"},
		{"batch over the chain's limit", func(c *Config) { c.MaxBatchReports = 20_000; c.QueueLimit = 1 << 20 }, "chain's limit"},
		{"batch bytes over a tx", func(c *Config) { c.MaxBatchBytes = 8 << 20 }, "max batch bytes"},
		{"queue smaller than a batch", func(c *Config) { c.QueueLimit = 10 }, "queue limit"},
		{"no wait", func(c *Config) { c.MaxBatchWait = 0 }, "max batch wait"},
		{"backoff upside down", func(c *Config) { c.RetryMax = c.RetryMin / 2 }, "retry backoff"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.change(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate() = %v, want an error about %q", err, c.want)
			}
		})
	}
}
