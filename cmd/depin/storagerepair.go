package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/storageclient"
)

func newStorageRepairCmd(g *globals) *cobra.Command {
	var from, passFile, network string
	var once bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "repair",
		Short: "Repair storage deals whose segments lost pieces (anyone may; the chain pays a fee per repaired piece)",
		Long: `repair watches the active deals of a storage network. A segment whose
live pieces fell to its deal's repair threshold (their nodes were
disqualified) and are still at least k is rebuilt: repair downloads k
live pieces (each checked against its root on chain), rebuilds the lost
ones with Reed–Solomon (checked against their roots on chain before
anything is uploaded: a deal not coded as 'depin storage put' codes is
reported and skipped), uploads them to eligible nodes that hold nothing
of the segment and whose owners hold nothing of it either, and sends
MsgRepairDeal, which moves the pieces to their new nodes. --from's
account signs the orders and the tx and is paid the network's repair
fee for each piece once it passes an audit at its new node. Nothing is
decrypted: pieces are ciphertext, readable by anyone while a live deal
references them.

Without --once it passes every --interval until interrupted, printing
each pass that found something due.`,
		Example: `  depin storage repair --from carol --once
  depin storage repair --from carol --network vault --interval 1m -o json`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !once && interval <= 0 {
				return usageError{fmt.Errorf("--interval %s: give a positive interval, or --once", interval)}
			}
			sc, err := g.storageClient(cmd, from, passFile)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			opts := storageclient.RepairOptions{Network: network}
			for {
				rep, err := sc.RepairPass(ctx, opts)
				if once {
					if rep != nil {
						if rerr := g.render(cmd.OutOrStdout(), newStorageRepairView(rep)); rerr != nil {
							return rerr
						}
					}
					if err != nil {
						return storageError(err)
					}
					return nil
				}
				if ctx.Err() != nil {
					return nil
				}
				if rep != nil && rep.Due > 0 {
					if rerr := g.render(cmd.OutOrStdout(), newStorageRepairView(rep)); rerr != nil {
						return rerr
					}
				}
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "repair pass: %v (next pass in %s)\n", storageError(err), interval)
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(interval):
				}
			}
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the repairer: signs orders and repair txs, is paid the repair fees (required)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "file with the key's passphrase ($DEPIN_PASSPHRASE)")
	cmd.Flags().StringVar(&network, "network", "", "the storage network (default: the chain's only one)")
	cmd.Flags().BoolVar(&once, "once", false, "one pass, then exit")
	cmd.Flags().DurationVar(&interval, "interval", time.Minute, "time between passes")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// storageRepairView is what one repair pass did.
type storageRepairView struct {
	Network  string                 `json:"network"`
	Deals    int                    `json:"deals,string"` // active deals looked at
	Due      int                    `json:"segments_due,string"`
	Repaired []storageRepairedView  `json:"repaired"`
	Skipped  []storageRepairSkipped `json:"skipped"`
	TxHashes []string               `json:"tx_hashes"`
}

type storageRepairedView struct {
	Deal    uint64 `json:"deal,string"`
	Segment uint32 `json:"segment"`
	Piece   uint32 `json:"piece"`
	Node    string `json:"node"`
	Size    uint64 `json:"size,string"`
}

type storageRepairSkipped struct {
	Deal    uint64 `json:"deal,string"`
	Segment uint32 `json:"segment"`
	Reason  string `json:"reason"`
}

func newStorageRepairView(r *storageclient.RepairReport) storageRepairView {
	v := storageRepairView{Network: r.Network, Deals: r.Deals, Due: r.Due, Repaired: []storageRepairedView{},
		Skipped: []storageRepairSkipped{}, TxHashes: append([]string{}, r.TxHashes...)}
	for _, p := range r.Repaired {
		v.Repaired = append(v.Repaired, storageRepairedView{Deal: p.Deal, Segment: p.Segment, Piece: p.Piece, Node: crypto.DeviceString(p.Node), Size: p.Size})
	}
	for _, s := range r.Skipped {
		v.Skipped = append(v.Skipped, storageRepairSkipped(s))
	}
	return v
}

func (v storageRepairView) writeText(w io.Writer) {
	fmt.Fprintf(w, "Network %s: %d active deals, %d segments due for repair, %d pieces repaired, %d segments skipped.\n",
		v.Network, v.Deals, v.Due, len(v.Repaired), len(v.Skipped))
	if len(v.Repaired) > 0 {
		t := newTable(w)
		fmt.Fprintln(t, "DEAL\tSEGMENT\tPIECE\tNEW NODE\tBYTES")
		for _, p := range v.Repaired {
			fmt.Fprintf(t, "%d\t%d\t%d\t%s\t%d\n", p.Deal, p.Segment, p.Piece, p.Node, p.Size)
		}
		t.Flush()
	}
	for _, s := range v.Skipped {
		fmt.Fprintf(w, "Skipped deal %d segment %d: %s\n", s.Deal, s.Segment, s.Reason)
	}
	for _, h := range v.TxHashes {
		fmt.Fprintf(w, "Repair tx %s\n", h)
	}
}
