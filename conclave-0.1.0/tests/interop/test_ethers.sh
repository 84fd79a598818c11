#!/bin/sh
# test_ethers.sh: runs the ethers.js interop test (ethers_interop.cjs) against the conclaved of this
# build. Installs ethers from npm (pinned by package-lock.json) into the build tree on first use.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
work=$PWD/tests/interop
"$src/npm_deps.sh" "$src" "$work" ethers ethers_interop.cjs interop_lib.cjs
exec node "$work/ethers_interop.cjs" "$PWD/conclaved"
