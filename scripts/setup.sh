#!/usr/bin/env bash
# Sets up a checkout from scratch, offline except for the package registries: Node 24, npm packages, the build,
# and the Python MLX runtime venv. Idempotent: a second run only checks.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
PATH="$(bash scripts/node24.sh):$PATH"
export PATH
echo "setup: node $(node --version), npm $(npm --version)"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
bash scripts/setup-runtime.sh
echo "setup: done"
