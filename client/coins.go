package client

import (
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/depinhq/depin/api/bank"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
)

// ParseCoins parses amounts like "1.5dpin", "2500udpin" or
// "10udpin,3share/abc". DPIN (any case) is the display unit of udpin
// (10^6 udpin). Amounts must be positive integers of the base unit after
// conversion; the result is sorted by denom with duplicates merged.
func ParseCoins(s string) ([]*bankv1.Coin, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty amount: write e.g. 1.5dpin or 2500udpin")
	}
	byDenom := map[string]*big.Int{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		i := 0
		for i < len(part) && (part[i] >= '0' && part[i] <= '9' || part[i] == '.') {
			i++
		}
		num, denom := part[:i], part[i:]
		if num == "" {
			if strings.HasPrefix(part, "-") {
				return nil, fmt.Errorf("amount %q: negative amounts are not allowed", part)
			}
			return nil, fmt.Errorf("amount %q: want <number><denom>, e.g. 1.5dpin", part)
		}
		exp := 0
		if strings.EqualFold(denom, bank.NativeDisplay) {
			denom, exp = bank.NativeDenom, bank.NativeExponent
		}
		if err := bank.ValidateDenom(denom); err != nil {
			return nil, fmt.Errorf("amount %q: %w", part, err)
		}
		r, ok := new(big.Rat).SetString(num)
		if !ok {
			return nil, fmt.Errorf("amount %q: bad number", part)
		}
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)))
		if !r.IsInt() {
			return nil, fmt.Errorf("amount %q: more decimals than %s allows", part, denom)
		}
		if r.Sign() <= 0 {
			return nil, fmt.Errorf("amount %q: must be positive", part)
		}
		if byDenom[denom] == nil {
			byDenom[denom] = new(big.Int)
		}
		byDenom[denom].Add(byDenom[denom], r.Num())
	}
	var out []*bankv1.Coin
	for d, v := range byDenom {
		if !v.IsUint64() {
			return nil, fmt.Errorf("amount of %s overflows 64 bits", d)
		}
		out = append(out, bank.Coin(d, v.Uint64()))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Denom < out[j].Denom })
	return out, nil
}

// FormatAmount shows udpin amounts in DPIN ("1.5 DPIN") and others as
// "<n><denom>".
func FormatAmount(c *bankv1.Coin) string {
	if c.Denom != bank.NativeDenom {
		return fmt.Sprintf("%d%s", c.Amount, c.Denom)
	}
	whole, frac := c.Amount/1_000_000, c.Amount%1_000_000
	if frac == 0 {
		return fmt.Sprintf("%d %s", whole, bank.NativeDisplay)
	}
	return strings.TrimRight(fmt.Sprintf("%d.%06d", whole, frac), "0") + " " + bank.NativeDisplay
}
