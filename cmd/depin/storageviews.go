package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	"github.com/depinhq/depin/storageclient"
)

// Views of the storage network (the output model: render.go).

// storagePutView is what 'storage put' did.
type storagePutView struct {
	Deal           uint64   `json:"deal,string"`
	File           string   `json:"file"`
	FileID         string   `json:"file_id"` // hex
	Network        string   `json:"network"`
	Size           uint64   `json:"size,string"`
	K              uint32   `json:"k"`
	N              uint32   `json:"n"`
	Segments       uint32   `json:"segments"`
	Stored         uint64   `json:"stored,string"` // bytes of pieces
	Escrow         uint64   `json:"escrow,string"`
	Denom          string   `json:"denom"`
	EndTime        uint64   `json:"end_time,string"`
	Nodes          []string `json:"nodes"` // piece i of every segment on nodes[i], unless replaced
	Replaced       uint32   `json:"replaced"`
	TxHash         string   `json:"tx_hash"`
	ElapsedSeconds float64  `json:"elapsed_seconds"`
	MBps           float64  `json:"mb_per_second"` // of the file, 10^6 bytes
}

func newStoragePutView(file string, r *storageclient.PutResult) storagePutView {
	v := storagePutView{Deal: r.Deal, File: file, FileID: hex.EncodeToString(r.FileID), Network: r.Network, Size: r.Layout.Size,
		K: r.Layout.K, N: r.Layout.N, Segments: r.Layout.Segments, Stored: r.Stored, Escrow: r.Escrow, Denom: r.Denom,
		EndTime: uint64(max(r.EndTime, 0)), Replaced: uint32(r.Replaced), TxHash: r.TxHash, ElapsedSeconds: r.Elapsed.Seconds(),
		MBps: rate(r.Layout.Size, r.Elapsed)}
	for _, n := range r.Nodes {
		v.Nodes = append(v.Nodes, crypto.DeviceString(n))
	}
	return v
}

func rate(bytes uint64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(bytes) / 1e6 / d.Seconds()
}

func (v storagePutView) writeText(w io.Writer) {
	fmt.Fprintf(w, "Stored %s (%s) as deal %d on %s: %d segments, any %d of %d pieces restore each, on %d nodes.\n",
		v.File, sizeString(v.Size), v.Deal, v.Network, v.Segments, v.K, v.N, len(v.Nodes))
	fmt.Fprintf(w, "Escrowed %s until %s; %s of pieces in %.1f s (%.1f MB/s).\n", formatCoin(v.Denom, v.Escrow),
		time.Unix(int64(v.EndTime), 0).UTC().Format(time.RFC3339), sizeString(v.Stored), v.ElapsedSeconds, v.MBps)
	if v.Replaced > 0 {
		fmt.Fprintf(w, "%d pieces went to spare nodes: their node failed.\n", v.Replaced)
	}
	fmt.Fprintf(w, "Fetch it with: depin storage get %d -o FILE\n", v.Deal)
}

// storageGetView is what 'storage get' did.
type storageGetView struct {
	Deal           uint64   `json:"deal,string"`
	File           string   `json:"file"`
	Size           uint64   `json:"size,string"`
	Segments       uint32   `json:"segments"`
	Fetched        uint32   `json:"pieces_fetched"`
	Corrupt        []string `json:"corrupt_nodes"` // served bytes not matching the deal's roots: skipped
	Failed         []string `json:"failed_nodes"`  // could not serve (down, refusing)
	ElapsedSeconds float64  `json:"elapsed_seconds"`
	MBps           float64  `json:"mb_per_second"`
}

func newStorageGetView(file string, r *storageclient.GetResult) storageGetView {
	v := storageGetView{Deal: r.Deal, File: file, Size: r.Size, Segments: r.Segments, Fetched: uint32(r.Fetched),
		Corrupt: []string{}, Failed: []string{}, ElapsedSeconds: r.Elapsed.Seconds(), MBps: rate(r.Size, r.Elapsed)}
	for _, n := range r.Corrupt {
		v.Corrupt = append(v.Corrupt, crypto.DeviceString(n))
	}
	for _, n := range r.Failed {
		v.Failed = append(v.Failed, crypto.DeviceString(n))
	}
	return v
}

