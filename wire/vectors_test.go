package wire_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/depinhq/depin/crypto"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	"github.com/depinhq/depin/wire"
)

// The device protocol's test vectors: the inputs below, run through this
// module's own code (wire.Sign, crypto.SignBytes, crypto.SignPossession,
// the device id derivation), must give exactly testdata/device-vectors.json
// and the generated blocks of docs/DEVICE-PROTOCOL.md. Firmware authors
// (and the reference devices under examples/) test their encoders against
// those files, so a change here changes what every device must produce:
// regenerate with
//
//	go test ./wire -run DeviceVectors -update
//
// only for a deliberate change of the wire format.

var update = flag.Bool("update", false, "rewrite testdata/device-vectors.json and the generated blocks of docs/DEVICE-PROTOCOL.md")

const (
	vectorsPath = "testdata/device-vectors.json"
	protocolDoc = "../docs/DEVICE-PROTOCOL.md"
)

// vectorSeed is the private key seed of RFC 8032 §7.1 TEST 1, so an
// ed25519 implementation can be checked against the RFC's public key too.
const vectorSeed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"

// vectorOwnerKey is RFC 8032 §7.1 TEST 2's public key: its address is the
// owner the proof-of-possession vector signs.
const vectorOwnerKey = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"

type reportInput struct {
	name, note, chainID, network string
	seq                          uint64
	start, end                   int64
	metrics                      [][2]uint64 // id, value
}

func reportInputs() []reportInput {
	return []reportInput{
		{name: "solar-one-metric", chainID: "depin-devnet", network: "solar", seq: 1, start: 1700000000, end: 1700000060,
			metrics: [][2]uint64{{1, 83}},
			note:    "a 5000 W solar device's first report: 83 Wh over one minute"},
		{name: "meter-zero-value", chainID: "depin-devnet", network: "meter", seq: 2, start: 1700000060, end: 1700000070,
			metrics: [][2]uint64{{1, 12}, {2, 0}},
			note:    "two metrics; metric 2's value 0 is left out of its MetricValue"},
		{name: "large-numbers", chainID: "depin-1", network: "storage-eu", seq: 4294967297, start: 2147483648, end: 4102444800,
			metrics: [][2]uint64{{7, 300}, {255, 18446744073709551615}},
			note:    "seq above 2^32, times past 2038, the largest metric id and a 10-byte varint"},
		{name: "negative-start", chainID: "depin-devnet", network: "air", seq: 3, start: -1, end: 0,
			metrics: [][2]uint64{{1, 1}},
			note:    "encoder test only (the chain would refuse the period as too old): a negative int64 is a 10-byte varint, period_end 0 is left out"},
		{name: "long-chain-id", chainID: "depin-" + strings.Repeat("x", 150), network: "solar", seq: 5, start: 1700000120, end: 1700000180,
			metrics: [][2]uint64{{1, 80}},
			note:    "a chain id of 156 bytes: its length takes two uvarint bytes in the sign bytes"},
	}
}

// deviceVectors is the schema of testdata/device-vectors.json. 64-bit
// integers are decimal strings (as in protobuf's JSON mapping), so that
// no JSON reader rounds them; bytes are lower-case hex.
type deviceVectors struct {
	Comment    string             `json:"comment"`
	Key        keyVector          `json:"key"`
	Reports    []reportVector     `json:"reports"`
	Possession []possessionVector `json:"possession"`
}

type keyVector struct {
	Seed            string `json:"seed"`
	PublicKey       string `json:"public_key"`
	PublicKeySHA256 string `json:"public_key_sha256"`
	DeviceIDHex     string `json:"device_id_hex"`
	DeviceID        string `json:"device_id"`
}

type metricVector struct {
	ID    uint32 `json:"id"`
	Value string `json:"value"`
}

type reportVector struct {
	Name         string         `json:"name"`
	Note         string         `json:"note"`
	ChainID      string         `json:"chain_id"`
	Network      string         `json:"network"`
	Seq          string         `json:"seq"`
	PeriodStart  string         `json:"period_start"`
	PeriodEnd    string         `json:"period_end"`
	Metrics      []metricVector `json:"metrics"`
	ReportBytes  string         `json:"report_bytes"`
	SignBytes    string         `json:"sign_bytes"`
	Signature    string         `json:"signature"`
	SignedReport string         `json:"signed_report"`
	Topic        string         `json:"topic"`
}

type possessionVector struct {
	ChainID   string `json:"chain_id"`
	Owner     string `json:"owner"`
	OwnerHex  string `json:"owner_hex"`
	SignBytes string `json:"sign_bytes"`
	Signature string `json:"signature"`
}

