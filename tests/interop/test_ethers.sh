#!/bin/sh
# test_ethers.sh: runs the ethers.js interop test (ethers_interop.cjs) against the conclaved of this
# build. Installs ethers from npm (pinned by package-lock.json) into the build tree on first use.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
work=$PWD/tests/interop
mkdir -p "$work"
if [ "$src" != "$work" ]; then
  cp "$src/package.json" "$src/package-lock.json" "$src/ethers_interop.cjs" "$src/interop_lib.cjs" "$work/"
fi
if [ ! -f "$work/node_modules/ethers/package.json" ]; then
  (cd "$work" && npm ci --no-audit --no-fund --silent)
fi
exec node "$work/ethers_interop.cjs" "$PWD/conclaved"
