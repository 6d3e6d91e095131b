package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	uh3 "github.com/uber/h3-go/v4"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/agent"

	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// locationFlags give a cell directly or as latitude/longitude.
type locationFlags struct {
	cell     string
	lat, lon float64
	res      int
}

func (l *locationFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&l.cell, "cell", "", "H3 cell index (hex, as h3 tools print it)")
	cmd.Flags().Float64Var(&l.lat, "lat", 0, "latitude (with --lon, instead of --cell)")
	cmd.Flags().Float64Var(&l.lon, "lon", 0, "longitude")
	cmd.Flags().IntVar(&l.res, "res", 10, "H3 resolution for --lat/--lon")
}

func (l *locationFlags) resolve(cmd *cobra.Command) (uint64, error) {
	if l.cell != "" {
		c, err := strconv.ParseUint(l.cell, 16, 64)
		if err != nil {
			return 0, usageError{fmt.Errorf("--cell %q: not a hex H3 index", l.cell)}
		}
		return c, nil
	}
	if !cmd.Flags().Changed("lat") || !cmd.Flags().Changed("lon") {
		return 0, usageError{errors.New("give the location: --cell, or --lat and --lon")}
	}
	return latLonCell(l.lat, l.lon, l.res)
}

// latLonCell converts a location to a cell (off chain: floating point).
func latLonCell(lat, lon float64, res int) (uint64, error) {
	if lat < -90 || lat > 90 || lon < -180 || lon > 180 || res < device.MinCellResolution || res > 15 {
		return 0, usageError{fmt.Errorf("location %f,%f at resolution %d is out of range (lat ±90, lon ±180, res %d..15)", lat, lon, res, device.MinCellResolution)}
	}
	return uint64(uh3.LatLngToCell(uh3.NewLatLng(lat, lon), res)), nil
}

func cellString(c uint64) string { return strconv.FormatUint(c, 16) }

// readCert reads a certificate file written by 'depin maker certify'.
func readCert(path string) (*devicev1.SignedDeviceCert, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) > 64<<10 {
		return nil, fmt.Errorf("%s: too large for a certificate", path)
	}
	var sc devicev1.SignedDeviceCert
	if err := protojson.Unmarshal(b, &sc); err != nil {
		return nil, fmt.Errorf("%s: not a device certificate: %w", path, err)
	}
	return &sc, nil
}

func newMakerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "maker", Short: "Device makers: keys and offline device certificates"}
	var network_, model, serial, devKeyHex, out, chainID, passFile string
	var capacity, energyCapacity uint64
	certify := &cobra.Command{
		Use:   "certify MAKER_KEY",
		Short: "Sign a device certificate with a maker key (offline)",
		Example: `  depin maker certify acme --network solar --device-key 3b6a…(64 hex) --model SunBox5 --serial SN123 --capacity 5000 --chain-id depin-devnet --out cert.json
  depin maker certify acme --network battery --device-key 3b6a…(64 hex) --model PowerWall --serial B7 --capacity 5000 --energy-capacity 13500 --out cert.json`,
		Args: argsExactly(1, "MAKER_KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pub, err := hex.DecodeString(devKeyHex)
			if err != nil || len(pub) != ed25519.PublicKeySize {
				return usageError{fmt.Errorf("--device-key must be the device's 32-byte public key in hex")}
			}
			if chainID == "" {
				if chainID, err = g.chainID(cmd.Context()); err != nil {
					return usageError{fmt.Errorf("--chain-id is needed offline (no node reachable at %s)", g.nodeURL)}
				}
			}
			key, err := g.loadKey(args[0], passFile)
			if err != nil {
				return err
			}
			sc, err := device.SignCert(key.Private, chainID, &devicev1.DeviceCert{
				Network: network_, DevicePublicKey: pub, Model: model, Serial: serial, Capacity: capacity, EnergyCapacity: energyCapacity,
				MakerPublicKey: key.PublicKey})
			if err != nil {
				return err
			}
			if _, err := device.VerifyCert(chainID, sc); err != nil {
				return usageError{err}
			}
			js, _ := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(sc)
			if out == "" {
				_, err = fmt.Fprintln(cmd.OutOrStdout(), string(js))
				return err
			}
			if err := os.WriteFile(out, js, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote certificate for device %s to %s\n", crypto.DeviceString(crypto.AddressFromPubKey(pub)), out)
			return nil
		},
	}
	fl := certify.Flags()
	fl.StringVar(&network_, "network", "", "network the device joins (required)")
	fl.StringVar(&devKeyHex, "device-key", "", "device public key, hex (required; see 'depin device keygen')")
	fl.StringVar(&model, "model", "", "device model")
	fl.StringVar(&serial, "serial", "", "serial number (required, unique per maker)")
	fl.Uint64Var(&capacity, "capacity", 0, "certified capacity in the network's unit (W, GB, …; a battery's rated power in W) (required)")
	fl.Uint64Var(&energyCapacity, "energy-capacity", 0, "energy the device stores, Wh (batteries; 0 for devices that store none)")
	fl.StringVar(&out, "out", "", "write the certificate to this file instead of stdout")
	fl.StringVar(&chainID, "chain-id", "", "chain the certificate is for (default: ask the node)")
	fl.StringVar(&passFile, "passphrase-file", "", "file with the maker key's passphrase")
	for _, f := range []string{"network", "device-key", "serial", "capacity"} {
		_ = certify.MarkFlagRequired(f)
	}
	cmd.AddCommand(certify)
	return cmd
}

func newDeviceTxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "device", Short: "Register and manage devices"}
	var from, certPath string
	var loc locationFlags
	var f txFlags
	var pf possessionFlags
	register := &cobra.Command{
		Use:   "register",
		Short: "Register a maker-certified device, locking the network's stake",
		Long: `Register a maker-certified device to the --from account. The chain also
wants the device key's proof of possession — its signature over the owner's
address — so that nobody who merely saw the certificate can claim the
device: give the device key file (--key), or a proof made on the device
with 'depin device prove' (--proof).`,
		Example: `  depin tx device register --cert cert.json --key device.key --lat 52.52 --lon 13.405 --from alice
  depin tx device register --cert cert.json --proof 5f1c… --lat 52.52 --lon 13.405 --from alice`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := readCert(certPath)
			if err != nil {
				return usageError{err}
			}
			return g.registerDevice(cmd, from, &f, sc, &pf, &loc)
		},
	}
	register.Flags().StringVar(&certPath, "cert", "", "certificate file from 'depin maker certify' (required)")
	register.Flags().StringVar(&from, "from", "", "owner key (required)")
	pf.register(register)
	loc.register(register)
	f.register(register)
	_ = register.MarkFlagRequired("cert")
	_ = register.MarkFlagRequired("from")

	ownerOp := func(use, short string, nargs int, build func(cmd *cobra.Command, owner crypto.Address, id crypto.DeviceID, args []string) (*txv1.Msg, error)) *cobra.Command {
		var of txFlags
		var ofrom string
		c := &cobra.Command{
			Use:   use,
			Short: short,
			Args:  argsExactly(nargs, use),
			RunE: func(cmd *cobra.Command, args []string) error {
				id, err := parseDevice("DEVICE", args[0])
				if err != nil {
					return err
				}
				owner, err := g.resolveAddress(ofrom)
				if err != nil {
					return err
				}
				m, err := build(cmd, owner, id, args)
				if err != nil {
					return err
				}
				return g.sendMsgs(cmd, ofrom, &of, m)
			},
		}
		c.Flags().StringVar(&ofrom, "from", "", "owner key (required)")
		of.register(c)
		_ = c.MarkFlagRequired("from")
		return c
	}
	transfer := ownerOp("transfer DEVICE NEW_OWNER", "Give a device (and its stake) to another account", 2, func(cmd *cobra.Command, owner crypto.Address, id crypto.DeviceID, args []string) (*txv1.Msg, error) {
		to, err := g.resolveAddress(args[1])
		if err != nil {
			return nil, err
		}
		return &txv1.Msg{Sum: &txv1.Msg_TransferDevice{TransferDevice: &devicev1.MsgTransferDevice{Owner: owner.Bytes(), Device: id[:], NewOwner: to.Bytes()}}}, nil
	})
	var mloc locationFlags
	move := ownerOp("move DEVICE", "Relocate a device (rate-limited by the network)", 1, func(cmd *cobra.Command, owner crypto.Address, id crypto.DeviceID, args []string) (*txv1.Msg, error) {
		cell, err := mloc.resolve(cmd)
		if err != nil {
			return nil, err
		}
		return &txv1.Msg{Sum: &txv1.Msg_MoveDevice{MoveDevice: &devicev1.MsgMoveDevice{Owner: owner.Bytes(), Device: id[:], Cell: cell}}}, nil
	})
	mloc.register(move)
	deactivate := ownerOp("deactivate DEVICE", "Stop a device; its stake unbonds", 1, func(cmd *cobra.Command, owner crypto.Address, id crypto.DeviceID, args []string) (*txv1.Msg, error) {
		return &txv1.Msg{Sum: &txv1.Msg_DeactivateDevice{DeactivateDevice: &devicev1.MsgDeactivateDevice{Owner: owner.Bytes(), Device: id[:]}}}, nil
	})
	withdraw := ownerOp("withdraw DEVICE", "Withdraw an unbonded device's stake", 1, func(cmd *cobra.Command, owner crypto.Address, id crypto.DeviceID, args []string) (*txv1.Msg, error) {
		return &txv1.Msg{Sum: &txv1.Msg_WithdrawStake{WithdrawStake: &devicev1.MsgWithdrawStake{Owner: owner.Bytes(), Device: id[:]}}}, nil
	})
	cmd.AddCommand(register, transfer, move, deactivate, withdraw)
	return cmd
}