func vectorKey(t *testing.T) ed25519.PrivateKey {
	seed, err := hex.DecodeString(vectorSeed)
	if err != nil {
		t.Fatal(err)
	}
	return ed25519.NewKeyFromSeed(seed)
}

// computeVectors runs the inputs through the library.
func computeVectors(t *testing.T) deviceVectors {
	priv := vectorKey(t)
	pub := priv.Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	id := crypto.AddressFromPubKey(pub)
	v := deviceVectors{
		Comment: "Device protocol test vectors (docs/DEVICE-PROTOCOL.md). Generated by wire/vectors_test.go; " +
			"64-bit integers are decimal strings, bytes are hex. Regenerate: go test ./wire -run DeviceVectors -update",
		Key: keyVector{
			Seed:            vectorSeed,
			PublicKey:       hex.EncodeToString(pub),
			PublicKeySHA256: hex.EncodeToString(sum[:]),
			DeviceIDHex:     hex.EncodeToString(id[:]),
			DeviceID:        crypto.DeviceString(id),
		},
	}
	for _, in := range reportInputs() {
		r := &reportv1.Report{Network: in.network, Seq: in.seq, PeriodStart: in.start, PeriodEnd: in.end}
		var ms []metricVector
		for _, m := range in.metrics {
			r.Metrics = append(r.Metrics, &reportv1.MetricValue{Id: uint32(m[0]), Value: m[1]})
			ms = append(ms, metricVector{ID: uint32(m[0]), Value: strconv.FormatUint(m[1], 10)})
		}
		signed, err := wire.Sign(priv, in.chainID, r)
		if err != nil {
			t.Fatalf("%s: %v", in.name, err)
		}
		d, err := wire.Decode(signed)
		if err != nil {
			t.Fatalf("%s: the signed report does not decode: %v", in.name, err)
		}
		if !d.Verify(in.chainID) {
			t.Fatalf("%s: the signature does not verify", in.name)
		}
		v.Reports = append(v.Reports, reportVector{
			Name: in.name, Note: in.note, ChainID: in.chainID, Network: in.network,
			Seq:          strconv.FormatUint(in.seq, 10),
			PeriodStart:  strconv.FormatInt(in.start, 10),
			PeriodEnd:    strconv.FormatInt(in.end, 10),
			Metrics:      ms,
			ReportBytes:  hex.EncodeToString(d.Signed.ReportBytes),
			SignBytes:    hex.EncodeToString(d.SignBytes(in.chainID)),
			Signature:    hex.EncodeToString(d.Signed.Signature),
			SignedReport: hex.EncodeToString(signed),
			Topic:        "depin/v1/" + in.network + "/" + crypto.DeviceString(d.Device) + "/report",
		})
	}
	ownerPub, err := hex.DecodeString(vectorOwnerKey)
	if err != nil {
		t.Fatal(err)
	}
	owner := crypto.AddressFromPubKey(ownerPub)
	const chainID = "depin-devnet"
	proof := crypto.SignPossession(priv, chainID, owner)
	if err := crypto.VerifyPossession(pub, chainID, owner, proof); err != nil {
		t.Fatal(err)
	}
	v.Possession = []possessionVector{{
		ChainID:   chainID,
		Owner:     owner.String(),
		OwnerHex:  hex.EncodeToString(owner[:]),
		SignBytes: hex.EncodeToString(crypto.SignBytes(crypto.DomainRegister, chainID, owner[:])),
		Signature: hex.EncodeToString(proof),
	}}
	return v
}

func renderVectorsJSON(t *testing.T, v deviceVectors) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// TestDeviceVectors recomputes every vector and compares it with the
// vectors file and with the generated blocks of the protocol document.
func TestDeviceVectors(t *testing.T) {
	v := computeVectors(t)
	if got, want := v.Key.PublicKey, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"; got != want {
		t.Fatalf("public key of the RFC 8032 TEST 1 seed: %s, want %s", got, want)
	}
	js := renderVectorsJSON(t, v)
	blocks := docBlocks(v)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsPath, js, 0o644); err != nil {
			t.Fatal(err)
		}
		doc, err := os.ReadFile(protocolDoc)
		if err != nil {
			t.Fatal(err)
		}
		out, err := replaceBlocks(doc, blocks)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(protocolDoc, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	const regen = "go test ./wire -run DeviceVectors -update"
	have, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("%v (create it with: %s)", err, regen)
	}
	if !bytes.Equal(have, js) {
		t.Errorf("%s differs from what the library computes; if the wire format changed on purpose: %s\n%s", vectorsPath, regen, firstDiff(have, js))
	}
	doc, err := os.ReadFile(protocolDoc)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range blockNames(blocks) {
		got, err := extractBlock(doc, name)
		if err != nil {
			t.Errorf("%s: %v", protocolDoc, err)
			continue
		}
		if got != blocks[name] {
			t.Errorf("%s: block %q differs from the vectors; run %s\n%s", protocolDoc, name, regen, firstDiff([]byte(got), []byte(blocks[name])))
		}
	}
}

