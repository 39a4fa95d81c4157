#!/usr/bin/env bash
# Builds the tiny test models into test/fixtures/models (≈1 min on 2 CPU cores).
#   scripts/build-test-models.sh          rebuild, write expected.json and CHECKSUMS.sha256
#   scripts/build-test-models.sh --check  rebuild in a temp dir and verify behaviour (answers, EOS), not bytes
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${MLXK_PYTHON:-$ROOT/python-runtime/.venv/bin/python}"
if [ ! -x "$PY" ]; then
  echo "build-test-models: no runtime at $PY; run scripts/setup-runtime.sh first" >&2
  exit 2
fi
export HF_HUB_OFFLINE=1
cd "$ROOT"
exec "$PY" -m mlxk_runtime.testmodels.build --out "$ROOT/test/fixtures/models" "$@"
