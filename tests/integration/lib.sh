# SPDX-License-Identifier: MIT
# lib.sh: shell helpers for the integration tests (bash, sourced; cwd is the build directory).
# start_node runs a real ./conclaved --dev on a free loopback port in a temporary data directory
# and waits for its "listening on" line with read -t (event-driven, never a sleep); stop_node
# stops it; an EXIT trap kills only that PID and removes the temporary directories. Also: a
# TAP-like pass/fail count, and exact subtraction of decimal strings (balances exceed 64 bits).

PID=""
DATADIR=""
SCRATCH=""
URL=""
PASSED=0
FAILED=0

_it_cleanup() {
    if [ -n "$PID" ]; then
        kill -KILL "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
    fi
    [ -z "$DATADIR" ] || rm -rf -- "$DATADIR"
    [ -z "$SCRATCH" ] || rm -rf -- "$SCRATCH"
}
trap _it_cleanup EXIT
trap 'exit 130' INT TERM

# make_scratch: sets SCRATCH to a new temporary directory, removed at exit.
make_scratch() {
    SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/conclave-scratch.XXXXXX") || return 1
}

# start_node: starts ./conclaved --dev; exports URL, PID, DATADIR. Returns 1 if it does not come up
# within 20 s (its stderr is then shown).
start_node() {
    DATADIR=$(mktemp -d "${TMPDIR:-/tmp}/conclave-node.XXXXXX") || return 1
    export DATADIR
    mkfifo "$DATADIR/.stdout" || return 1
    ./conclaved --dev --datadir "$DATADIR" --rpc-bind 127.0.0.1:0 >"$DATADIR/.stdout" 2>"$DATADIR/conclaved.log" &
    PID=$!
    export PID
    # Both ends are open once this returns, so the fifo's name can go.
    exec 3<"$DATADIR/.stdout"
    rm -f "$DATADIR/.stdout"
    local line=""
    while IFS= read -t 20 -r line <&3; do
        case $line in
        *"listening on "*)
            URL=${line##*listening on }
            export URL
            return 0
            ;;
        esac
    done
    echo "# conclaved did not start; its stderr:" >&2
    sed 's/^/#   /' "$DATADIR/conclaved.log" >&2
    return 1
}

# stop_node: SIGTERM, then wait for its stdout to close (at most 20 s; SIGKILL after that) and reap
# it. Returns conclaved's exit status.
stop_node() {
    [ -n "$PID" ] || return 0
    kill -TERM "$PID" 2>/dev/null
    local line
    while IFS= read -t 20 -r line <&3; do :; done
    kill -0 "$PID" 2>/dev/null && kill -KILL "$PID" 2>/dev/null
    wait "$PID"
    local status=$?
    exec 3<&-
    PID=""
    return $status
}

# pass DESC / fail DESC [DETAIL]: one result line each.
pass() {
    PASSED=$((PASSED + 1))
    echo "ok $((PASSED + FAILED)) - $1"
}

fail() {
    FAILED=$((FAILED + 1))
    echo "not ok $((PASSED + FAILED)) - $1"
    [ -z "$2" ] || printf '%s\n' "$2" | sed 's/^/#   /'
}

# check DESC COMMAND...: pass if COMMAND succeeds.
check() {
    local desc=$1
    shift
    if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# summary: the closing line; returns 0 only if nothing failed.
summary() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

# dec_sub A B: prints A - B for canonical decimal strings with A >= B; returns 1 if A < B.
dec_sub() {
    local a=$1 b=$2 r="" borrow=0 i d
    while [ ${#b} -lt ${#a} ]; do b="0$b"; done
    [ ${#b} -eq ${#a} ] || return 1
    for ((i = ${#a} - 1; i >= 0; i--)); do
        d=$((${a:i:1} - ${b:i:1} - borrow))
        if [ $d -lt 0 ]; then
            d=$((d + 10))
            borrow=1
        else
            borrow=0
        fi
        r="$d$r"
    done
    [ $borrow -eq 0 ] || return 1
    while [ ${#r} -gt 1 ] && [ "${r:0:1}" = 0 ]; do r=${r:1}; done
    echo "$r"
}
