package storage

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
)

// Limits.
const (
	MaxURLLen            = 200                  // of an endpoint
	MaxN                 = 64                   // pieces per segment
	MaxChallengesPerNode = 64                   // pieces audited per node and epoch
	MaxProofs            = MaxChallengesPerNode // per MsgSubmitAudits: a node's challenges
	FileIDLen            = 32                   // bytes
	MonthSecs            = 2_592_000            // 30 days: the price's month
	GiB                  = 1 << 30
	MinLeafSize          = 64
	MaxLeafSize          = 1 << 20
)

// Price is what storing bytes for seconds costs at pricePerGiBMonth, in
// the price's denom: bytes × price × seconds / (GiB × 30 days), rounded
// down (ceil: rounded up — what a deal escrows), and false if it does not
// fit in 64 bits. Exact for any inputs.
func Price(bytes, pricePerGiBMonth, seconds uint64, ceil bool) (uint64, bool) {
	num := new(big.Int).SetUint64(bytes)
	num.Mul(num, new(big.Int).SetUint64(pricePerGiBMonth))
	num.Mul(num, new(big.Int).SetUint64(seconds))
	den := big.NewInt(GiB * MonthSecs)
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if ceil && r.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsUint64() {
		return 0, false
	}
	return q.Uint64(), true
}

// ValidateEndpoint checks a node's endpoint URL: http:// or https://, a
// host name or IP address (IPv6 in brackets), an optional port, an
// optional path; no user info, query or fragment; printable ASCII, at
// most MaxURLLen bytes. (Parsed by hand: the state machine links no net
// package.)
func ValidateEndpoint(raw string) error {
	if raw == "" || len(raw) > MaxURLLen {
		return fmt.Errorf("%w: the URL must have 1 to %d bytes", ErrInvalidEndpoint, MaxURLLen)
	}
	rest, ok := strings.CutPrefix(raw, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(raw, "http://"); !ok {
			return fmt.Errorf("%w: %q must start with http:// or https://", ErrInvalidEndpoint, raw)
		}
	}
	hostport, path, _ := strings.Cut(rest, "/")
	if strings.ContainsAny(rest, "?#@ \\") {
		return fmt.Errorf("%w: no user info, query, fragment, space or backslash in %q", ErrInvalidEndpoint, raw)
	}
	for _, r := range path {
		if r < 0x21 || r > 0x7e {
			return fmt.Errorf("%w: the path may hold printable ASCII only", ErrInvalidEndpoint)
		}
	}
	host, port := hostport, ""
	if strings.HasPrefix(hostport, "[") {
		end := strings.Index(hostport, "]")
		if end < 0 {
			return fmt.Errorf("%w: unclosed [ in the host", ErrInvalidEndpoint)
		}
		host = hostport[1:end]
		after := hostport[end+1:]
		if after != "" {
			if !strings.HasPrefix(after, ":") {
				return fmt.Errorf("%w: text after the IPv6 address", ErrInvalidEndpoint)
			}
			port = after[1:]
		}
		if host == "" || strings.Trim(host, "0123456789abcdefABCDEF:.") != "" {
			return fmt.Errorf("%w: %q is not an IPv6 address", ErrInvalidEndpoint, host)
		}
	} else {
		if i := strings.LastIndex(hostport, ":"); i >= 0 {
			host, port = hostport[:i], hostport[i+1:]
		}
		if host == "" || len(host) > 253 || strings.Trim(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != "" ||
			strings.HasPrefix(host, ".") || strings.HasPrefix(host, "-") || strings.Contains(host, "..") {
			return fmt.Errorf("%w: %q is not a host name or address", ErrInvalidEndpoint, host)
		}
	}
	if port != "" || strings.HasSuffix(hostport, ":") {
		v, err := strconv.ParseUint(port, 10, 16)
		if err != nil || v == 0 {
			return fmt.Errorf("%w: port %q", ErrInvalidEndpoint, port)
		}
	}
	return nil
}

// ValidateParams checks a network's storage params (nil: no storage).
func ValidateParams(p *storagev1.StorageParams) error {
	if p == nil {
		return nil
	}
	switch {
	case p.Denom == "":
		return fmt.Errorf("storage denom is empty")
	case p.PricePerGibMonth == 0 || p.PricePerGibMonth > 1<<50:
		return fmt.Errorf("storage price_per_gib_month %d (1..2^50)", p.PricePerGibMonth)
	case p.LeafSize < MinLeafSize || p.LeafSize > MaxLeafSize:
		return fmt.Errorf("storage leaf_size %d (%d..%d)", p.LeafSize, MinLeafSize, MaxLeafSize)
	case p.ChallengesPerNode == 0 || p.ChallengesPerNode > MaxChallengesPerNode:
		return fmt.Errorf("storage challenges_per_node %d (1..%d)", p.ChallengesPerNode, MaxChallengesPerNode)
	case p.MaxPieces == 0 || p.MaxPieces > 4096:
		return fmt.Errorf("storage max_pieces %d (1..4096)", p.MaxPieces)
	case p.MaxPieceSize < uint64(p.LeafSize) || p.MaxPieceSize > 4*GiB:
		return fmt.Errorf("storage max_piece_size %d (leaf_size..4 GiB)", p.MaxPieceSize)
	case p.MaxDurationSeconds == 0 || p.MaxDurationSeconds > 10*12*MonthSecs:
		return fmt.Errorf("storage max_duration_seconds %d (1..10 years)", p.MaxDurationSeconds)
	}
	return nil
}

// DefaultParams are sensible storage params: 1 DPIN per GiB-month, 1 KiB
// leaves, 8 audits per node and epoch, 1024 pieces of at most 256 MiB,
// deals of up to a year.
func DefaultParams() *storagev1.StorageParams {
	return &storagev1.StorageParams{Denom: "udpin", PricePerGibMonth: 1_000_000, LeafSize: 1024, ChallengesPerNode: 8,
		MaxPieces: 1024, MaxPieceSize: 256 << 20, MaxDurationSeconds: 12 * MonthSecs}
}
