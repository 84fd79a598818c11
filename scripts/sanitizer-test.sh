#!/bin/sh
# sanitizer-test.sh: runs one test of a sanitizer build (the LOG_COMPILER of `make check` after
# ./configure --enable-sanitizers) so that a report from any process it starts fails it: Criterion
# ignores how a test's process exits after its result is in, and conclaved or the CLI may be stopped
# without their exit status being read. Every process writes its ASan, LSan or UBSan report to a
# file in a fresh folder (log_path); the test fails if one appears, and the reports go to its log.
# Usage: sanitizer-test.sh TEST [ARGS...]
set -u
dir=$(mktemp -d "${TMPDIR:-/tmp}/conclave-san-XXXXXX") || exit 99
ASAN_OPTIONS="log_path=$dir/report:${ASAN_OPTIONS-}"
UBSAN_OPTIONS="log_path=$dir/report:${UBSAN_OPTIONS-}"
export ASAN_OPTIONS UBSAN_OPTIONS
"$@"
rc=$?
reports=$(find "$dir" -type f -name 'report*' | sort)
if [ -n "$reports" ]; then
  for r in $reports; do
    echo "sanitizer-test: report of process ${r##*.} ($1):"
    cat "$r"
  done
  echo "sanitizer-test: $1 FAILED: sanitizer reports above (exit status $rc)"
  [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] || rc=1
fi
rm -rf "$dir"
exit "$rc"
