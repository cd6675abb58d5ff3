#!/usr/bin/env bash
# Installs the pinned Go code generators (protoc-gen-go, protoc-gen-connect-go) into .tools/bin
# and downloads the Go client's module dependencies, so `buf generate` and `go test` in
# clients/go run offline afterwards. Idempotent and quick when everything is already there.
# Builds from the Go module proxy with `go install`; buf finds the plugins on PATH:
# buf.gen.yaml names them by path (.tools/bin/protoc-gen-go), so `npm run generate` just works.
set -euo pipefail

# Keep these equal to the requirements in go.mod, so generated code matches its runtime.
PROTOBUF_GO_VERSION="v1.36.12" # google.golang.org/protobuf
CONNECT_GO_VERSION="v1.21.1"   # connectrpc.com/connect
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.tools/bin"
mkdir -p "$bin"

if ! command -v go >/dev/null 2>&1; then
  echo "setup-go-client: Go is not installed; install Go 1.26 or newer (https://go.dev/dl)" >&2
  exit 1
fi

# `protoc-gen-go --version` prints "protoc-gen-go v1.36.12";
# `protoc-gen-connect-go --version` prints "1.21.1".
installed() { [ -x "$bin/$1" ] && [ "$("$bin/$1" --version 2>/dev/null | awk '{print $NF}')" = "$2" ]; }

install() {
  echo "setup-go-client: installing $1@$2 into .tools/bin"
  GOBIN="$bin" GOFLAGS="-buildvcs=false" go install "$1@$2"
}

installed protoc-gen-go "$PROTOBUF_GO_VERSION" ||
  install google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOBUF_GO_VERSION"
installed protoc-gen-connect-go "${CONNECT_GO_VERSION#v}" ||
  install connectrpc.com/connect/cmd/protoc-gen-connect-go "$CONNECT_GO_VERSION"

# A no-op when the module cache already holds everything go.sum names.
(cd "$root" && go mod download)
