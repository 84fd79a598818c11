#!/bin/sh
# test_browser.sh: runs the dashboard's browser check (browser_check.cjs) against the conclaved of
# this build, in Debian's chromium (CHROMIUM, default /usr/bin/chromium) driven by playwright-core
# from npm (pinned by package-lock.json; it downloads no browser). Without chromium it is skipped
# (exit 77), unless CI=true, where that is a failure. Screenshots go to tests/interop/screenshots/.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
work=$PWD/tests/interop
browser=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$browser" ]; then
  if [ "${CI:-}" = true ]; then
    echo "not ok - no chromium at $browser (scripts/setup.sh --tests installs it)"
    exit 1
  fi
  echo "skipped: no chromium at $browser (scripts/setup.sh --tests installs it)"
  exit 77
fi
"$src/npm_deps.sh" "$src" "$work" playwright-core browser_check.cjs interop_lib.cjs
mkdir -p "$work/screenshots"
exec node "$work/browser_check.cjs" "$PWD/conclaved" "$PWD/conclave" "$browser" "$work/screenshots" \
  "$src/../vectors/ballot_box.json"
