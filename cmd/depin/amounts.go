package main

import (
	"context"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strings"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/client"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
)

// Amounts in the user's units. A person types 1.5dpin or 2500udpin, 3SOLAR
// or 3000000usolar; the CLI converts to base units for the chain and
// remembers which way each token was written, so that what it says back —
// a rejection's "has …, needs …", what a claim paid — is in the same
// unit. dpin not typed at all is shown in DPIN (the output model), other
// tokens in base units.

// unitMemory is how the user wrote each token in this command.
type unitMemory struct {
	display map[string]*bankv1.DenomMetadata // base denom → its metadata, for tokens typed in display units
	base    map[string]bool                  // base denoms typed as such
}

func (m *unitMemory) typedDisplay(md *bankv1.DenomMetadata) {
	if m.display == nil {
		m.display = map[string]*bankv1.DenomMetadata{}
	}
	m.display[md.Base] = md
}

func (m *unitMemory) typedBase(denom string) {
	if m.base == nil {
		m.base = map[string]bool{}
	}
	m.base[denom] = true
}

var nativeMetadata = &bankv1.DenomMetadata{Base: bank.NativeDenom, Display: bank.NativeDisplay, Exponent: bank.NativeExponent}

// displayOf is the metadata to show denom with, or nil for base units.
func (m *unitMemory) displayOf(denom string) *bankv1.DenomMetadata {
	if md := m.display[denom]; md != nil {
		return md
	}
	if denom == bank.NativeDenom && !m.base[denom] {
		return nativeMetadata
	}
	return nil
}

// format is an amount of denom in the unit the user wrote it in.
func (m *unitMemory) format(denom string, amount uint64) string {
	return formatIn(m.displayOf(denom), denom, amount)
}

// formatIn shows amount of denom in md's display unit ("1.5 DPIN"), or in
// base units if md is nil ("750000usolar").
func formatIn(md *bankv1.DenomMetadata, denom string, amount uint64) string {
	if md == nil || md.Exponent == 0 {
		return fmt.Sprintf("%d%s", amount, denom)
	}
	r := new(big.Rat).SetFrac(new(big.Int).SetUint64(amount), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(md.Exponent)), nil))
	s := r.FloatString(int(md.Exponent))
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + " " + md.Display
}

// baseAmountRE finds amounts in base units in text the chain wrote
// ("has 999999998815udpin, needs 100000000000000udpin").
var baseAmountRE = regexp.MustCompile(`\b(\d+)([a-z][a-z0-9._-]+)\b`)

// rewrite puts the amounts in text into the user's units.
func (m *unitMemory) rewrite(text string) string {
	return baseAmountRE.ReplaceAllStringFunc(text, func(s string) string {
		sm := baseAmountRE.FindStringSubmatch(s)
		md := m.displayOf(sm[2])
		if md == nil {
			return s
		}
		var n big.Int
		if _, ok := n.SetString(sm[1], 10); !ok || !n.IsUint64() {
			return s
		}
		return formatIn(md, sm[2], n.Uint64())
	})
}

// parseCoins reads amounts like "1.5dpin", "2500udpin", "3SOLAR" or
// "10udpin,3usolar" for a tx (what names the argument or flag). A token
// written by its display name is looked up on the chain (SOLAR: usolar,
// 6 decimals); a name no token has is refused with the names there are.
func (g *globals) parseCoins(ctx context.Context, what, s string) ([]*bankv1.Coin, error) {
	if strings.TrimSpace(s) == "" {
		return nil, usageError{fmt.Errorf("%s: no amount; write e.g. 1.5dpin or 2500udpin", what)}
	}
	byDenom := map[string]uint64{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		num, name := splitAmount(part)
		if strings.HasPrefix(part, "-") {
			return nil, usageError{fmt.Errorf("%s %q: an amount cannot be negative", what, part)}
		}
		if num == "" || name == "" {
			return nil, usageError{fmt.Errorf("%s %q: write a number and a token, e.g. 1.5dpin or 2500udpin", what, part)}
		}
		md, err := g.tokenNamed(ctx, name)
		if err != nil {
			return nil, err
		}
		if md == nil {
			return nil, usageError{fmt.Errorf("%s %q: %s", what, part, g.noToken(ctx, name))}
		}
		exp := uint32(0)
		if strings.EqualFold(name, md.Base) {
			g.units.typedBase(md.Base)
		} else {
			exp = md.Exponent
			g.units.typedDisplay(md)
		}
		amt, err := scaleAmount(num, exp)
		if err != nil {
			return nil, usageError{fmt.Errorf("%s %q: %v", what, part, err)}
		}
		if byDenom[md.Base]+amt < amt {
			return nil, usageError{fmt.Errorf("%s %q: too large", what, s)}
		}
		byDenom[md.Base] += amt
	}
	out := make([]*bankv1.Coin, 0, len(byDenom))
	for d, a := range byDenom {
		out = append(out, bank.Coin(d, a))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Denom < out[j].Denom })
	return out, nil
}

