#!/usr/bin/env bash
# Runs a command with Node >= 24 first on PATH (bootstrapped from the npm registry when the machine's Node is older).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PATH="$(bash "$here/node24.sh"):$PATH"
export PATH
exec "$@"
