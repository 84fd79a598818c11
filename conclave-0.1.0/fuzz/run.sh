#!/bin/sh
# run.sh: runs libFuzzer targets for a bounded time each, a few at a time (`make fuzz` in a tree
# configured with --enable-fuzzing). Each fuzz/fuzz_NAME starts from its seed corpus
# (SRCDIR/fuzz/corpus/NAME, read only) and its regressions, grows fuzz/work/NAME, logs to
# fuzz/work/NAME.log and leaves a crashing input as fuzz/artifacts/NAME-crash-*. Exits 1 if any
# target crashed, leaked, timed out or could not run, printing the end of its log.
# Usage: fuzz/run.sh SECONDS JOBS SRCDIR NAME...
set -u
secs=$1 jobs=$2 srcdir=$3
shift 3
mkdir -p fuzz/work fuzz/artifacts

# Runs one target; prints one line on success, the end of its log on failure; exit status 0 or 1.
run_one() {
  name=$1
  log=fuzz/work/$name.log
  mkdir -p "fuzz/work/$name"
  set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$name-"
  [ -f "$srcdir/fuzz/$name.dict" ] && set -- "$@" -dict="$srcdir/fuzz/$name.dict"
  set -- "$@" "fuzz/work/$name" "$srcdir/fuzz/corpus/$name"
  [ -d "$srcdir/fuzz/regressions/$name" ] && set -- "$@" "$srcdir/fuzz/regressions/$name"
  if "./fuzz/fuzz_$name" "$@" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    units=$(find "fuzz/work/$name" -type f | wc -l)
    echo "fuzz $name: ${runs:-?} runs in $secs s, no crash ($units new corpus inputs in fuzz/work/$name)"
    return 0
  fi
  echo "fuzz $name: FAILED; the end of $log:"
  tail -n 60 "$log"
  for a in fuzz/artifacts/"$name"-*; do
    [ -f "$a" ] && echo "fuzz $name: input $a: fix the bug, then add it as $srcdir/fuzz/regressions/$name/<what it found> so make check replays it"
  done
  return 1
}

failed=0
while [ $# -gt 0 ]; do
  pids=""
  n=0
  while [ $# -gt 0 ] && [ $n -lt "$jobs" ]; do
    run_one "$1" &
    pids="$pids $!"
    n=$((n + 1))
    shift
  done
  for p in $pids; do
    wait "$p" || failed=1
  done
done
exit $failed
