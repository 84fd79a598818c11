#!/bin/sh
# test_polls_interop.sh: runs the polls interop check (polls_interop.cjs): conclaved's poll results
# against snapshot.js's own scoring of the same ballots. Installs ethers and @snapshot-labs/snapshot.js
# from npm (pinned by package-lock.json) into the build tree on first use.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
work=$PWD/tests/interop
mkdir -p "$work"
if [ "$src" != "$work" ]; then
  cp "$src/package.json" "$src/package-lock.json" "$src/polls_interop.cjs" "$src/interop_lib.cjs" "$work/"
fi
if [ ! -f "$work/node_modules/@snapshot-labs/snapshot.js/package.json" ]; then
  (cd "$work" && npm ci --no-audit --no-fund --silent)
fi
exec node "$work/polls_interop.cjs" "$PWD/conclaved"
