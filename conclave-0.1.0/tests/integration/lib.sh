# SPDX-License-Identifier: MIT
# lib.sh: shell helpers for the integration tests (bash, sourced; cwd is the build directory).
# start_node runs a real ./conclaved --dev on a free loopback port in a temporary data directory
# and waits for its "listening on" line with read -t (event-driven, never a sleep); stop_node
# stops it; start_worker runs a real ./conclave-worker against it until the worker has registered
# itself (read the same way), stop_worker stops it; an EXIT trap kills only those PIDs and removes
# the temporary directories. Also: a TAP-like pass/fail count, the `conclave` CLI run with its
# output kept (cli, expect, field), and exact subtraction of decimal strings (balances exceed 64
# bits).

PID=""
WPID=""
WORKER=""
DATADIR=""
SCRATCH=""
URL=""
PASSED=0
FAILED=0

_it_cleanup() {
    if [ -n "$WPID" ]; then
        kill -KILL "$WPID" 2>/dev/null
        wait "$WPID" 2>/dev/null
    fi
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

# stop_child VAR FD [LOG]: stops the child whose PID is in the variable named VAR (nothing to do if
# it is empty): SIGTERM, then wait for its output on file descriptor FD to close (at most 20 s;
# SIGKILL after that), the lines appended to LOG if given; reaps it, closes FD and empties VAR.
# Returns the child's exit status.
stop_child() {
    local pid=${!1} fd=$2 line status
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    while IFS= read -t 20 -r line <&"$fd"; do [ -z "$3" ] || printf '%s\n' "$line" >>"$3"; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    status=$?
    exec {fd}<&-
    printf -v "$1" '%s' ""
    return $status
}

# stop_node: stop_child for conclaved (its stdout on fd 3). Returns conclaved's exit status.
stop_node() {
    stop_child PID 3
}

# start_worker OPERATOR: starts ./conclave-worker for the node at $URL with OPERATOR as its
# operator, its key sealed in $SCRATCH/worker (which the worker makes) and a short benchmark; exports WPID and WORKER (the
# address from its "worker 0x... measurement" line) and returns 0 once it logs "registered for
# operator" (its stderr comes through a fifo, read with read -t, at most 60 s in all). Returns 1
# otherwise, with what it logged shown; stop_worker is still to be called.
start_worker() {
    local line="" log="$SCRATCH/conclave-worker.log" deadline=$((SECONDS + 60))
    WORKER=""
    mkfifo "$SCRATCH/.worker" || return 1
    ./conclave-worker --node "$URL" --operator "$1" --platform-secret "$DATADIR/platform.secret" \
        --sealed-dir "$SCRATCH/worker" --bench-ms 200 >/dev/null 2>"$SCRATCH/.worker" &
    WPID=$!
    export WPID
    exec 4<"$SCRATCH/.worker"
    rm -f "$SCRATCH/.worker"
    while [ $SECONDS -lt $deadline ] && IFS= read -t 20 -r line <&4; do
        printf '%s\n' "$line" >>"$log"
        case $line in
        "conclave-worker: worker 0x"*" measurement "*)
            WORKER=${line#conclave-worker: worker }
            WORKER=${WORKER%% *}
            export WORKER
            ;;
        "conclave-worker: registered for operator "*)
            [ -n "$WORKER" ] && return 0
            ;;
        esac
    done
    echo "# conclave-worker did not register; its stderr:" >&2
    sed 's/^/#   /' "$log" >&2
    return 1
}

# stop_worker: stop_child for conclave-worker (its stderr on fd 4, kept in its log). Returns
# conclave-worker's exit status.
stop_worker() {
    stop_child WPID 4 "$SCRATCH/conclave-worker.log"
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

# cli ARGS...: runs ./conclave (bounded by timeout 20; $SCRATCH must exist); sets OUT, ERR and RC.
cli() {
    OUT=$(timeout 20 ./conclave "$@" 2>"$SCRATCH/stderr")
    RC=$?
    ERR=$(cat "$SCRATCH/stderr")
}

# expect DESC RC [PATTERN]: pass if the last cli call exited RC and its output or error matches the
# extended regular expression PATTERN.
expect() {
    if [ "$RC" -eq "$2" ] && { [ -z "$3" ] || printf '%s\n%s\n' "$OUT" "$ERR" | grep -Eq -- "$3"; }; then
        pass "$1"
    else
        fail "$1" "exit $RC (want $2${3:+, output matching /$3/}); stdout: $OUT; stderr: $ERR"
    fi
}

# field NAME: the value on the "NAME value" line of the last output.
field() {
    printf '%s\n' "$OUT" | awk -v k="$1" '$1 == k { print $2; exit }'
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

# dec_ceil_tokens BASE_UNITS: prints BASE_UNITS / 10^18 rounded up, for a canonical decimal string
# of any length (the quotient must fit in 64 bits).
dec_ceil_tokens() {
    local a=$1 whole=0 frac=$1
    if [ ${#a} -gt 18 ]; then
        whole=${a:0:${#a}-18}
        frac=${a: -18}
    fi
    case $frac in
    *[1-9]*) echo $((10#$whole + 1)) ;;
    *) echo $((10#$whole)) ;;
    esac
}
