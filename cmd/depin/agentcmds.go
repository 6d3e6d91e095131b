package main

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	uh3 "github.com/uber/h3-go/v4"

	"github.com/depinhq/depin/agent"
	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
)

// newDeviceCmd is the device side: keys, registration, running a device.
func newDeviceCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "device", Short: "Device software: keys, registration, run a (simulated) device"}

	var out string
	keygen := &cobra.Command{
		Use:   "keygen",
		Short: "Create a device key file (unencrypted: device firmware must read it unattended)",
		Args:  argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := agent.GenerateKey()
			if err != nil {
				return err
			}
			if err := agent.SaveKey(out, k); err != nil {
				return err
			}
			id := crypto.AddressFromPubKey(k.Public().(ed25519.PublicKey))
			return g.render(cmd.OutOrStdout(), deviceKeyView{Device: crypto.DeviceString(id), PublicKey: hex.EncodeToString(k.Public().(ed25519.PublicKey)), KeyFile: out})
		},
	}
	keygen.Flags().StringVar(&out, "out", "device.key", "key file to write")

	var keyPath, certPath, maker, network_, model, serial, from, proofHex string
	var capacity, energyCapacity uint64
	var loc locationFlags
	var f txFlags
	register := &cobra.Command{
		Use:   "register",
		Short: "Register a device: with a maker certificate (--cert), or certify it now with a local maker key (--maker)",
		Example: `  depin device register --key device.key --maker acme --network solar --capacity 5000 --lat 52.52 --lon 13.405 --from alice
  depin device register --cert cert.json --key device.key --lat 52.52 --lon 13.405 --from alice`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			var sc *devicev1.SignedDeviceCert
			var err error
			switch {
			case certPath != "":
				if sc, err = readCert(certPath); err != nil {
					return usageError{err}
				}
			case maker != "":
				if keyPath == "" || network_ == "" || capacity == 0 {
					return usageError{errors.New("with --maker, give --key, --network and --capacity")}
				}
				k, err := agent.LoadKey(keyPath)
				if err != nil {
					return err
				}
				mk, err := g.loadKey(maker, f.passFile)
				if err != nil {
					return err
				}
				chainID, err := g.chainID(cmd.Context())
				if err != nil {
					return err
				}
				pub := k.Public().(ed25519.PublicKey)
				if serial == "" {
					serial = crypto.DeviceString(crypto.AddressFromPubKey(pub))
				}
				sc, err = device.SignCert(mk.Private, chainID, &devicev1.DeviceCert{Network: network_, DevicePublicKey: pub, Model: model, Serial: serial,
					Capacity: capacity, EnergyCapacity: energyCapacity, MakerPublicKey: mk.PublicKey})
				if err != nil {
					return err
				}
			default:
				return usageError{errors.New("give --cert, or --maker with --key")}
			}
			return g.registerDevice(cmd, from, &f, sc, &possessionFlags{keyPath: keyPath, proof: proofHex}, &loc)
		},
	}
	rf := register.Flags()
	rf.StringVar(&keyPath, "key", "", "device key file: signs the proof of possession (and, with --maker, is certified)")
	rf.StringVar(&proofHex, "proof", "", "proof of possession (hex) from 'depin device prove', instead of --key")
	rf.StringVar(&certPath, "cert", "", "certificate file from 'depin maker certify'")
	rf.StringVar(&maker, "maker", "", "local maker key to certify the device with")
	rf.StringVar(&network_, "network", "", "network (with --maker)")
	rf.StringVar(&model, "model", "", "model (with --maker)")
	rf.StringVar(&serial, "serial", "", "serial (with --maker; default: the device id)")
	rf.Uint64Var(&capacity, "capacity", 0, "capacity (with --maker)")
	rf.Uint64Var(&energyCapacity, "energy-capacity", 0, "energy the device stores, Wh (with --maker, for batteries)")
	rf.StringVar(&from, "from", "", "owner key (required)")
	loc.register(register)
	f.register(register)
	_ = register.MarkFlagRequired("from")

	var rKey, rKind, rNet, mqttURL, httpURL, statePath string
	var rInterval, rDuration time.Duration
	var rIgnoreDispatch bool
	run := &cobra.Command{
		Use:   "run",
		Short: "Run a device: sign a report every interval and publish it over MQTT or HTTP",
		Long: `Run a device with a simulated sensor (--sim KIND): every --interval it
measures, signs a report with the device key and publishes it to a gateway
(MQTT topic depin/v1/<network>/<device>/report, or HTTP POST /v1/reports),
queueing and retrying while the gateway is unreachable. The device's
sequence is kept in --state so a restart never reuses a seq. A simulated
battery (--sim battery) in a virtual power plant follows the dispatches the
gateway forwards it (MQTT depin/devices/<device>/dispatch; with --http, GET
/v1/dispatch/<device> every 15 s).`,
		Example: `  depin device run --key device.key --sim solar --network solar --mqtt tcp://127.0.0.1:1883
  depin device run --key battery.key --sim battery`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			kind, err := agent.LookupKind(rKind)
			if err != nil {
				return usageError{fmt.Errorf("--sim %q: known kinds are %s", rKind, strings.Join(agent.KindNames(), ", "))}
			}
			k, err := agent.LoadKey(rKey)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			chainID, err := c.ChainID(ctx)
			if err != nil {
				return err
			}
			id := crypto.AddressFromPubKey(k.Public().(ed25519.PublicKey))
			d, err := c.Device(ctx, id, client.QueryOptions{})
			if err != nil {
				return err
			}
			if d == nil {
				return fmt.Errorf("device %s is not registered: run 'depin device register' first", crypto.DeviceString(id))
			}
			if rNet == "" {
				rNet = d.Network
			}
			ll := uh3.Cell(d.Cell).LatLng()
			if statePath == "" {
				statePath = rKey + ".state"
			}
			sf := agent.StateFile{Path: statePath}
			st, err := sf.Load()
			if err != nil {
				return err
			}
			dev, err := agent.NewDevice(agent.DeviceConfig{Key: k, Network: rNet, ChainID: chainID, Capacity: d.Capacity, Lat: ll.Lat, Lon: ll.Lng, State: st, Saver: sf})
			if err != nil {
				return err
			}
			gen, err := kind.NewGenerator(agent.GeneratorConfig{Seed: binary.BigEndian.Uint64(id[:8]), Capacity: d.Capacity,
				EnergyCapacity: d.EnergyCapacity, Lat: ll.Lat, Lon: ll.Lng, IgnoreDispatch: rIgnoreDispatch})
			if err != nil {
				return err
			}
			// A battery follows the dispatches its gateway forwards (a line
			// each); other kinds have none.
			var onDispatch func(agent.Dispatch)
			if follower, ok := gen.(agent.DispatchFollower); ok {
				onDispatch = func(dp agent.Dispatch) {
					follower.Follow(dp)
					note := ""
					if rIgnoreDispatch {
						note = " (ignored: --ignore-dispatch)"
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "%s%s\n", dp, note)
				}
			}
			// The chain's verdict on each report, as the gateway tells it
			// the device: a line each, counted for the summary.
			var outMu sync.Mutex
			verdicts := map[string]uint64{}
			onOutcome := func(o agent.Outcome) {
				outMu.Lock()
				defer outMu.Unlock()
				verdicts[o.Status]++
				fmt.Fprintln(cmd.ErrOrStderr(), o)
			}
			var pub agent.Publisher
			var waitOutcomes func(context.Context) error
			switch {
			case httpURL != "":
				var hp *agent.HTTPPublisher
				hp, err = agent.NewHTTPPublisher(agent.HTTPConfig{URL: httpURL, OnOutcome: onOutcome, Device: dev.String(), OnDispatch: onDispatch})
				pub, waitOutcomes = hp, hp.WaitOutcomes
			default:
				mc := agent.DefaultMQTTConfig(mqttURL)
				mc.ClientID = dev.String()
				mc.Device = dev.String() // subscribes to depin/devices/<id>/results
				mc.OnOutcome = onOutcome
				mc.OnDispatch = onDispatch // subscribes to depin/devices/<id>/dispatch
				var mp *agent.MQTTPublisher
				mp, err = agent.NewMQTTPublisher(mc)
				pub, waitOutcomes = mp, mp.WaitOutcomes
			}
			if err != nil {
				return err
			}
			q, err := agent.NewQueuedPublisher(pub, agent.DefaultQueueConfig())
			if err != nil {
				return err
			}
			interval := rInterval
			if interval == 0 {
				interval = kind.ReportInterval
			}
			rc := agent.RunnerConfig{Interval: interval, Clock: agent.SystemClock()}
			if rDuration > 0 {
				rc.Until = time.Now().Add(rDuration)
			}
			runner, err := agent.NewRunner(dev, gen, q, rc)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "device %s (%s, capacity %d) reporting every %s to %s; Ctrl-C to stop\n", dev.String(), rKind, d.Capacity, interval, firstNonEmpty(httpURL, mqttURL))
			runErr := runner.Run(ctx)
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = q.Flush(fctx)
			_ = waitOutcomes(fctx) // the verdicts of what was delivered
			q.Close()
			stats := runner.Stats()
			qs := q.Stats()
			outMu.Lock()
			v := deviceRunView{Device: dev.String(), Signed: stats.Signed, Offline: stats.Offline, Delivered: qs.Delivered, Rejected: qs.Rejected,
				Dropped: qs.Dropped, Pending: uint64(qs.Pending), LastSeq: stats.LastSeq,
				AcceptedOnChain: verdicts[agent.StatusAccepted], RejectedOnChain: verdicts[agent.StatusRejected]}
			outMu.Unlock()
			if perr := g.render(cmd.OutOrStdout(), v); perr != nil {
				return perr
			}
			if errors.Is(runErr, context.Canceled) {
				return nil
			}
			return runErr
		},
	}
	runf := run.Flags()
	runf.StringVar(&rKey, "key", "device.key", "device key file")
	runf.StringVar(&rKind, "sim", "", "simulated sensor kind (required): "+strings.Join(agent.KindNames(), ", "))
	runf.StringVar(&rNet, "network", "", "network (default: the one the device is registered in)")
	runf.StringVar(&mqttURL, "mqtt", "tcp://127.0.0.1:1883", "gateway MQTT broker")
	runf.StringVar(&httpURL, "http", "", "gateway HTTP base URL (instead of MQTT), e.g. http://127.0.0.1:8080")
	runf.StringVar(&statePath, "state", "", "file keeping the device's seq (default: KEY.state)")
	runf.DurationVar(&rInterval, "interval", 0, "report period (default: the kind's)")
	runf.DurationVar(&rDuration, "duration", 0, "stop after this long (default: run until Ctrl-C)")
	runf.BoolVar(&rIgnoreDispatch, "ignore-dispatch", false, "a simulated battery takes no notice of the dispatches it is sent (to see what the chain does with one that does not respond)")
	_ = run.MarkFlagRequired("sim")
	var pKey, pOwner, pChain string
	prove := &cobra.Command{
		Use:   "prove",
		Short: "Sign the device key's proof of possession for registering the device to an owner",
		Long: `Print the device key's proof of possession: its signature over the owner's
address on this chain, which 'depin tx device register --proof' (or any
registration) must carry. Run it where the device key is (on the device);
the key never leaves it.`,
		Example: `  depin device prove --key device.key --owner depin1… --chain-id depin-devnet`,
		Args:    argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := agent.LoadKey(pKey)
			if err != nil {
				return err
			}
			owner, err := g.resolveAddress(pOwner)
			if err != nil {
				return usageError{err}
			}
			chainID := pChain
			if chainID == "" {
				if chainID, err = g.chainID(cmd.Context()); err != nil {
					return fmt.Errorf("%w (or give --chain-id)", err)
				}
			}
			proof := hex.EncodeToString(crypto.SignPossession(k, chainID, owner))
			return g.render(cmd.OutOrStdout(), possessionView{Device: crypto.DeviceString(crypto.AddressFromPubKey(k.Public().(ed25519.PublicKey))),
				Owner: owner.String(), ChainID: chainID, Proof: proof})
		},
	}
	prove.Flags().StringVar(&pKey, "key", "device.key", "device key file")
	prove.Flags().StringVar(&pOwner, "owner", "", "the account that will register the device (address or key name; required)")
	prove.Flags().StringVar(&pChain, "chain-id", "", "chain id (default: ask the node)")
	_ = prove.MarkFlagRequired("owner")

	cmd.AddCommand(keygen, register, prove, run)
	return cmd
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