// parseCoin is parseCoins of exactly one token.
func (g *globals) parseCoin(ctx context.Context, what, s string) (*bankv1.Coin, error) {
	coins, err := g.parseCoins(ctx, what, s)
	if err != nil {
		return nil, err
	}
	if len(coins) != 1 {
		return nil, usageError{fmt.Errorf("%s %q: want an amount of one token", what, s)}
	}
	return coins[0], nil
}

// parseDpinAmount is parseCoin of dpin only (stakes, fees, bonds); a bare
// number is DPIN.
func (g *globals) parseDpinAmount(what, s string) (uint64, error) {
	num, name := splitAmount(strings.TrimSpace(s))
	var exp uint32
	switch {
	case num == "" || strings.HasPrefix(s, "-"):
		return 0, usageError{fmt.Errorf("%s %q: want a positive amount of dpin, e.g. 5dpin or 5000000udpin", what, s)}
	case name == "" || strings.EqualFold(name, bank.NativeDisplay):
		exp = bank.NativeExponent
		g.units.typedDisplay(nativeMetadata)
	case name == bank.NativeDenom:
		g.units.typedBase(bank.NativeDenom)
	default:
		return 0, usageError{fmt.Errorf("%s %q: this is paid in dpin, not %s; write e.g. 5dpin or 5000000udpin", what, s, name)}
	}
	amt, err := scaleAmount(num, exp)
	if err != nil {
		return 0, usageError{fmt.Errorf("%s %q: %v", what, s, err)}
	}
	return amt, nil
}

// splitAmount splits "1.5dpin" into "1.5" and "dpin".
func splitAmount(s string) (num, name string) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// scaleAmount is num × 10^exp as a positive integer of base units.
func scaleAmount(num string, exp uint32) (uint64, error) {
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("%q is not a number", num)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)))
	switch {
	case r.Sign() <= 0:
		return 0, fmt.Errorf("must be more than zero")
	case !r.IsInt():
		if exp == 0 {
			return 0, fmt.Errorf("this token has no fractions: write a whole number")
		}
		return 0, fmt.Errorf("at most %d decimals", exp)
	case !r.Num().IsUint64():
		return 0, fmt.Errorf("too large")
	}
	return r.Num().Uint64(), nil
}

// tokenNamed is the token a person means by name (dpin and udpin without
// asking the node), or nil if the chain has none by that name.
func (g *globals) tokenNamed(ctx context.Context, name string) (*bankv1.DenomMetadata, error) {
	if strings.EqualFold(name, bank.NativeDisplay) || name == bank.NativeDenom {
		return nativeMetadata, nil
	}
	c, err := g.client()
	if err != nil {
		return nil, err
	}
	return c.DenomByName(ctx, name)
}

// token is the token a DENOM argument names (dpin, udpin, SOLAR,
// usolar…), remembering whether it was named in display or base units.
func (g *globals) token(ctx context.Context, name string) (*bankv1.DenomMetadata, error) {
	md, err := g.tokenNamed(ctx, name)
	if err != nil {
		return nil, err
	}
	if md == nil {
		return nil, fmt.Errorf("DENOM %q: %s", name, g.noToken(ctx, name))
	}
	if name == md.Base {
		g.units.typedBase(md.Base)
	} else {
		g.units.typedDisplay(md)
	}
	return md, nil
}

// noToken says that no token is called name, and which there are.
func (g *globals) noToken(ctx context.Context, name string) string {
	msg := fmt.Sprintf("the chain has no token called %s", name)
	c, err := g.client()
	if err != nil {
		return msg
	}
	all, err := c.Denoms(ctx, 200)
	if err != nil {
		return msg
	}
	var names []string
	for _, md := range all {
		if strings.HasPrefix(md.Base, bank.ShareDenomPrefix) {
			continue
		}
		if md.Display != "" && md.Display != md.Base {
			names = append(names, fmt.Sprintf("%s (%s)", strings.ToLower(md.Display), md.Base))
		} else {
			names = append(names, md.Base)
		}
	}
	if len(names) == 0 {
		return msg
	}
	if s := closest(name, names); s != "" {
		msg += "; did you mean " + s + "?"
	}
	return msg + " (its tokens: " + strings.Join(names, ", ") + ")"
}

// closest is the token name within two edits of name, or "".
func closest(name string, names []string) string {
	name = strings.ToLower(name)
	for _, n := range names {
		word, _, _ := strings.Cut(n, " ")
		if levenshtein(name, word) <= 2 {
			return word
		}
	}
	return ""
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// formatCoin is client.FormatAmount for views that show one amount.
func formatCoin(denom string, amount uint64) string {
	return client.FormatAmount(bank.Coin(denom, amount))
}
