#!/bin/sh
# test_ballot_box.sh: runs the secret-ballot interop check (ballot_box_interop.cjs): ethers.js and
# WebCrypto seal ballots exactly as ledger/ballot_box does (its vectors, byte for byte), and the C
# peer (ballot_box_peer) and JavaScript open each other's. Installs ethers from npm (pinned by
# package-lock.json) into the build tree on first use.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
work=$PWD/tests/interop
mkdir -p "$work"
if [ "$src" != "$work" ]; then
  cp "$src/package.json" "$src/package-lock.json" "$src/ballot_box_interop.cjs" "$src/ballot_box.cjs" \
    "$src/interop_lib.cjs" "$work/"
fi
if [ ! -f "$work/node_modules/ethers/package.json" ]; then
  (cd "$work" && npm ci --no-audit --no-fund --silent)
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/conclave-ballots.XXXXXX")
trap 'rm -rf -- "$scratch"' EXIT
node "$work/ballot_box_interop.cjs" "$src/../vectors/ballot_box.json" "$work/ballot_box_peer" "$scratch"
