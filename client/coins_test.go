package client_test

import (
	"math"
	"strings"
	"testing"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/client"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
)

func TestParseCoins(t *testing.T) {
	c := bank.Coin
	cases := []struct {
		in      string
		want    []*bankv1.Coin
		wantErr string // a substring of the error; "" means success
	}{
		{in: "1.5dpin", want: []*bankv1.Coin{c("udpin", 1_500_000)}},
		{in: "2DPIN", want: []*bankv1.Coin{c("udpin", 2_000_000)}},
		{in: "2Dpin", want: []*bankv1.Coin{c("udpin", 2_000_000)}},
		{in: "0.000001dpin", want: []*bankv1.Coin{c("udpin", 1)}},
		{in: "2500udpin", want: []*bankv1.Coin{c("udpin", 2500)}},
		{in: " 7udpin ", want: []*bankv1.Coin{c("udpin", 7)}},
		{in: "10udpin,3share/abc", want: []*bankv1.Coin{c("share/abc", 3), c("udpin", 10)}},
		{in: "3share/abc, 10udpin", want: []*bankv1.Coin{c("share/abc", 3), c("udpin", 10)}},
		{in: "1udpin,2udpin", want: []*bankv1.Coin{c("udpin", 3)}},
		{in: "1dpin,5udpin", want: []*bankv1.Coin{c("udpin", 1_000_005)}},
		{in: "007udpin", want: []*bankv1.Coin{c("udpin", 7)}},
		{in: "18446744073709551615udpin", want: []*bankv1.Coin{c("udpin", math.MaxUint64)}},
		{in: "18446744073709.551615dpin", want: []*bankv1.Coin{c("udpin", math.MaxUint64)}},

		{in: "", wantErr: "empty"},
		{in: "   ", wantErr: "empty"},
		{in: "-5dpin", wantErr: "negative"},
		{in: "0dpin", wantErr: "positive"},
		{in: "0.0udpin", wantErr: "positive"},
		{in: "1.0000001dpin", wantErr: "decimals"},
		{in: "1.5udpin", wantErr: "decimals"},
		{in: "18446744073709551616udpin", wantErr: "overflows"},
		{in: "18446744073709551615udpin,1udpin", wantErr: "overflows"},
		{in: "abc", wantErr: "want <number><denom>"},
		{in: "5", wantErr: "denom"},
		{in: "5U", wantErr: "denom"},
		{in: "1..5dpin", wantErr: "bad number"},
		{in: ".dpin", wantErr: "bad number"},
		{in: "1udpin,", wantErr: "want <number><denom>"},
		{in: "1 udpin", wantErr: "denom"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := client.ParseCoins(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseCoins(%q) = %v, %v; want an error containing %q", tc.in, bank.FormatCoins(got), err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCoins(%q): %v", tc.in, err)
			}
			if g, w := bank.FormatCoins(got), bank.FormatCoins(tc.want); g != w {
				t.Fatalf("ParseCoins(%q) = %s, want %s", tc.in, g, w)
			}
		})
	}
}

func TestFormatAmount(t *testing.T) {
	cases := []struct {
		coin *bankv1.Coin
		want string
	}{
		{bank.Coin("udpin", 1_500_000), "1.5 DPIN"},
		{bank.Coin("udpin", 2_000_000), "2 DPIN"},
		{bank.Coin("udpin", 0), "0 DPIN"},
		{bank.Coin("udpin", 1), "0.000001 DPIN"},
		{bank.Coin("udpin", 1_000_010), "1.00001 DPIN"},
		{bank.Coin("udpin", math.MaxUint64), "18446744073709.551615 DPIN"},
		{bank.Coin("share/abc", 3), "3share/abc"},
		{bank.Coin("dpin", 3), "3dpin"},
	}
	for _, tc := range cases {
		if got := client.FormatAmount(tc.coin); got != tc.want {
			t.Errorf("FormatAmount(%d%s) = %q, want %q", tc.coin.Amount, tc.coin.Denom, got, tc.want)
		}
	}
}

func FuzzParseCoins(f *testing.F) {
	for _, s := range []string{
		"1.5dpin", "2DPIN", "10udpin,3share/abc", "1udpin,2udpin", "-5dpin", "0dpin",
		"1.0000001dpin", "18446744073709551616udpin", "abc", "5", "1.5udpin", "",
		"18446744073709.551615dpin", "1dpin,1dpin,x1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		coins, err := client.ParseCoins(s)
		if err != nil {
			return
		}
		// What ParseCoins returns is what a MsgSend accepts: sorted,
		// unique, positive, valid denoms.
		if err := bank.ValidateCoins(coins); err != nil {
			t.Fatalf("ParseCoins(%q) = %s: %v", s, bank.FormatCoins(coins), err)
		}
		// And what FormatAmount shows parses back to the same coin.
		for _, c := range coins {
			shown := strings.Replace(client.FormatAmount(c), " ", "", 1)
			back, err := client.ParseCoins(shown)
			if err != nil || len(back) != 1 || back[0].Denom != c.Denom || back[0].Amount != c.Amount {
				t.Fatalf("%d%s shown as %q parses back as %s, %v", c.Amount, c.Denom, shown, bank.FormatCoins(back), err)
			}
		}
	})
}
