package examples_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/gateway"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
)

const vectorsFile = "../wire/testdata/device-vectors.json"

// referenceDevices finds or builds each reference device (a subtest skips
// when its tools are missing, outside CI).
var referenceDevices = []struct {
	name string
	find func(*testing.T) referenceDevice
}{{"python", pythonDevice}, {"c", cDevice}}

// referenceDevice is how to run one reference device: argv prefix, and the
// form its --http flag takes.
type referenceDevice struct {
	name    string
	argv    []string
	httpURL func(addr string) string
}

// missing skips the test, or fails it under CI=true, where .ci/run has
// installed everything the reference devices need.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format+" (CI=true: .ci/run should have installed it)", args...)
	}
	t.Skipf(format+" (install gcc make libsodium-dev libmosquitto-dev python3-cryptography python3-paho-mqtt)", args...)
}

// pythonDevice finds a Python that has cryptography and paho-mqtt. Debian
// installs them for /usr/bin/python3, which need not be the python3 first
// on PATH.
func pythonDevice(t *testing.T) referenceDevice {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import cryptography, paho.mqtt.client").Run() == nil {
			return referenceDevice{name: "python", argv: []string{py, "python/device.py"},
				httpURL: func(addr string) string { return "http://" + addr }}
		}
	}
	missing(t, "no python3 with the cryptography and paho-mqtt modules")
	return referenceDevice{}
}

// cDevice builds the C device with its Makefile, outside the source tree.
func cDevice(t *testing.T) referenceDevice {
	for _, tool := range []string{"make", "cc"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing(t, "%s not found", tool)
		}
	}
	for _, h := range []string{"/usr/include/sodium.h", "/usr/include/mosquitto.h"} {
		if _, err := os.Stat(h); err != nil {
			missing(t, "%s not found", h)
		}
	}
	bin := filepath.Join(t.TempDir(), "device")
	if out, err := exec.Command("make", "-s", "-C", "c", "OUT="+bin).CombinedOutput(); err != nil {
		t.Fatalf("building the C device: %v\n%s", err, out)
	}
	return referenceDevice{name: "c", argv: []string{bin}, httpURL: func(addr string) string { return addr }}
}

// run runs the device with args and returns its stdout; stderr goes to the
// test log.
func (d referenceDevice) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(d.argv[0], append(d.argv[1:], args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if stderr.Len() > 0 {
		t.Logf("%s %s: stderr:\n%s", d.name, args[0], stderr.String())
	}
	return stdout.String(), err
}

func (d referenceDevice) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := d.run(t, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", d.name, strings.Join(args, " "), err, out)
	}
	return out
}

// TestReferenceDevicesVectors runs each reference device's --vectors mode
// on the vectors file that wire's tests keep in step with the library.
func TestReferenceDevicesVectors(t *testing.T) {
	for _, rd := range referenceDevices {
		t.Run(rd.name, func(t *testing.T) {
			d := rd.find(t)
			out := d.must(t, "--vectors", vectorsFile)
			if !strings.Contains(out, " passed, 0 failed") {
				t.Fatalf("vectors: %s", out)
			}
			t.Log(strings.TrimSpace(out))
		})
	}
	// The vectors' topics are the gateway's.
	var v struct {
		Key struct {
			PublicKey string `json:"public_key"`
		} `json:"key"`
		Reports []struct {
			Network, Topic string
		} `json:"reports"`
	}
	raw, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	pub, _ := hex.DecodeString(v.Key.PublicKey)
	for _, r := range v.Reports {
		if want := gateway.ReportTopic(r.Network, crypto.AddressFromPubKey(pub)); r.Topic != want {
			t.Errorf("vector topic %s, the gateway's %s", r.Topic, want)
		}
	}
}

// berlin is an H3 cell at resolution 10 (52.52 N, 13.405 E).
const berlin = 0x8a1f1d48945ffff