// TestDeviceVectorsFileDecodes reads the vectors file as a device author
// would and checks each vector from its own fields with the chain's
// decoder: the signed report decodes to the listed inputs and verifies.
func TestDeviceVectorsFileDecodes(t *testing.T) {
	raw, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var v deviceVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Reports) == 0 || len(v.Possession) == 0 {
		t.Fatal("no vectors")
	}
	for _, rv := range v.Reports {
		signed, _ := hex.DecodeString(rv.SignedReport)
		d, err := wire.Decode(signed)
		if err != nil {
			t.Fatalf("%s: %v", rv.Name, err)
		}
		if !d.Verify(rv.ChainID) {
			t.Errorf("%s: does not verify on chain %q", rv.Name, rv.ChainID)
		}
		r := d.Report
		if r.Network != rv.Network || strconv.FormatUint(r.Seq, 10) != rv.Seq ||
			strconv.FormatInt(r.PeriodStart, 10) != rv.PeriodStart || strconv.FormatInt(r.PeriodEnd, 10) != rv.PeriodEnd ||
			len(r.Metrics) != len(rv.Metrics) || crypto.DeviceString(d.Device) != v.Key.DeviceID {
			t.Errorf("%s: decodes to %v", rv.Name, r)
		}
		if hex.EncodeToString(d.SignBytes(rv.ChainID)) != rv.SignBytes {
			t.Errorf("%s: sign bytes differ", rv.Name)
		}
	}
}

// Generated blocks of the protocol document sit between
// "<!-- BEGIN GENERATED name -->" and "<!-- END GENERATED name -->".

func beginMarker(name string) string { return "<!-- BEGIN GENERATED " + name + " -->\n" }
func endMarker(name string) string   { return "<!-- END GENERATED " + name + " -->" }

func blockNames(blocks map[string]string) []string {
	// A fixed order, so failures read the same every run.
	names := []string{"signbytes-prefix", "key", "report-annotated", "reports", "possession"}
	if len(names) != len(blocks) {
		panic("blockNames out of date")
	}
	return names
}

func extractBlock(doc []byte, name string) (string, error) {
	s := string(doc)
	i := strings.Index(s, beginMarker(name))
	if i < 0 {
		return "", fmt.Errorf("no %q marker", strings.TrimSpace(beginMarker(name)))
	}
	rest := s[i+len(beginMarker(name)):]
	j := strings.Index(rest, endMarker(name))
	if j < 0 {
		return "", fmt.Errorf("no %q marker", endMarker(name))
	}
	return rest[:j], nil
}

func replaceBlocks(doc []byte, blocks map[string]string) ([]byte, error) {
	s := string(doc)
	for _, name := range blockNames(blocks) {
		i := strings.Index(s, beginMarker(name))
		if i < 0 {
			return nil, fmt.Errorf("%s: no %q marker", protocolDoc, strings.TrimSpace(beginMarker(name)))
		}
		start := i + len(beginMarker(name))
		j := strings.Index(s[start:], endMarker(name))
		if j < 0 {
			return nil, fmt.Errorf("%s: no %q marker", protocolDoc, endMarker(name))
		}
		s = s[:start] + blocks[name] + s[start+j:]
	}
	return []byte(s), nil
}

