package bank

import (
	"fmt"
	"regexp"
	"strings"

	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
)

// Native token.
const (
	NativeDenom    = "udpin"
	NativeDisplay  = "DPIN"
	NativeExponent = 6
)

var denomRE = regexp.MustCompile(`^[a-z][a-z0-9/:._-]{1,127}$`)

// ValidateDenom checks a denom's syntax.
func ValidateDenom(d string) error {
	if !denomRE.MatchString(d) {
		return fmt.Errorf("%w: %q (want 2-128 chars of a-z 0-9 / : . _ -, starting with a letter)", ErrInvalidDenom, d)
	}
	return nil
}

// ShareDenomPrefix is the namespace of device shares (x/share): share/
// followed by the device id. Only the chain creates them.
const ShareDenomPrefix = "share/"

// userDenomRE is what an account may name a token it creates: no '/' or
// ':' — those namespaces belong to tokens the chain itself mints (device
// shares, module tokens), so no user token can ever collide with one.
var userDenomRE = regexp.MustCompile(`^[a-z][a-z0-9._-]{1,63}$`)

// ValidateUserDenom checks a denom an account chooses for a token it
// creates (a network's reward token): well formed, outside the chain's
// namespaces, and not the native token under another spelling (udpin,
// dpin: same display name).
func ValidateUserDenom(d string) error {
	if err := ValidateDenom(d); err != nil {
		return err
	}
	if !userDenomRE.MatchString(d) {
		return fmt.Errorf("%w: %q (tokens you create are named with a-z 0-9 . _ - only, 2-64 chars; '/' and ':' are reserved for tokens the chain mints)", ErrReservedDenom, d)
	}
	if d == NativeDenom || strings.EqualFold(strings.TrimPrefix(d, "u"), NativeDisplay) {
		return fmt.Errorf("%w: %q is the native token", ErrReservedDenom, d)
	}
	return nil
}

// ValidateCoins checks a coin list: not empty, denoms valid, sorted and
// unique, amounts positive.
func ValidateCoins(coins []*bankv1.Coin) error {
	if len(coins) == 0 {
		return fmt.Errorf("%w: no coins", ErrInvalidAmount)
	}
	for i, c := range coins {
		if c == nil {
			return fmt.Errorf("%w: empty coin", ErrInvalidAmount)
		}
		if err := ValidateDenom(c.Denom); err != nil {
			return err
		}
		if c.Amount == 0 {
			return fmt.Errorf("%w: zero amount of %s", ErrInvalidAmount, c.Denom)
		}
		if i > 0 && coins[i-1].Denom >= c.Denom {
			return fmt.Errorf("%w: denoms must be sorted and unique (%s after %s)", ErrInvalidAmount, c.Denom, coins[i-1].Denom)
		}
	}
	return nil
}

// FormatCoins renders coins as "5udpin,3share/x".
func FormatCoins(coins []*bankv1.Coin) string {
	parts := make([]string, len(coins))
	for i, c := range coins {
		parts[i] = fmt.Sprintf("%d%s", c.Amount, c.Denom)
	}
	return strings.Join(parts, ",")
}

// Coin is a shorthand constructor.
func Coin(denom string, amount uint64) *bankv1.Coin {
	return &bankv1.Coin{Denom: denom, Amount: amount}
}

// Coins is the coin list of one denom: what a module pays or escrows.
func Coins(denom string, amount uint64) []*bankv1.Coin { return []*bankv1.Coin{Coin(denom, amount)} }
