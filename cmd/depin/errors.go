package main

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/api/reward"
	"github.com/depinhq/depin/api/staking"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
)

// The CLI's edge for errors (docs/ARCHITECTURE.md "Errors"): exit codes
// come from the kinds an error wraps (main.go); the text a person reads
// comes from here. Every error a command returns passes through
// g.explain, which keeps the error chain (so the exit code is unchanged)
// and rewrites the text: a chain rejection in the user's units, with
// local key names for addresses, dates for unix times and what to do
// next; a node that does not answer or an RPC failure without
// CometBFT's internals. TestErrorMessages holds the wording.

// explained is an error with the text a person should read.
type explained struct {
	err  error
	text string
}

func (e *explained) Error() string { return e.text }
func (e *explained) Unwrap() error { return e.err }

// explain rewrites err for the person at the terminal (nil stays nil).
func (g *globals) explain(err error) error {
	if err == nil {
		return nil
	}
	var ex *explained
	if errors.As(err, &ex) {
		return err // already in the user's words
	}
	var ce *client.CodeError
	var rpc *client.RPCError
	switch {
	case errors.As(err, &ce):
		return &explained{err, g.rejectionText(ce)}
	case errors.Is(err, client.ErrTxInCache):
		return &explained{err, "the node has this exact tx already (in its mempool or a recent block): it was sent before, nothing more to do"}
	case errors.Is(err, client.ErrMempoolFull):
		return &explained{err, "the node's mempool is full: send it again in a few seconds"}
	case errors.Is(err, client.ErrTimeout):
		return &explained{err, "the tx was accepted but is not in a block after 30 s: it may still be committed — look for it later ('depin query account' shows whether the sequence moved), or resend"}
	case errors.Is(err, client.ErrNodeUnreachable) && strings.Contains(err.Error(), "RPC error"):
		// The node answered, with an error (the client files some RPC
		// failures under ErrNodeUnreachable): not exit 4.
		msg := err.Error()
		return &explained{errors.New(msg), "the node could not answer: " + msg[strings.LastIndex(msg, "RPC error"):]}
	case errors.Is(err, client.ErrNodeUnreachable):
		return &explained{err, g.unreachableText(err)}
	case errors.As(err, &rpc):
		return &explained{err, rpcText(rpc)}
	}
	return err
}

// rejectionText says what the chain refused and what to do about it.
func (g *globals) rejectionText(ce *client.CodeError) string {
	text := ce.Log
	if text == "" {
		text = ce.Kind.Desc
	}
	text = messageIndexRE.ReplaceAllString(text, "")
	text = g.units.rewrite(text)
	text = g.keyNames(text)
	text = unixTimes(text, time.Now())
	text = enumNames(text)
	if h := rejectionHint(ce.Kind); h != "" {
		text += " — " + h
	}
	if ce.Kind.Codespace == "query" {
		return text // a query's answer, not a refusal
	}
	return "the chain refused it: " + text
}

// messageIndexRE is the "message 0: " the chain puts before a message's
// error: noise when a tx has one message, as every CLI tx has.
var messageIndexRE = regexp.MustCompile(`^message \d+: `)

// rejectionHint is what to do about a kind of rejection.
func rejectionHint(kind *errs.Error) string {
	for _, h := range []struct {
		kind *errs.Error
		hint string
	}{
		{bank.ErrInsufficientFunds, "see what the account holds with 'depin query bank balance ADDRESS'"},
		{bank.ErrUnknownDenom, "tokens are dpin and each network's reward token ('depin query networks')"},
		{errs.ErrInsufficientFee, "leave --fee out to pay the minimum"},
		{errs.ErrWrongSequence, "another tx from this key went in first; run the command again"},
		{errs.ErrInvalidSignature, "is --node a node of the chain the key signs for?"},
		{device.ErrNotDeviceOwner, "--from must be the device's owner ('depin query device ID' shows it)"},
		{device.ErrUnknownDevice, "is the id right? 'depin query devices --owner KEY' lists yours"},
		{device.ErrWrongStatus, "'depin query device ID' shows its status and what it can do"},
		{device.ErrMoveTooSoon, "the network limits how often a device moves ('depin query network NET')"},
		{network.ErrNotOwner, "--from must be the network's owner ('depin query network NET' shows it)"},
		{network.ErrUnknownNetwork, "'depin query networks' lists them"},
		{network.ErrUnknownMaker, "the network's owner approves makers with 'depin tx network approve-maker'"},
		{network.ErrFrozen, "'depin query network NET' says why; its owner resumes it with 'depin tx network resume NET'"},
		{reward.ErrNothingToClaim, "'depin query reward unclaimed DEVICE' shows what a device has accrued"},
		{staking.ErrNoValidator, "'depin query staking validators' lists them"},
	} {
		if errors.Is(kind, h.kind) {
			return h.hint
		}
	}
	return ""
}

