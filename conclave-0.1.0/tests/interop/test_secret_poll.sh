#!/bin/sh
# test_secret_poll.sh: runs the secret-poll interop check (secret_poll_interop.cjs): a whole secret
# poll voted with ballots sealed and signed by ethers.js and WebCrypto against the conclaved of
# this build and its enclave, its count checked in JavaScript and by conclave verify-poll.
# Installs ethers from npm (pinned by package-lock.json) into the build tree on first use.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
work=$PWD/tests/interop
"$src/npm_deps.sh" "$src" "$work" ethers secret_poll_interop.cjs ballot_box.cjs interop_lib.cjs
exec node "$work/secret_poll_interop.cjs" "$PWD/conclaved"
