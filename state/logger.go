package state

import (
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble/v2"
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

// pebbleEvents is Pebble's event listener: its defaults (which log through
// pebbleLogger), except for on-disk corruption. Pebble's default passes
// that to Fatalf, which would panic in whichever goroutine read the damaged
// block: a Get, or a background compaction that takes the process down.
// Logged instead, the read that found it returns Pebble's corruption
// error, which the store reports as ErrCorrupt (corrupt.go).
func pebbleEvents() *pebble.EventListener {
	return &pebble.EventListener{DataCorruption: func(info pebble.DataCorruptionInfo) {
		slog.Error(fmt.Sprintf("pebble: on-disk corruption in %s (keys %s): %v", info.Path, info.Bounds, info.Details))
	}}
}
