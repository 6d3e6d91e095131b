package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cosmos/btcutil/bech32"

	"github.com/depinhq/depin/crypto"
)

// Reading what users type: account addresses, device ids and whole
// numbers, with errors that say what is wrong with the text in the
// user's terms (never bech32's internals).

// parseAccount reads a depin1… account address.
func parseAccount(s string) (crypto.Address, error) {
	a, err := crypto.ParseAddress(s)
	if err != nil {
		return a, usageError{fmt.Errorf("%q: %w", s, bech32Problem(s, crypto.AccountPrefix, "a depin address (depin1…)"))}
	}
	return a, nil
}

// parseDevice reads a depindev1… device id; what names the argument
// ("DEVICE", "--device").
func parseDevice(what, s string) (crypto.DeviceID, error) {
	id, err := crypto.ParseDeviceID(s)
	if err != nil {
		return id, usageError{fmt.Errorf("%s %q: %w", what, s, bech32Problem(s, crypto.DevicePrefix, "a device id (depindev1…)"))}
	}
	return id, nil
}

// bech32Problem says why s is not a bech32 string with prefix hrp.
func bech32Problem(s, hrp, want string) error {
	other := map[string]string{
		crypto.AccountPrefix: "an account address (depin1…)",
		crypto.DevicePrefix:  "a device id (depindev1…)",
	}
	got, _, err := bech32.Decode(s, 128)
	if err == nil && got != hrp {
		if o, ok := other[got]; ok {
			return fmt.Errorf("this is %s, not %s", o, want)
		}
		return fmt.Errorf("not %s: it starts with %s1", want, got)
	}
	var (
		checksum bech32.ErrInvalidChecksum
		char     bech32.ErrNonCharsetChar
		badChar  bech32.ErrInvalidCharacter
		length   bech32.ErrInvalidLength
		sep      bech32.ErrInvalidSeparatorIndex
		mixed    bech32.ErrMixedCase
	)
	why := "it does not decode"
	size := len(hrp) + 1 + 32 + 6 // 20 bytes in 5-bit characters, and the checksum
	switch {
	case s == "":
		why = "it is empty"
	case !strings.HasPrefix(strings.ToLower(s), hrp+"1"):
		why = fmt.Sprintf("it does not start with %s1", hrp)
	case err != nil && len(s) != size && !errors.As(err, &char) && !errors.As(err, &mixed):
		why = fmt.Sprintf("it has %d characters, one has %d — part of it is missing or extra", len(s), size)
	case errors.As(err, &checksum):
		why = "the checksum does not match — check for a typo"
	case errors.As(err, &char):
		why = fmt.Sprintf("%q cannot appear in one (after the 1, addresses use no b, i, o or 1) — check for a typo", string(rune(char)))
	case errors.As(err, &badChar):
		why = fmt.Sprintf("%q cannot appear in one", string(rune(badChar)))
	case errors.As(err, &length), errors.As(err, &sep):
		why = fmt.Sprintf("it has %d characters, one has %d — part of it is missing or extra", len(s), size)
	case errors.As(err, &mixed):
		why = "it mixes upper and lower case"
	case err == nil:
		why = fmt.Sprintf("it holds the wrong number of bytes (it has %d characters, one has %d)", len(s), size)
	}
	return fmt.Errorf("not %s: %s", want, why)
}

// parseCount reads a whole number argument or flag value; what names it
// ("EPOCH", "--interval").
func parseCount(what, s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, usageError{fmt.Errorf("%s %q: too large", what, s)}
		}
		return 0, usageError{fmt.Errorf("%s %q: want a whole number, like 42", what, s)}
	}
	return n, nil
}
