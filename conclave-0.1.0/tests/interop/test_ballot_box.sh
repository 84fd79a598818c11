#!/bin/sh
# test_ballot_box.sh: runs the secret-ballot interop check (ballot_box_interop.cjs): ethers.js and
# WebCrypto seal ballots exactly as ledger/ballot_box does (its vectors, byte for byte), and the C
# peer (ballot_box_peer) and JavaScript open each other's. Installs ethers from npm (pinned by
# package-lock.json) into the build tree on first use.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
work=$PWD/tests/interop
"$src/npm_deps.sh" "$src" "$work" ethers ballot_box_interop.cjs ballot_box.cjs interop_lib.cjs
scratch=$(mktemp -d "${TMPDIR:-/tmp}/conclave-ballots.XXXXXX")
trap 'rm -rf -- "$scratch"' EXIT
node "$work/ballot_box_interop.cjs" "$src/../vectors/ballot_box.json" "$work/ballot_box_peer" "$scratch"
