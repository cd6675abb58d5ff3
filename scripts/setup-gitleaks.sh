#!/usr/bin/env bash
# Installs the pinned gitleaks into .tools/bin for the Redact vs gitleaks bench (issue #9).
# Not part of `npm test`: only `bench/redact-vs-gitleaks.ts` calls it. Idempotent, quick when
# the pinned version is already there. Builds with `go install` from the Go module proxy, like
# scripts/setup.sh does for opa; never downloads release binaries.
set -euo pipefail

# v8.30.1 is the newest v8 on the Go module proxy (2026-02) and builds with Go >= 1.24.
GITLEAKS_VERSION="${VIGIL_GITLEAKS_VERSION:-8.30.1}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.tools/bin"
mkdir -p "$bin"

# `go install` leaves the version string empty ("set by build process"), so the build below
# stamps it with -ldflags, the way gitleaks' own Makefile does, and this check can read it back.
if [ -x "$bin/gitleaks" ] && [ "$("$bin/gitleaks" version 2>/dev/null)" = "v$GITLEAKS_VERSION" ]; then
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "setup-gitleaks: gitleaks $GITLEAKS_VERSION is needed and Go is not installed; install Go (https://go.dev/dl)" >&2
  exit 1
fi

echo "setup-gitleaks: building gitleaks $GITLEAKS_VERSION with go install (first run only, about a minute)..."
rm -f "$bin/gitleaks"
GOBIN="$bin" GOFLAGS="-buildvcs=false" go install \
  -ldflags "-X=github.com/zricethezav/gitleaks/v8/version.Version=v$GITLEAKS_VERSION" \
  "github.com/zricethezav/gitleaks/v8@v$GITLEAKS_VERSION"
echo "setup-gitleaks: installed gitleaks $("$bin/gitleaks" version) into .tools/bin"
