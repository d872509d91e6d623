#!/bin/sh
# Rebuilds toolchain.wasm from toolchain.c with Debian's clang and lld
# (apt-get install clang lld), enabling what current Rust and clang output
# uses. The checked-in toolchain.wasm was built with Debian clang 14.0.6.
set -eu
cd "$(dirname "$0")"
clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry \
	-mmultivalue -Xclang -target-abi -Xclang experimental-mv \
	-mreference-types -mbulk-memory -msign-ext -mnontrapping-fptoint \
	-o toolchain.wasm toolchain.c
clang --version | head -1
ls -l toolchain.wasm
