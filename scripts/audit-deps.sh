#!/usr/bin/env bash
# npm audit of the production dependencies: fails on a high or critical advisory. When the
# registry does not serve the audit endpoint (the mirror this project is built against answers
# 405), it says so and does not fail: there is nothing to check against, which is not a pass.
set -uo pipefail
cd "$(dirname "$0")/.."
out="$(npm audit --omit=dev --audit-level=high 2>&1)"
status=$?
echo "$out" | grep -v '^npm warn Unknown user config'
if [ "$status" -ne 0 ] && echo "$out" | grep -q "audit endpoint returned an error"; then
  echo "npm audit: the registry does not serve advisories here; production dependencies NOT audited" >&2
  exit 0
fi
exit "$status"
