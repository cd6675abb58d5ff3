#!/usr/bin/env bash
# Installs the load generator `npm run bench` drives Vigil and OPA with: h2load, from Debian's
# nghttp2-client. Quick when it is already there; one apt-get run when it is missing.
set -euo pipefail

command -v h2load >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-bench: the comparison needs h2load; install it (as root: apt-get install nghttp2-client)" >&2
  exit 1
fi
echo "setup-bench: installing nghttp2-client (first run only)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq nghttp2-client >/dev/null
echo "setup-bench: installed $(h2load --version | head -1)"
