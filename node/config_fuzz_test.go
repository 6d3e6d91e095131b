package node_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/depinhq/depin/node"
)

func TestParseAppConfig(t *testing.T) {
	def := node.DefaultAppConfig()
	cases := []struct {
		name    string
		in      string
		want    node.AppConfig
		wantErr bool
	}{
		{name: "empty is the defaults", in: "", want: def},
		{name: "comments only", in: "# nothing\n\n", want: def},
		{name: "override", in: "api_address = \"0.0.0.0:1318\"\nkeep_recent = 5\n", want: node.AppConfig{APIAddress: "0.0.0.0:1318", KeepRecent: 5, StateCacheNodes: def.StateCacheNodes, DeviceKeyCache: def.DeviceKeyCache}},
		{name: "partial keeps other defaults", in: "keep_recent = 0\n", want: node.AppConfig{APIAddress: def.APIAddress, KeepRecent: 0, StateCacheNodes: def.StateCacheNodes, DeviceKeyCache: def.DeviceKeyCache}},
		{name: "api disabled", in: "api_address = \"\"\n", want: node.AppConfig{KeepRecent: def.KeepRecent, StateCacheNodes: def.StateCacheNodes, DeviceKeyCache: def.DeviceKeyCache}},
		{name: "ipv6", in: "api_address = \"[::1]:1317\"\n", want: node.AppConfig{APIAddress: "[::1]:1317", KeepRecent: def.KeepRecent, StateCacheNodes: def.StateCacheNodes, DeviceKeyCache: def.DeviceKeyCache}},

		{name: "key cache off", in: "device_key_cache = 0\n", want: node.AppConfig{APIAddress: def.APIAddress, KeepRecent: def.KeepRecent, StateCacheNodes: def.StateCacheNodes}},
		{name: "invariants checked", in: "check_invariants = true\n", want: withInvariants(def, true)},
		{name: "invariants not checked", in: "check_invariants = false\n", want: def},

		{name: "unknown key", in: "keep_recnet = 5\n", wantErr: true},
		{name: "check_invariants as string", in: "check_invariants = \"true\"\n", wantErr: true},
		{name: "check_invariants as number", in: "check_invariants = 1\n", wantErr: true},
		{name: "check_invariants misspelt", in: "check_invariant = true\n", wantErr: true},
		{name: "negative device_key_cache", in: "device_key_cache = -1\n", wantErr: true},
		{name: "huge device_key_cache", in: "device_key_cache = 100000000\n", wantErr: true},
		{name: "unknown table", in: "[api]\naddress = \"127.0.0.1:1\"\n", wantErr: true},
		{name: "negative keep_recent", in: "keep_recent = -1\n", wantErr: true},
		{name: "keep_recent as string", in: "keep_recent = \"10\"\n", wantErr: true},
		{name: "keep_recent as float", in: "keep_recent = 1.5\n", wantErr: true},
		{name: "keep_recent overflows", in: "keep_recent = 9223372036854775808\n", wantErr: true},
		{name: "api_address without port", in: "api_address = \"localhost\"\n", wantErr: true},
		{name: "api_address with scheme", in: "api_address = \"http://127.0.0.1:1317\"\n", wantErr: true},
		{name: "api_address as number", in: "api_address = 1317\n", wantErr: true},
		{name: "duplicate key", in: "keep_recent = 1\nkeep_recent = 2\n", wantErr: true},
		{name: "not toml", in: "{\"keep_recent\": 1}", wantErr: true},
		{name: "oversize", in: "# " + string(bytes.Repeat([]byte("x"), 1<<20)) + "\n", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := node.ParseAppConfig([]byte(tc.in))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("accepted: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func withInvariants(c node.AppConfig, on bool) node.AppConfig {
	c.CheckInvariants = on
	return c
}

func TestAppConfigFileRoundTrip(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := node.LoadAppConfig(home); err != nil || got != node.DefaultAppConfig() {
		t.Fatalf("without a file: %+v, %v; want the defaults", got, err)
	}
	for _, want := range []node.AppConfig{{APIAddress: "", KeepRecent: 0}, withInvariants(node.DefaultAppConfig(), true)} {
		if err := node.WriteAppConfig(home, want); err != nil {
			t.Fatal(err)
		}
		if got, err := node.LoadAppConfig(home); err != nil || got != want {
			t.Fatalf("read back %+v, %v; want %+v", got, err, want)
		}
	}
	if err := node.WriteAppConfig(home, node.AppConfig{KeepRecent: -1}); err == nil {
		t.Fatal("wrote an invalid config")
	}
}

func FuzzParseAppConfig(f *testing.F) {
	def, err := toml.Marshal(node.DefaultAppConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte(""))
	f.Add([]byte("api_address = \"[::1]:0\"\nkeep_recent = 0\n"))
	f.Add([]byte("keep_recent = -1\n"))
	f.Add([]byte("[x]\ny = 1\n"))
	f.Add([]byte("api_address = 'a:b'\n"))
	f.Add([]byte("check_invariants = true\nkeep_recent = 3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := node.ParseAppConfig(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseAppConfig accepted an invalid config %+v: %v", c, err)
		}
		// What we accept, we can write back and read again unchanged.
		out, err := toml.Marshal(c)
		if err != nil {
			t.Fatalf("marshal %+v: %v", c, err)
		}
		back, err := node.ParseAppConfig(out)
		if err != nil || back != c {
			t.Fatalf("%+v written as\n%s\nreads back as %+v, %v", c, out, back, err)
		}
	})
}
