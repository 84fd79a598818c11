#!/bin/sh
# npm_deps.sh: readies tests/interop in the build tree for a Node.js interop check: copies the
# check's files there (in a build outside the source tree) and installs the npm packages pinned by
# package-lock.json once, under a lock, so checks that make runs in parallel never install at the
# same time. Usage: npm_deps.sh SRC_DIR WORK_DIR PACKAGE FILE...  (PACKAGE: one the check needs,
# whose absence means the packages are not installed yet)
set -eu
src=$1; work=$2; package=$3
shift 3
mkdir -p "$work"
if [ "$src" != "$work" ]; then
  for f in package.json package-lock.json "$@"; do cp "$src/$f" "$work/"; done
fi
exec 9>"$work/.npm-lock"
flock 9
if [ ! -f "$work/node_modules/$package/package.json" ]; then
  (cd "$work" && npm ci --no-audit --no-fund --silent)
fi
