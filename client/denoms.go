package client

import (
	"context"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/bank"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
)

// Denom returns a registered token's metadata — its base denom, display
// name and exponent (display = base / 10^exponent) — or nil if the chain
// has no token with that base denom.
func (c *Client) Denom(ctx context.Context, base string, o QueryOptions) (*bankv1.DenomMetadata, error) {
	var md bankv1.DenomMetadata
	ok, _, err := c.getProto(ctx, bank.DenomKey(base), o, &md)
	if !ok || err != nil {
		return nil, err
	}
	return &md, nil
}

// Denoms lists every registered token, by base denom (at most limit, 0 =
// all; device shares are tokens too, so there can be many).
func (c *Client) Denoms(ctx context.Context, limit int) ([]*bankv1.DenomMetadata, error) {
	var out []*bankv1.DenomMetadata
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: bank.DenomPrefix}, limit, func(_, v []byte) error {
		var md bankv1.DenomMetadata
		if err := proto.Unmarshal(v, &md); err != nil {
			return err
		}
		out = append(out, &md)
		return nil
	})
	return out, err
}

// DenomByName finds the token a person means by name: its base denom
// (usolar) or its display name in any case (SOLAR, solar, dpin). A
// network's token is u<display> by convention, so that is looked up
// first; then every token is searched. It returns nil if no token has
// the name.
func (c *Client) DenomByName(ctx context.Context, name string) (*bankv1.DenomMetadata, error) {
	lower := strings.ToLower(name)
	for _, base := range []string{lower, "u" + lower} {
		if bank.ValidateDenom(base) != nil {
			continue
		}
		md, err := c.Denom(ctx, base, QueryOptions{})
		if err != nil {
			return nil, err
		}
		if md != nil && (md.Base == lower || strings.EqualFold(md.Display, name)) {
			return md, nil
		}
	}
	all, err := c.Denoms(ctx, 0)
	if err != nil {
		return nil, err
	}
	for _, md := range all {
		if strings.EqualFold(md.Display, name) {
			return md, nil
		}
	}
	return nil, nil
}