// chainID asks the node which chain it runs.
func (g *globals) chainID(ctx context.Context) (string, error) {
	c, err := g.client()
	if err != nil {
		return "", err
	}
	return c.ChainID(ctx)
}

// possessionFlags give a registration's proof of possession: the device
// key itself, or a proof made with it elsewhere.
type possessionFlags struct {
	keyPath, proof string
}

func (p *possessionFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.keyPath, "key", "", "device key file: signs the proof of possession")
	cmd.Flags().StringVar(&p.proof, "proof", "", "proof of possession (hex) from 'depin device prove', instead of --key")
}

// sign returns the device key's signature over owner for chainID.
func (p *possessionFlags) sign(chainID string, owner crypto.Address, sc *devicev1.SignedDeviceCert) ([]byte, error) {
	switch {
	case p.keyPath != "" && p.proof != "":
		return nil, usageError{errors.New("give --key or --proof, not both")}
	case p.keyPath != "":
		k, err := agent.LoadKey(p.keyPath)
		if err != nil {
			return nil, err
		}
		var cert devicev1.DeviceCert
		if err := proto.Unmarshal(sc.GetCertBytes(), &cert); err == nil && !bytes.Equal(cert.DevicePublicKey, k.Public().(ed25519.PublicKey)) {
			return nil, usageError{fmt.Errorf("%s is not the key of the certified device", p.keyPath)}
		}
		return crypto.SignPossession(k, chainID, owner), nil
	case p.proof != "":
		b, err := hex.DecodeString(strings.TrimPrefix(p.proof, "0x"))
		if err != nil || len(b) != ed25519.SignatureSize {
			return nil, usageError{fmt.Errorf("--proof must be %d bytes of hex", ed25519.SignatureSize)}
		}
		return b, nil
	}
	return nil, usageError{errors.New("the chain needs the device key's proof of possession: give --key DEVICE_KEY_FILE, or --proof from 'depin device prove'")}
}

// registerDevice submits a registration of a certified device at the
// location the flags give ('tx device register' and 'device register').
func (g *globals) registerDevice(cmd *cobra.Command, from string, f *txFlags, sc *devicev1.SignedDeviceCert, pf *possessionFlags, loc *locationFlags) error {
	cell, err := loc.resolve(cmd)
	if err != nil {
		return err
	}
	owner, err := g.resolveAddress(from)
	if err != nil {
		return err
	}
	chainID, err := g.chainID(cmd.Context())
	if err != nil {
		return err
	}
	proof, err := pf.sign(chainID, owner, sc)
	if err != nil {
		return err
	}
	return g.sendMsgs(cmd, from, f, client.RegisterDeviceMsgWithProof(owner, sc, proof, cell))
}

