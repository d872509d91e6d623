#!/bin/sh
# Rebuilds counter.wasm with the flags vm/testdata/gocontract uses.
set -eu
cd "$(dirname "$0")"
GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 GOFLAGS= \
	go build -buildmode=c-shared -trimpath -ldflags=-buildid= -o counter.wasm .
go version
ls -l counter.wasm
sha256sum counter.wasm
