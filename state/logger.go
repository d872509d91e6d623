package state

import (
	"fmt"
	"log/slog"
)

// pebbleLogger sends Pebble's messages to log/slog: its routine chatter
// (WAL replay, compactions) at debug level, errors as errors. Fatalf keeps
// Pebble's contract of not returning.
type pebbleLogger struct{}

func (pebbleLogger) Infof(format string, args ...any) {
	slog.Debug("pebble: " + fmt.Sprintf(format, args...))
}

func (pebbleLogger) Errorf(format string, args ...any) {
	slog.Error("pebble: " + fmt.Sprintf(format, args...))
}

func (pebbleLogger) Fatalf(format string, args ...any) {
	msg := "pebble: " + fmt.Sprintf(format, args...)
	slog.Error(msg)
	panic(fmt.Errorf("state: %s", msg))
}
