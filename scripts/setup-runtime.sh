#!/usr/bin/env bash
# Creates (or refreshes) the Python runtime venv for mlxk: scripts/setup-runtime.sh [VENV_DIR]
# Idempotent: when the pinned requirements are unchanged since the last run, it only checks and exits.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNTIME="$ROOT/python-runtime"
VENV="${1:-$RUNTIME/.venv}"

case "$(uname -s)-$(uname -m)" in
  Darwin-arm64) REQS="$RUNTIME/requirements-darwin-arm64.txt" ;;
  Linux-*) REQS="$RUNTIME/requirements-linux.txt" ;;
  *) echo "setup-runtime: unsupported platform $(uname -s)-$(uname -m) (need Linux or macOS arm64)" >&2; exit 2 ;;
esac

# The newest versioned interpreter first: on macOS `python3` is often Apple's 3.9 while Homebrew's python@3.12
# only provides `python3.12`.
PYTHON="${MLXK_PYTHON_BOOTSTRAP:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
       && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      PYTHON="$candidate"
      break
    fi
  done
  PYTHON="${PYTHON:-python3}"
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "setup-runtime: $PYTHON not found; install Python >= 3.11" >&2
  exit 2
fi
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "setup-runtime: $("$PYTHON" -V 2>&1) is too old; mlx-lm needs Python >= 3.11 (set MLXK_PYTHON_BOOTSTRAP)" >&2
  exit 2
fi

# The stamp covers the requirements and pyproject, so a pin change triggers a reinstall.
HASH="$(cat "$REQS" "$RUNTIME/pyproject.toml" | sha256sum 2>/dev/null || cat "$REQS" "$RUNTIME/pyproject.toml" | shasum -a 256)"
HASH="${HASH%% *}"
STAMP="$VENV/.mlxk-runtime-stamp"

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ] \
   && "$VENV/bin/python" -c 'import mlxk_runtime, mlx_lm' >/dev/null 2>&1; then
  echo "setup-runtime: $VENV is up to date"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup-runtime: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"
# A checkout installs the worker editable; an installed mlxk copies it, since its prefix is replaced on upgrade.
if [ "${MLXK_RUNTIME_EDITABLE:-1}" = "1" ]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$RUNTIME"
else
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$RUNTIME"
fi
"$VENV/bin/python" -c 'import mlxk_runtime, mlx_lm, mlx.core' >/dev/null
echo "$HASH" > "$STAMP"
echo "setup-runtime: ready ($VENV)"