func newDeviceQueryCmds(g *globals) []*cobra.Command {
	one := &cobra.Command{
		Use:   "device DEVICE",
		Short: "Show a device: owner, status (and what to do about it), stake, reports, evidence, lease",
		Args:  argsExactly(1, "DEVICE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, d, err := g.registeredDevice(cmd, args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			n, err := c.Network(ctx, d.Network, client.QueryOptions{})
			if err != nil {
				return err
			}
			v := newDeviceView(d, effectiveUnbonding(d, n))
			if d.Status == devicev1.DeviceStatus_DEVICE_STATUS_JAILED {
				e, err := c.FirstEvidence(ctx, id)
				if err != nil {
					return err
				}
				if e != nil {
					v.Jail = &jailView{Height: e.Height, Evidence: hex.EncodeToString(e.Id), Kind: enumName(e.Kind.String(), "EVIDENCE_KIND_")}
				}
			}
			l, err := c.Lease(ctx, id)
			if err != nil {
				return err
			}
			if l != nil {
				lv := newLeaseView(l)
				lv.rewardDenom = n.GetRewardDenom()
				v.Lease = &lv
			}
			if st, err := c.Status(ctx); err == nil {
				v.chainTime = st.SyncInfo.LatestBlockTime.Unix()
			}
			return g.render(cmd.OutOrStdout(), v)
		},
	}
	lease := &cobra.Command{
		Use:     "lease DEVICE",
		Short:   "Show a device's lease: lessee, term, rent, escrow, what was paid",
		Example: `  depin query lease depindev1…`,
		Args:    argsExactly(1, "DEVICE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, d, err := g.registeredDevice(cmd, args[0])
			if err != nil {
				return err
			}
			l, err := c.Lease(cmd.Context(), id)
			if err != nil {
				return err
			}
			if l == nil {
				return fmt.Errorf("device %s has no lease (its owner offers one with 'depin tx lease offer %s --lessee … --from %s')", args[0], args[0], accountString(d.Owner))
			}
			v := newLeaseView(l)
			if n, err := c.Network(cmd.Context(), d.Network, client.QueryOptions{}); err == nil && n != nil {
				v.rewardDenom = n.RewardDenom
			}
			return g.render(cmd.OutOrStdout(), v)
		},
	}
	var owner, net string
	var loc locationFlags
	var limit int
	list := &cobra.Command{
		Use:   "devices",
		Short: "List devices by --owner, by --network, or by --network and hex (--cell or --lat/--lon/--res)",
		Args:  argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			var f client.DeviceFilter
			f.Limit = limit
			switch {
			case owner != "":
				a, err := g.resolveAddress(owner)
				if err != nil {
					return err
				}
				f.Owner = &a
			case net != "":
				f.Network = net
				if loc.cell != "" || cmd.Flags().Changed("lat") {
					cell, err := loc.resolve(cmd)
					if err != nil {
						return err
					}
					f.Hex = cell
				}
			default:
				return usageError{errors.New("give --owner, or --network (optionally with a hex)")}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ids, err := c.Devices(cmd.Context(), f)
			if err != nil {
				return err
			}
			l := make(deviceList, 0, len(ids))
			nets := map[string]*networkv1.Network{}
			for _, id := range ids {
				d, err := c.Device(cmd.Context(), id, client.QueryOptions{})
				if err != nil {
					return err
				}
				if d == nil {
					continue
				}
				n, ok := nets[d.Network]
				if !ok {
					if n, err = c.Network(cmd.Context(), d.Network, client.QueryOptions{}); err != nil {
						return err
					}
					nets[d.Network] = n
				}
				l = append(l, newDeviceView(d, effectiveUnbonding(d, n)))
			}
			return g.render(cmd.OutOrStdout(), l)
		},
	}
	list.Flags().StringVar(&owner, "owner", "", "owner address or key name")
	list.Flags().StringVar(&net, "network", "", "network id")
	list.Flags().IntVar(&limit, "limit", 100, "at most this many (0 = all)")
	loc.res = 7
	list.Flags().StringVar(&loc.cell, "cell", "", "hex (any resolution) to list devices in")
	list.Flags().Float64Var(&loc.lat, "lat", 0, "latitude of the hex")
	list.Flags().Float64Var(&loc.lon, "lon", 0, "longitude of the hex")
	list.Flags().IntVar(&loc.res, "res", 7, "resolution of the hex for --lat/--lon")

	var epoch int64
	work := &cobra.Command{
		Use:   "work DEVICE",
		Short: "Show a device's verified work in an epoch (default: the current one)",
		Args:  argsExactly(1, "DEVICE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseDevice("DEVICE", args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			d, err := c.Device(ctx, id, client.QueryOptions{})
			if err != nil {
				return err
			}
			if d == nil {
				return fmt.Errorf("device %s is not registered", args[0])
			}
			n, err := c.Network(ctx, d.Network, client.QueryOptions{})
			if err != nil {
				return err
			}
			e := uint64(epoch)
			if epoch < 0 {
				st, err := c.Status(ctx)
				if err != nil {
					return err
				}
				e = network.EpochAt(n, st.SyncInfo.LatestBlockTime.Unix())
			}
			wr, err := c.Work(ctx, d.Network, e, id)
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), newWorkView(crypto.DeviceString(id), d.Network, n.GetParams(), e, wr))
		},
	}
	work.Flags().Int64Var(&epoch, "epoch", -1, "epoch number (default: the current one)")

	evidence := &cobra.Command{
		Use:   "evidence DEVICE",
		Short: "List fraud evidence recorded against a device",
		Args:  argsExactly(1, "DEVICE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseDevice("DEVICE", args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			evs, err := c.Evidence(cmd.Context(), id)
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), newEvidenceList(evs))
		},
	}
	return []*cobra.Command{one, lease, list, work, evidence}
}
