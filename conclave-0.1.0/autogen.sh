#!/bin/sh
# autogen.sh: regenerates the autotools files from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
autoreconf -fi
