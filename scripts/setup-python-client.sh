#!/usr/bin/env bash
# Makes .tools/python, a venv holding the Python client's pinned runtime, the buf plugins that
# write gen/python (protoc-gen-py, protoc-gen-connectrpc: pure Python, no protoc) and pytest,
# all from PyPI as pinned in clients/python/requirements-dev.txt. A .pth file puts gen/python and
# clients/python on the venv's path, so `.tools/python/bin/python -c 'import vigil_client'` works.
# Idempotent and quick when the venv matches the pins; rebuilt from scratch when they change.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/python"
client="$root/clients/python"
stamp="$venv/.vigil-setup"

# The venv depends on the pins and on where the repo lives (the .pth holds absolute paths).
want="$(cat "$client/requirements.txt" "$client/requirements-dev.txt" | sha256sum | cut -d' ' -f1) $root"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

usable() { "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

find_python() {
  if [ -n "${VIGIL_PYTHON:-}" ]; then
    usable "$VIGIL_PYTHON" && echo "$VIGIL_PYTHON"
    return
  fi
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && usable "$(command -v "$candidate")"; then
      command -v "$candidate"
      return
    fi
  done
}

python="$(find_python || true)"
if [ -z "$python" ] && [ -z "${VIGIL_PYTHON:-}" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup-python-client: installing Debian's python3 and python3-venv (first run only)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3 python3-venv >/dev/null
  python="$(find_python || true)"
fi
if [ -z "$python" ]; then
  echo "setup-python-client: the Python client needs Python >= 3.11 with the venv module; install it (Debian: apt-get install python3 python3-venv) or set VIGIL_PYTHON to such an interpreter" >&2
  exit 1
fi

echo "setup-python-client: creating .tools/python with $("$python" --version) ..."
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv \
  --only-binary=:all: -r "$client/requirements-dev.txt"
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
printf '%s\n' "$root/gen/python" "$client" >"$site/vigil-client.pth"
"$venv/bin/python" -c 'import connectrpc, protobuf'
echo "$want" >"$stamp"
echo "setup-python-client: ready ($("$venv/bin/python" -m pip freeze --disable-pip-version-check | grep -E '^(connectrpc|protobuf-py)==' | tr '\n' ' '))"
