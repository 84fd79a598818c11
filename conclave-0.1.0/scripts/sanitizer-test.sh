#!/bin/sh
# sanitizer-test.sh: runs one test of a sanitizer build (the LOG_COMPILER of `make check` after
# ./configure --enable-sanitizers) so that a report from any process it starts fails it: Criterion
# ignores how a test's process exits after its result is in, and conclaved or the CLI may be stopped
# without their exit status being read. Every process writes its ASan, LSan or UBSan report to a
# file in a fresh folder (log_path); a process that sends its report to its stderr instead (the
# confined enclave cannot open a file) reaches the test's output, which is searched too. The test
# fails if either holds a report; the reports go to its log.
# Usage: sanitizer-test.sh TEST [ARGS...]
set -u
dir=$(mktemp -d "${TMPDIR:-/tmp}/conclave-san-XXXXXX") || exit 99
ASAN_OPTIONS="log_path=$dir/report:${ASAN_OPTIONS-}"
UBSAN_OPTIONS="log_path=$dir/report:${UBSAN_OPTIONS-}"
LSAN_OPTIONS="suppressions=$(dirname "$0")/lsan.supp:print_suppressions=0:${LSAN_OPTIONS-}"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
"$@" >"$dir/output" 2>&1
rc=$?
cat "$dir/output"
found=0
for r in $(find "$dir" -type f -name 'report*' | sort); do
  echo "sanitizer-test: report of process ${r##*.} ($1):"
  cat "$r"
  found=1
done
if grep -E -q '==[0-9]+==ERROR: (AddressSanitizer|LeakSanitizer)|: runtime error: ' "$dir/output"; then
  echo "sanitizer-test: a sanitizer report in the output of $1 (above)"
  found=1
fi
if [ "$found" = 1 ]; then
  echo "sanitizer-test: $1 FAILED: sanitizer reports above (exit status $rc)"
  [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] || rc=1
fi
rm -rf "$dir"
exit "$rc"
