package node

import (
	"context"
	"log/slog"

	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// cometLogger adapts slog to CometBFT's logger. CometBFT is chatty at info
// level (several lines per block), so its Info is logged at minInfo, which
// callers set to Debug unless they want to see consensus at work.
type cometLogger struct {
	l       *slog.Logger
	minInfo slog.Level
}

var _ cmtlog.Logger = cometLogger{}

func newCometLogger(l *slog.Logger, verbose bool) cometLogger {
	lvl := slog.LevelDebug
	if verbose {
		lvl = slog.LevelInfo
	}
	return cometLogger{l: l.With("module", "cometbft"), minInfo: lvl}
}

func (c cometLogger) Debug(msg string, kv ...any) { c.l.Debug(msg, kv...) }
func (c cometLogger) Info(msg string, kv ...any) {
	c.l.Log(context.Background(), c.minInfo, msg, kv...)
}
func (c cometLogger) Error(msg string, kv ...any) {
	// CometBFT reports routine p2p churn (peers going away) as errors;
	// they are warnings to an operator.
	c.l.Warn(msg, kv...)
}
func (c cometLogger) With(kv ...any) cmtlog.Logger {
	return cometLogger{l: c.l.With(kv...), minInfo: c.minInfo}
}
