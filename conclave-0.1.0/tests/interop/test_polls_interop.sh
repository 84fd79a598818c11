#!/bin/sh
# test_polls_interop.sh: runs the polls interop check (polls_interop.cjs): conclaved's poll results
# against snapshot.js's own scoring of the same ballots. Installs ethers and @snapshot-labs/snapshot.js
# from npm (pinned by package-lock.json) into the build tree on first use.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
work=$PWD/tests/interop
"$src/npm_deps.sh" "$src" "$work" @snapshot-labs/snapshot.js polls_interop.cjs interop_lib.cjs
exec node "$work/polls_interop.cjs" "$PWD/conclaved"
