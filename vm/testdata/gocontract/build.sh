#!/bin/sh
# Rebuilds contract.wasm with the pinned flags (see README.md). The output
# depends only on the Go version and this directory's sources.
set -eu
cd "$(dirname "$0")"
GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 GOFLAGS= \
	go build -buildmode=c-shared -trimpath -ldflags=-buildid= -o contract.wasm .
go version
ls -l contract.wasm
sha256sum contract.wasm