// TestReferenceDevicesOnDevnet registers each reference device on a real
// chain the way an owner would — a maker's certificate, the device's own
// proof of possession — then lets it publish three reports over MQTT and
// one over HTTP to a real gateway, and checks the chain accepted all four.
func TestReferenceDevicesOnDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet and runs the reference devices")
	}
	n := nodetest.Devnet(t, node.DevnetOptions{})
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys := keystore.Open(node.KeysDir(n.Home()))
	alice, err := keys.Load("alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := keys.Load("bob", nil)
	if err != nil {
		t.Fatal(err)
	}
	owner := crypto.AddressFromPubKey(alice.Private.Public().(ed25519.PublicKey))

	// A solar network (energy in Wh, at most capacity × seconds / 3600) and
	// an approved maker.
	const network = "solar"
	makerSeed := sha256.Sum256([]byte("depin examples maker"))
	maker := ed25519.NewKeyFromSeed(makerSeed[:])
	makerPub := maker.Public().(ed25519.PublicKey)
	if _, err := c.SendTx(ctx, alice.Private, []*txv1.Msg{
		{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
			Owner: owner.Bytes(), Id: network, Name: "Solar", Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, Physical: true,
			RewardDenom: "usolar",
			Params: &networkv1.Params{
				Metrics:      []*networkv1.Metric{{Id: 1, Name: "energy", Unit: "Wh", BoundNum: 1, BoundDen: 3600, Weight: 1}},
				EpochSeconds: 3600, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 30,
				MinStake: 1_000_000, UnbondingSeconds: 60, MinMoveIntervalSeconds: 60,
			}}}},
		{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
			Owner: owner.Bytes(), Network: network, MakerPublicKey: makerPub, Name: "examples"}}},
	}, client.TxOptions{}); err != nil {
		t.Fatalf("create network: %v", err)
	}

	cfg := gateway.TestConfig()
	cfg.SubmitterKey = bob.Private
	cfg.MaxBatchWait = 100 * time.Millisecond
	cfg.ConfirmTimeout = 5 * time.Second
	g, err := gateway.New(cfg, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	gctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- g.Run(gctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("gateway: %v", err)
		}
	})

	for _, rd := range referenceDevices {
		t.Run(rd.name, func(t *testing.T) {
			d := rd.find(t)
			dir := t.TempDir()
			keyFile := filepath.Join(dir, "device.key")
			// The device makes its key and shows its identity.
			var shown struct {
				Device    string `json:"device"`
				PublicKey string `json:"public_key"`
			}
			if err := json.Unmarshal([]byte(d.must(t, "show", "--key", keyFile)), &shown); err != nil {
				t.Fatal(err)
			}
			pub, err := hex.DecodeString(shown.PublicKey)
			if err != nil || len(pub) != ed25519.PublicKeySize {
				t.Fatalf("public key %q", shown.PublicKey)
			}
			id := crypto.AddressFromPubKey(pub)
			if shown.Device != crypto.DeviceString(id) {
				t.Fatalf("device id %s, want %s", shown.Device, crypto.DeviceString(id))
			}

			// The maker certifies it; the device proves possession of its
			// key to the owner; the owner registers it.
			cert, err := device.SignCert(maker, chainID, &devicev1.DeviceCert{
				Network: network, DevicePublicKey: pub, Model: "reference-" + d.name, Serial: d.name,
				Capacity: 5000, MakerPublicKey: makerPub})
			if err != nil {
				t.Fatal(err)
			}
			proofHex := strings.TrimSpace(d.must(t, "prove", "--key", keyFile, "--owner", owner.String(), "--chain-id", chainID))
			proof, err := hex.DecodeString(proofHex)
			if err != nil {
				t.Fatalf("proof %q: %v", proofHex, err)
			}
			if err := crypto.VerifyPossession(pub, chainID, owner, proof); err != nil {
				t.Fatalf("proof of possession: %v", err)
			}
			if _, err := c.SendTx(ctx, alice.Private, []*txv1.Msg{
				client.RegisterDeviceMsgWithProof(owner, cert, proof, berlin)}, client.TxOptions{}); err != nil {
				t.Fatalf("register: %v", err)
			}

			// Three reports over MQTT, one over HTTP; the seq and the
			// period carry over in the device's state file.
			out := d.must(t, "run", "--key", keyFile, "--network", network, "--chain-id", chainID,
				"--metric", "1=1", "--count", "3", "--interval", "1", "--mqtt", g.MQTTAddr())
			if got := strings.Count(out, "PUBACK 0x00"); got != 3 {
				t.Fatalf("MQTT: %d PUBACKs with 0x00, want 3:\n%s", got, out)
			}
			out = d.must(t, "run", "--key", keyFile, "--network", network, "--chain-id", chainID,
				"--metric", "1=1", "--count", "1", "--http", d.httpURL(g.HTTPAddr()))
			if !strings.Contains(out, "HTTP 202") {
				t.Fatalf("HTTP: %s", out)
			}
			t.Logf("%s", out)

			deadline := time.Now().Add(30 * time.Second)
			for {
				dev, err := c.Device(ctx, id, client.QueryOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if dev != nil && dev.ReportsAccepted == 4 {
					if dev.LastSeq != 4 || dev.ReportsRejected != 0 || dev.Work == nil || dev.Work.ReportsAccepted != 4 {
						t.Fatalf("device record: last seq %d, rejected %d, work %v", dev.LastSeq, dev.ReportsRejected, dev.Work)
					}
					w, err := c.Work(ctx, network, dev.WorkEpoch, id)
					if err != nil {
						t.Fatal(err)
					}
					if w.ReportsAccepted != 4 || len(w.Totals) != 1 || w.Totals[0].Value != 4 {
						t.Fatalf("work record: %v", w)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the chain did not accept the 4 reports in 30 s: device %v, gateway %+v", dev, g.Stats())
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}