// addressRE finds account addresses in text.
var addressRE = regexp.MustCompile(`\b` + crypto.AccountPrefix + `1[02-9ac-hj-np-z]{38}\b`)

// keyNames names the addresses of local keys in text ("alice
// (depin1…)").
func (g *globals) keyNames(text string) string {
	if !addressRE.MatchString(text) {
		return text
	}
	infos, err := g.keystore().List()
	if err != nil {
		return text
	}
	names := map[string]string{}
	for _, i := range infos {
		names[i.Address.String()] = i.Name
	}
	return addressRE.ReplaceAllStringFunc(text, func(a string) string {
		if n, ok := names[a]; ok {
			return n + " (" + a + ")"
		}
		return a
	})
}

// unixTimeRE finds the unix times chain messages give ("until unix time
// 1700000000").
var unixTimeRE = regexp.MustCompile(`(?:at )?unix time (\d+)`)

// unixTimes writes the unix times in text as dates with how far away
// they are from now.
func unixTimes(text string, now time.Time) string {
	return unixTimeRE.ReplaceAllStringFunc(text, func(s string) string {
		n, err := strconv.ParseInt(unixTimeRE.FindStringSubmatch(s)[1], 10, 64)
		if err != nil {
			return s
		}
		at := ""
		if strings.HasPrefix(s, "at ") {
			at = "at "
		}
		return at + when(time.Unix(n, 0), now)
	})
}

// when is a time as a date and how far it is from now ("2024-05-01 12:00
// UTC, in 2h30m0s").
func when(t, now time.Time) string {
	d := t.Sub(now).Round(time.Second)
	date := t.UTC().Format("2006-01-02 15:04:05 UTC")
	switch {
	case d > 0:
		return fmt.Sprintf("%s (in %s)", date, d)
	case d < 0:
		return fmt.Sprintf("%s (%s ago)", date, -d)
	}
	return date + " (now)"
}

// enumRE finds protobuf enum names in chain messages.
var enumRE = regexp.MustCompile(`\b(?:DEVICE_STATUS|LEASE_STATUS|VALIDATOR_STATUS|REJECT_REASON|ORDER_STATUS)_([A-Z_]+)\b`)

func enumNames(text string) string {
	return enumRE.ReplaceAllStringFunc(text, func(s string) string {
		return strings.ToLower(enumRE.FindStringSubmatch(s)[1])
	})
}

// CometBFT's words for a height it does not have.
var (
	heightAheadRE  = regexp.MustCompile(`height (\d+) must be less than or equal to the current blockchain height (\d+)`)
	heightPrunedRE = regexp.MustCompile(`height (\d+) is not available, lowest height is (\d+)`)
	txNotFoundRE   = regexp.MustCompile(`tx \(([0-9A-Fa-f]+)\) not found`)
)

// rpcText says what an RPC failure means, without CometBFT's codes.
func rpcText(e *client.RPCError) string {
	msg := e.Data
	if msg == "" {
		msg = e.Message
	}
	if m := heightAheadRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("there is no block %s yet: the chain is at height %s", m[1], m[2])
	}
	if m := heightPrunedRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("block %s is no longer kept by this node: it keeps blocks from height %s on (another node may have it: --node)", m[1], m[2])
	}
	if m := txNotFoundRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("the node knows no tx %s (not yet in a block, or indexed by another node)", strings.ToUpper(m[1]))
	}
	return "the node could not answer: " + msg
}

// unreachableText says that no node answers at --node, why, and what to do.
func (g *globals) unreachableText(err error) string {
	msg := err.Error()
	why := ""
	for _, c := range []struct{ in, why string }{
		{"connection refused", "connection refused: nothing listens there"},
		{"no such host", "no such host"},
		{"i/o timeout", "it did not answer in time"},
		{"deadline exceeded", "it did not answer in time"},
		{"connection reset", "the connection was reset"},
		{"certificate", "its TLS certificate is not trusted"},
		{"server gave HTTP response to HTTPS client", "it speaks http, not https"},
	} {
		if strings.Contains(msg, c.in) {
			why = " (" + c.why + ")"
			break
		}
	}
	return fmt.Sprintf("no depin node answers at %s%s: start one with 'depin devnet', or point --node (or $DEPIN_NODE) at a running node", g.nodeURL, why)
}
