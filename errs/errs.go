// Package errs is depin's one error scheme. Every error a user can meet in a
// transaction or query is a registered *Error with a stable (codespace,
// code) pair. Code wraps them with %w and detail; the edges (ABCI results,
// HTTP status, CLI exit) map them once, with Info.
package errs

import (
	"errors"
	"fmt"
)

// Error is a registered error kind.
type Error struct {
	Codespace string
	Code      uint32
	Desc      string
}

func (e *Error) Error() string { return e.Desc }

// Is lets errors.Is match kinds by identity even when copied.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Codespace == e.Codespace && t.Code == e.Code
}

var registry = map[string]map[uint32]*Error{}

// Register creates an error kind. Codes are stable API: never renumber.
// Code 0 means success and 1 is reserved for unregistered errors.
func Register(codespace string, code uint32, desc string) *Error {
	if code <= 1 {
		panic(fmt.Sprintf("errs: code %d is reserved", code))
	}
	if registry[codespace] == nil {
		registry[codespace] = map[uint32]*Error{}
	}
	if prev := registry[codespace][code]; prev != nil {
		panic(fmt.Sprintf("errs: %s/%d registered twice (%q, %q)", codespace, code, prev.Desc, desc))
	}
	e := &Error{Codespace: codespace, Code: code, Desc: desc}
	registry[codespace][code] = e
	return e
}

// Lookup finds a registered kind, for clients decoding results.
func Lookup(codespace string, code uint32) *Error {
	return registry[codespace][code]
}

// CodeInternal is the code of errors that are not registered kinds.
const CodeInternal = 1

// Info maps err to its codespace and code; unregistered errors get
// ("internal", 1). The log is err's full message.
func Info(err error) (codespace string, code uint32, log string) {
	if err == nil {
		return "", 0, ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Codespace, e.Code, err.Error()
	}
	return "internal", CodeInternal, err.Error()
}

// Wrapf wraps kind with a formatted detail: "<kind>: <detail>".
func Wrapf(kind *Error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))
}

// Codes shared by every module.
var (
	ErrTxDecode          = Register("tx", 2, "tx decode")
	ErrTxTooLarge        = Register("tx", 3, "tx too large")
	ErrInvalidSignature  = Register("tx", 4, "invalid signature")
	ErrWrongSequence     = Register("tx", 5, "wrong sequence")
	ErrInsufficientFee   = Register("tx", 6, "insufficient fee")
	ErrInvalidRequest    = Register("tx", 7, "invalid request")
	ErrTxTimeout         = Register("tx", 8, "tx timed out")
	ErrUnknownMsg        = Register("tx", 9, "unknown message")
	ErrUnauthorized      = Register("tx", 10, "unauthorized")
	ErrInvalidAddress    = Register("tx", 11, "invalid address")
	ErrMempoolIsFull     = Register("tx", 12, "mempool is full")
	ErrNotFound          = Register("query", 2, "not found")
	ErrInvalidQuery      = Register("query", 3, "invalid query")
	ErrHeightUnavailable = Register("query", 4, "height not available")
)