func (v storageGetView) writeText(w io.Writer) {
	fmt.Fprintf(w, "Wrote deal %d to %s: %s in %.1f s (%.1f MB/s), from %d verified pieces.\n", v.Deal, v.File, sizeString(v.Size),
		v.ElapsedSeconds, v.MBps, v.Fetched)
	if len(v.Corrupt) > 0 {
		fmt.Fprintf(w, "Skipped %d node(s) that served bytes not matching the deal's roots: %s\n", len(v.Corrupt), strings.Join(v.Corrupt, ", "))
	}
	if len(v.Failed) > 0 {
		fmt.Fprintf(w, "%d node(s) could not serve their pieces: %s\n", len(v.Failed), strings.Join(v.Failed, ", "))
	}
}

// dealView is a storage deal.
type dealView struct {
	ID               uint64         `json:"id,string"`
	Status           string         `json:"status"` // active, closed
	Owner            string         `json:"owner"`
	Network          string         `json:"network"`
	FileID           string         `json:"file_id"`
	Size             uint64         `json:"size,string"`
	K                uint32         `json:"k"`
	N                uint32         `json:"n"`
	Segments         uint32         `json:"segments"`
	StartTime        uint64         `json:"start_time,string"`
	EndTime          uint64         `json:"end_time,string"`
	Denom            string         `json:"denom"`
	PricePerGiBMonth uint64         `json:"price_per_gib_month,string"`
	LeafSize         uint32         `json:"leaf_size"`
	Escrow           uint64         `json:"escrow,string"`
	Paid             uint64         `json:"paid,string"`
	Refunded         uint64         `json:"refunded,string"`
	CloseReason      string         `json:"close_reason"`
	LostPieces       uint32         `json:"lost_pieces"`
	Nodes            []dealNodeView `json:"nodes"`
}

// dealNodeView is one node's share of a deal.
type dealNodeView struct {
	Node   string `json:"node"`
	Pieces uint32 `json:"pieces"`
	Lost   uint32 `json:"lost"`
	Bytes  uint64 `json:"bytes,string"`
	Paid   uint64 `json:"paid,string"`
}

func newDealView(d *storagev1.Deal) dealView {
	v := dealView{ID: d.Id, Status: enumName(d.Status.String(), "DEAL_STATUS_"), Owner: accountString(d.Owner), Network: d.Network,
		FileID: hex.EncodeToString(d.FileId), Size: d.Size, K: d.K, N: d.N, Segments: d.Segments, StartTime: uint64(max(d.StartTime, 0)),
		EndTime: uint64(max(d.EndTime, 0)), Denom: d.Denom, PricePerGiBMonth: d.PricePerGibMonth, LeafSize: d.LeafSize, Escrow: d.Escrow,
		Paid: d.Paid, Refunded: d.Refunded, CloseReason: d.CloseReason, Nodes: []dealNodeView{}}
	at := map[string]int{}
	for _, p := range d.Pieces {
		id := deviceString(p.Node)
		i, ok := at[id]
		if !ok {
			i = len(v.Nodes)
			at[id] = i
			v.Nodes = append(v.Nodes, dealNodeView{Node: id})
		}
		v.Nodes[i].Pieces++
		v.Nodes[i].Bytes += p.Size
		if p.Lost {
			v.Nodes[i].Lost++
			v.LostPieces++
		}
	}
	for _, a := range d.Accounts {
		if i, ok := at[deviceString(a.Node)]; ok {
			v.Nodes[i].Paid = a.Paid
		}
	}
	return v
}

func (v dealView) writeText(w io.Writer) {
	status := v.Status
	if v.CloseReason != "" {
		status += ": " + v.CloseReason
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "deal\t%d\n", v.ID)
	fmt.Fprintf(tw, "status\t%s\n", status)
	fmt.Fprintf(tw, "owner\t%s\n", v.Owner)
	fmt.Fprintf(tw, "network\t%s\n", v.Network)
	fmt.Fprintf(tw, "file\t%s (id %s)\n", sizeString(v.Size), v.FileID)
	fmt.Fprintf(tw, "coding\t%d segments, any %d of %d pieces restore each; %d pieces lost\n", v.Segments, v.K, v.N, v.LostPieces)
	fmt.Fprintf(tw, "term\t%s – %s\n", time.Unix(int64(v.StartTime), 0).UTC().Format(time.RFC3339), time.Unix(int64(v.EndTime), 0).UTC().Format(time.RFC3339))
	fmt.Fprintf(tw, "price\t%s per GiB-month\n", formatCoin(v.Denom, v.PricePerGiBMonth))
	fmt.Fprintf(tw, "escrow\t%s; paid %s; refunded %s\n", formatCoin(v.Denom, v.Escrow), formatCoin(v.Denom, v.Paid), formatCoin(v.Denom, v.Refunded))
	tw.Flush()
	tw = newTable(w)
	fmt.Fprintln(tw, "NODE\tPIECES\tLOST\tBYTES\tPAID")
	for _, n := range v.Nodes {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", n.Node, n.Pieces, n.Lost, sizeString(n.Bytes), formatCoin(v.Denom, n.Paid))
	}
	tw.Flush()
}