// docBlocks renders the document's generated blocks from the vectors.
func docBlocks(v deviceVectors) map[string]string {
	blocks := map[string]string{}
	var b strings.Builder

	prefix := crypto.SignBytes(crypto.DomainReport, "depin-devnet", nil)
	fmt.Fprintf(&b, "```\n")
	fmt.Fprintf(&b, "\"depin/report/v1\"  %s\n", hex.EncodeToString([]byte(crypto.DomainReport)))
	fmt.Fprintf(&b, "0x00               00\n")
	fmt.Fprintf(&b, "uvarint(12)        0c\n")
	fmt.Fprintf(&b, "\"depin-devnet\"     %s\n", hex.EncodeToString([]byte("depin-devnet")))
	fmt.Fprintf(&b, "prefix, in all     %s\n", hex.EncodeToString(prefix))
	fmt.Fprintf(&b, "```\n")
	blocks["signbytes-prefix"] = b.String()

	b.Reset()
	k := v.Key
	fmt.Fprintf(&b, "```\n")
	fmt.Fprintf(&b, "seed (RFC 8032 §7.1 TEST 1)  %s\n", k.Seed)
	fmt.Fprintf(&b, "public key                   %s\n", k.PublicKey)
	fmt.Fprintf(&b, "SHA-256(public key)          %s\n", k.PublicKeySHA256)
	fmt.Fprintf(&b, "device id (first 20 bytes)   %s\n", k.DeviceIDHex)
	fmt.Fprintf(&b, "device id, bech32            %s\n", k.DeviceID)
	fmt.Fprintf(&b, "```\n")
	blocks["key"] = b.String()

	b.Reset()
	r0 := v.Reports[0]
	body, _ := hex.DecodeString(r0.ReportBytes)
	fmt.Fprintf(&b, "```\n")
	annotateReport(&b, body)
	fmt.Fprintf(&b, "```\n")
	blocks["report-annotated"] = b.String()

	b.Reset()
	for i, r := range v.Reports {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "**%s** — %s\n\n", r.Name, r.Note)
		fmt.Fprintf(&b, "```\n")
		fmt.Fprintf(&b, "chain_id       %s\n", r.ChainID)
		fmt.Fprintf(&b, "network        %s\n", r.Network)
		fmt.Fprintf(&b, "seq            %s\n", r.Seq)
		fmt.Fprintf(&b, "period_start   %s\n", r.PeriodStart)
		fmt.Fprintf(&b, "period_end     %s\n", r.PeriodEnd)
		for _, m := range r.Metrics {
			fmt.Fprintf(&b, "metric         id %d, value %s\n", m.ID, m.Value)
		}
		fmt.Fprintf(&b, "report_bytes   %s\n", r.ReportBytes)
		fmt.Fprintf(&b, "sign_bytes     %s\n", r.SignBytes)
		fmt.Fprintf(&b, "signature      %s\n", r.Signature)
		fmt.Fprintf(&b, "signed_report  %s\n", r.SignedReport)
		fmt.Fprintf(&b, "topic          %s\n", r.Topic)
		fmt.Fprintf(&b, "```\n")
	}
	blocks["reports"] = b.String()

	b.Reset()
	for _, p := range v.Possession {
		fmt.Fprintf(&b, "```\n")
		fmt.Fprintf(&b, "chain_id    %s\n", p.ChainID)
		fmt.Fprintf(&b, "owner       %s\n", p.Owner)
		fmt.Fprintf(&b, "owner hex   %s\n", p.OwnerHex)
		fmt.Fprintf(&b, "sign_bytes  %s\n", p.SignBytes)
		fmt.Fprintf(&b, "signature   %s\n", p.Signature)
		fmt.Fprintf(&b, "```\n")
	}
	blocks["possession"] = b.String()
	return blocks
}

var reportFieldNames = map[protowire.Number]string{
	1: "network", 2: "device_public_key", 3: "seq", 4: "period_start", 5: "period_end", 6: "metrics",
}

// annotateReport writes a Report encoding one field per line: its bytes
// in hex, then what they are.
func annotateReport(b *strings.Builder, body []byte) {
	for len(body) > 0 {
		num, typ, n := protowire.ConsumeTag(body)
		tag := body[:n]
		rest := body[n:]
		switch typ {
		case protowire.VarintType:
			v, m := protowire.ConsumeVarint(rest)
			fmt.Fprintf(b, "%-4s %-22s field %d (%s), varint: %d\n", hex.EncodeToString(tag), hex.EncodeToString(rest[:m]), num, reportFieldNames[num], int64(v))
			body = rest[m:]
		case protowire.BytesType:
			v, m := protowire.ConsumeBytes(rest)
			lenBytes := rest[:m-len(v)]
			what := fmt.Sprintf("%d bytes", len(v))
			switch num {
			case 1:
				what = fmt.Sprintf("%q", v)
			case 6:
				what = "MetricValue " + annotateMetric(v)
			}
			fmt.Fprintf(b, "%-4s %-22s field %d (%s), length %d: %s\n", hex.EncodeToString(tag), hex.EncodeToString(lenBytes), num, reportFieldNames[num], len(v), what)
			fmt.Fprintf(b, "     %s\n", hex.EncodeToString(v))
			body = rest[m:]
		default:
			panic("unexpected wire type in a Report")
		}
	}
}

func annotateMetric(v []byte) string {
	var parts []string
	for len(v) > 0 {
		num, _, n := protowire.ConsumeTag(v)
		tag := v[:n]
		x, m := protowire.ConsumeVarint(v[n:])
		name := map[protowire.Number]string{1: "id", 2: "value"}[num]
		parts = append(parts, fmt.Sprintf("%s %s = %s %d", hex.EncodeToString(tag), hex.EncodeToString(v[n:n+m]), name, x))
		v = v[n+m:]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// firstDiff shows where two texts first differ.
func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  have: %s\n  want: %s", i+1, x, y)
		}
	}
	return "(equal lines; differ in the final newline)"
}
