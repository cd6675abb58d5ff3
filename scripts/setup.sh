#!/usr/bin/env bash
# Installs the pinned OPA compiler into .tools/bin (idempotent, quick when already there).
# Uses an `opa` on PATH if its version matches; otherwise builds it with `go install`
# from the Go module proxy. Never downloads release binaries.
set -euo pipefail

OPA_VERSION="${VIGIL_OPA_VERSION:-1.22.2}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.tools/bin"
mkdir -p "$bin"

opa_version() { "$1" version 2>/dev/null | sed -n 's/^Version: //p'; }

if [ -x "$bin/opa" ] && [ "$(opa_version "$bin/opa")" = "$OPA_VERSION" ]; then
  exit 0
fi

if command -v opa >/dev/null 2>&1 && [ "$(opa_version "$(command -v opa)")" = "$OPA_VERSION" ]; then
  ln -sf "$(command -v opa)" "$bin/opa"
  echo "setup: using opa $OPA_VERSION from PATH"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "setup: opa $OPA_VERSION is needed and Go is not installed; install Go (https://go.dev/dl) or put opa $OPA_VERSION on PATH" >&2
  exit 1
fi

echo "setup: building opa $OPA_VERSION with go install (first run only, takes a few minutes)..."
rm -f "$bin/opa"
GOBIN="$bin" GOFLAGS="-buildvcs=false" go install "github.com/open-policy-agent/opa@v$OPA_VERSION"
echo "setup: installed $("$bin/opa" version | head -1) into .tools/bin"
