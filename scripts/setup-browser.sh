#!/usr/bin/env bash
# Installs Debian's chromium for the console's browser test (Playwright drives it through
# playwright-core, which downloads no browser of its own). Idempotent and quick when present.
set -euo pipefail

if [ -n "${VIGIL_CHROMIUM:-}" ]; then
  [ -x "$VIGIL_CHROMIUM" ] && exit 0
  echo "setup-browser: VIGIL_CHROMIUM=$VIGIL_CHROMIUM is not an executable" >&2
  exit 1
fi
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: the console test needs Chromium; install Debian's 'chromium' package (as root: apt-get install chromium) or set VIGIL_CHROMIUM to a Chromium binary" >&2
  exit 1
fi
echo "setup-browser: installing Debian's chromium (first run only)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "setup-browser: $(chromium --version 2>/dev/null)"
