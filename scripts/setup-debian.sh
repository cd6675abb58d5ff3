#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests drive: chromium (the console's browser test,
# through playwright-core, which downloads no browser of its own) and nginx (the auth_request
# test). Idempotent and quick when both are present; one apt-get run when something is missing.
set -euo pipefail

missing=()
if [ -n "${VIGIL_CHROMIUM:-}" ]; then
  if [ ! -x "$VIGIL_CHROMIUM" ]; then
    echo "setup-debian: VIGIL_CHROMIUM=$VIGIL_CHROMIUM is not an executable" >&2
    exit 1
  fi
elif ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  missing+=(nginx)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-debian: the tests need ${missing[*]}; install the Debian package(s) (as root: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "setup-debian: installing ${missing[*]} (first run only)..."
export DEBIAN_FRONTEND=noninteractive
# Installing nginx must not start it as a system service on port 80: the tests start their own.
created_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
trap 'if [ -n "$created_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
echo "setup-debian: installed ${missing[*]}"