// dealList is an owner's deals.
type dealList []dealView

func (l dealList) writeText(w io.Writer) {
	if len(l) == 0 {
		fmt.Fprintln(w, "No storage deals.")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "DEAL\tSTATUS\tNETWORK\tSIZE\tK/N\tENDS\tESCROW")
	for _, v := range l {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", v.ID, v.Status, v.Network, sizeString(v.Size), v.K, v.N,
			time.Unix(int64(v.EndTime), 0).UTC().Format("2006-01-02 15:04"), formatCoin(v.Denom, v.Escrow))
	}
	tw.Flush()
}

// storageRmView is what 'storage rm' did.
type storageRmView struct {
	Deal     uint64 `json:"deal,string"`
	Closed   bool   `json:"closed"` // by this command (false: it was closed already)
	Refunded uint64 `json:"refunded,string"`
	Denom    string `json:"denom"`
	Deleted  uint32 `json:"pieces_deleted"`
	Left     uint32 `json:"pieces_left"` // on nodes not reached: they delete them when they see the deal closed
}

func (v storageRmView) writeText(w io.Writer) {
	if v.Closed {
		fmt.Fprintf(w, "Closed deal %d: %s refunded.\n", v.Deal, formatCoin(v.Denom, v.Refunded))
	} else {
		fmt.Fprintf(w, "Deal %d was closed already (%s refunded).\n", v.Deal, formatCoin(v.Denom, v.Refunded))
	}
	fmt.Fprintf(w, "Nodes deleted %d pieces", v.Deleted)
	if v.Left > 0 {
		fmt.Fprintf(w, "; %d more on nodes not reached, which delete them once they see the deal closed", v.Left)
	}
	fmt.Fprintln(w, ".")
}

// storageNodeView is a storage node as the chain knows it.
type storageNodeView struct {
	Device       string `json:"device"`
	Owner        string `json:"owner"`
	Status       string `json:"status"`
	URL          string `json:"url"`
	Capacity     uint64 `json:"capacity,string"` // bytes certified
	Used         uint64 `json:"used,string"`
	Pieces       uint64 `json:"pieces,string"`
	AuditsPassed uint64 `json:"audits_passed,string"`
	AuditsMissed uint64 `json:"audits_missed,string"`
	Strikes      uint64 `json:"strikes,string"`
	Earned       uint64 `json:"earned,string"`
	Disqualified bool   `json:"disqualified"`
}

func newStorageNodeView(n client.StorageNode) storageNodeView {
	v := storageNodeView{Device: crypto.DeviceString(n.ID), Owner: accountString(n.Device.Owner),
		Status: enumName(n.Device.Status.String(), "DEVICE_STATUS_"), Capacity: n.Device.Capacity * 1_000_000_000}
	if n.Endpoint != nil {
		v.URL = n.Endpoint.Url
	}
	if s := n.Stats; s != nil {
		v.Used, v.Pieces, v.AuditsPassed, v.AuditsMissed, v.Strikes, v.Earned, v.Disqualified =
			s.UsedBytes, s.Pieces, s.AuditsPassed, s.AuditsMissed, s.Strikes, s.Earned, s.Disqualified
	}
	return v
}

// storageNodeList is a network's storage nodes.
type storageNodeList []storageNodeView

func (l storageNodeList) writeText(w io.Writer) {
	if len(l) == 0 {
		fmt.Fprintln(w, "No storage nodes.")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "NODE\tSTATUS\tURL\tUSED\tCAPACITY\tAUDITS\tEARNED")
	for _, v := range l {
		status := v.Status
		if v.Disqualified {
			status = "disqualified"
		}
		url := v.URL
		if url == "" {
			url = "(none)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d passed, %d missed\t%d\n", v.Device, status, url, sizeString(v.Used), sizeString(v.Capacity),
			v.AuditsPassed, v.AuditsMissed, v.Earned)
	}
	tw.Flush()
}

// sizeString is a byte count for people: 1.5 MB, 20 GB (powers of 10,
// as the capacity flag and the chain's capacities count).
func sizeString(n uint64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f, u := float64(n), 0
	for f >= 1000 && u < len(units)-1 {
		f /= 1000
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", f, units[u])
}
