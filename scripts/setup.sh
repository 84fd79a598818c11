#!/bin/sh
# setup.sh: prepares a Debian 12 machine to build and test Conclave, then builds it in the source
# tree. Installs only the packages that are missing (non-interactive), runs autogen/configure only
# when needed, and is safe to run again. Usage: scripts/setup.sh [--tests]  (--tests adds Node.js,
# used by the interop tests, Debian's chromium, in which the browser test runs the dashboard, and
# clang with its libFuzzer and sanitizer runtimes, used by `make fuzz`). With CI=true, configure
# gets --enable-werror.
set -eu
cd "$(dirname "$0")/.."

packages="gcc make autoconf automake pkg-config libsqlite3-dev libsecp256k1-dev libgmp-dev libevent-dev \
libcjson-dev libcriterion-dev nettle-dev libseccomp-dev"
missing=""
for p in $packages; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ "${1:-}" = "--tests" ]; then
  command -v node >/dev/null 2>&1 || missing="$missing nodejs npm"
  [ -x /usr/bin/chromium ] || missing="$missing chromium"
  for p in clang libclang-rt-dev; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
fi
if [ -n "$missing" ]; then
  echo "setup: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing
fi

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
  ./autogen.sh
fi
if [ ! -f Makefile ] || [ configure -nt Makefile ]; then
  # CI builds with every warning an error; elsewhere a newer compiler's new warning stays a warning
  if [ "${CI:-}" = true ]; then ./configure --quiet --enable-werror; else ./configure --quiet; fi
fi
make -j"$(nproc)" --no-print-directory
