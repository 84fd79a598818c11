#!/bin/bash
# SPDX-License-Identifier: MIT
# test_cli.sh: the `conclave` CLI end to end against a real `conclaved --dev`: a transfer of 1.5
# tokens changes balances by exactly 1500000000000000000 base units and shows up in tx, block and
# audit; a failed transfer consumes its nonce only; malformed words exit 2 without contacting the
# node; an unreachable node exits 3; keygen/address, mint and advance-time via the data directory's
# cookie; and after the node stops, replay of its data directory reproduces it. Run from the build
# directory (make check does); every CLI call is bounded by `timeout 20`.

. "${srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

TRANSFERRED=1500000000000000000
UNREACHABLE=http://127.0.0.1:1

# cli ARGS...: runs ./conclave; sets OUT, ERR and RC.
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

# raw_free ADDRESS / nonce_of ADDRESS: read from the node.
raw_free() {
    cli account "$1" --raw && field free
}

nonce_of() {
    cli account "$1" && field nonce
}

make_scratch || exit 99
if ! start_node; then
    echo "Bail out! conclaved did not start"
    exit 99
fi
export CONCLAVE_RPC=$URL
unset CONCLAVE_KEY
cd "$SCRATCH" && ln -s "$OLDPWD/conclave" conclave && ln -s "$OLDPWD/conclaved" conclaved || exit 99
echo "# node at $URL, data in $DATADIR"

# --- the node and the dev accounts ---
cli info
expect "info shows the dev chain" 0 "chain id +31337"
cli address --dev-key 0
A0=$OUT
expect "address of dev key 0 is the well-known one" 0 '^0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266$'
cli address --dev-key 1
A1=$OUT
expect "address of dev key 1 is the well-known one" 0 '^0x70997970C51812dc3A010C7d01b50e0d17dc79C8$'

# --- a transfer of 1.5 tokens ---
FREE0=$(raw_free "$A0")
FREE1=$(raw_free "$A1")
cli account "$A0"
expect "account shows human amounts and nonce 0" 0 "free +1000000$"
check "account shows nonce 0 before any transfer" test "$(field nonce)" = 0

cli transfer "$A1" 1.5 --dev-key 0
expect "transfer 1.5 tokens from dev 0 to dev 1 succeeds" 0 "status +success"
HASH=$(field hash)
check "the receipt names a 32-byte hash" grep -Eq '^0x[0-9a-f]{64}$' <<<"$HASH"
expect "the receipt shows the Transfer event in tokens" 0 "Transfer .*amount=1\.5"

check "dev 0 paid exactly $TRANSFERRED base units" test "$(dec_sub "$FREE0" "$(raw_free "$A0")")" = $TRANSFERRED
check "dev 1 received exactly $TRANSFERRED base units" test "$(dec_sub "$(raw_free "$A1")" "$FREE1")" = $TRANSFERRED
check "dev 0's nonce is now 1" test "$(nonce_of "$A0")" = 1
cli account "$A0"
expect "dev 0 shows 999998.5 tokens" 0 "free +999998\.5$"

cli tx "$HASH"
expect "tx shows the transfer as successful" 0 "status +success"
expect "tx shows the sender and the message" 0 "sender +$A0"
expect "tx shows the message in tokens" 0 "to=$A1 amount=1\.5 nonce=0"
cli block latest
expect "block latest lists the transaction" 0 "$HASH"
cli block
expect "block defaults to latest" 0 "$HASH"
cli audit
expect "audit passes after the transfer" 0 "audit at height [0-9]+: OK"
cli --json account "$A0"
expect "--json prints the node's result" 0 '"nonce":[[:space:]]*1,'

# --- --sign-only prints the tx_send params and sends nothing ---
cli transfer "$A1" 2 --dev-key 0 --sign-only
expect "--sign-only prints the signed transaction with its sender" 0 \
    "^\\{\"type\":\"Transfer\",\"message\":\\{.*\"nonce\":\"1\"\\},\"signature\":\"0x[0-9a-f]{130}\",\"from\":\"$A0\"\\}$"
check "--sign-only sent nothing" test "$(nonce_of "$A0")" = 1

# --- a transfer beyond the balance fails, consuming only the nonce ---
FREE0=$(raw_free "$A0")
FREE1=$(raw_free "$A1")
cli transfer "$A0" 2000000 --dev-key 1
expect "a transfer beyond the balance gives a failed receipt and exit 1" 1 "status +failed"
expect "the failure is explained on stderr" 1 "^conclave: the transaction failed: .*insufficient"
check "the failed transfer consumed dev 1's nonce" test "$(nonce_of "$A1")" = 1
check "the failed transfer left dev 0's balance alone" test "$(raw_free "$A0")" = "$FREE0"
check "the failed transfer left dev 1's balance alone" test "$(raw_free "$A1")" = "$FREE1"

# --- malformed command lines exit 2 before contacting anything (the node given is unreachable) ---
for bad in 1.2.3 -1 1.0000000000000000001 "" abc 1e3; do
    cli --rpc $UNREACHABLE transfer "$A1" "$bad" --dev-key 0
    expect "amount '$bad' is refused with exit 2" 2 "^conclave: bad amount"
done
cli --rpc $UNREACHABLE transfer "$A1" 1.5 --raw --dev-key 0
expect "--raw refuses a fraction" 2 "bad amount '1\.5'"
cli --rpc $UNREACHABLE transfer 0x1234 1 --dev-key 0
expect "a short address is refused with exit 2" 2 "^conclave: bad address"
cli --rpc $UNREACHABLE transfer 0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266 1 --dev-key 0
expect "a mistyped checksummed address is refused with exit 2" 2 "EIP-55"
cli --rpc $UNREACHABLE transfer "$A1" 1 --dev-key 10
expect "dev key 10 is refused with exit 2" 2 "bad --dev-key"
cli --rpc $UNREACHABLE transfer "$A1" 1 --key "$SCRATCH/none.key"
expect "a missing key file is refused with exit 2" 2 "cannot read key file"
cli --rpc $UNREACHABLE tx 0x12
expect "a short hash is refused with exit 2" 2 "bad hash"
cli --rpc $UNREACHABLE block yesterday
expect "a bad block word is refused with exit 2" 2 "bad block"
cli frobnicate
expect "an unknown command exits 2" 2 "unknown command 'frobnicate'"
cli info --frob
expect "an unknown option exits 2" 2 "unknown option '--frob'"
cli info --raw
expect "an option the command does not take exits 2" 2 "info does not take --raw"
cli transfer "$A1"
expect "a missing argument exits 2" 2 "missing arguments"
cli
expect "no command exits 2 with the usage" 2 "usage: conclave"
cli mint "$A1" 1
expect "mint without --datadir exits 2" 2 "need --datadir"

# --- an unreachable node exits 3 ---
cli --rpc $UNREACHABLE info
expect "an unreachable node exits 3" 3 "cannot reach the node at $UNREACHABLE"
CONCLAVE_RPC=$UNREACHABLE cli account "$A0"
expect "CONCLAVE_RPC chooses the node" 3 "cannot reach the node"

# --- keys ---
cli keygen --out "$SCRATCH/k.key"
KADDR=$OUT
expect "keygen writes a key and prints its address" 0 '^0x[0-9a-fA-F]{40}$'
check "the key file is mode 600" test "$(stat -c %a "$SCRATCH/k.key")" = 600
cli address --key "$SCRATCH/k.key"
check "address --key gives the address keygen printed" test "$OUT" = "$KADDR"
CONCLAVE_KEY="$SCRATCH/k.key" cli address
check "CONCLAVE_KEY names the key file" test "$OUT" = "$KADDR"
KEYTEXT=$(cat "$SCRATCH/k.key")
cli keygen --out "$SCRATCH/k.key"
expect "keygen refuses to overwrite a key file" 1 "refusing to overwrite"
check "the refused keygen left the key file alone" test "$(cat "$SCRATCH/k.key")" = "$KEYTEXT"
cli keygen
expect "keygen writes ./conclave.key by default" 0 '^0x[0-9a-fA-F]{40}$'
DEFAULT_ADDR=$OUT
cli address
check "address reads ./conclave.key by default" test "$OUT" = "$DEFAULT_ADDR"

# --- dev admin calls through the data directory's cookie ---
cli mint "$KADDR" 2.5 --datadir "$DATADIR"
expect "mint through the cookie succeeds" 0 "Mint .*amount=2\.5"
cli account "$KADDR"
expect "the minted tokens arrived" 0 "free +2\.5$"
cli transfer "$A0" 1 --key "$SCRATCH/k.key"
expect "the new key signs a transfer" 0 "status +success"
cli account "$KADDR" --raw
expect "the new key keeps exactly 1.5 tokens" 0 "free +1500000000000000000$"
cli advance-time 60 --datadir "$DATADIR"
expect "advance-time through the cookie succeeds" 0 "time +[0-9]+"
cli audit
expect "audit passes after mint and time" 0 "audit at height [0-9]+: OK"

# --- help and version ---
cli --help
expect "--help documents the exit codes" 0 "3  cannot reach the node"
cli help transfer
expect "help transfer shows its usage" 0 "usage: conclave transfer TO AMOUNT"
cli transfer --help
expect "transfer --help shows its usage" 0 "usage: conclave transfer TO AMOUNT"
cli --version
expect "--version prints the version" 0 "^conclave [0-9]"

# --- replay of the stopped node's data directory ---
check "the node stops cleanly" stop_node
cli replay --datadir "$DATADIR"
expect "replay reproduces the ledger" 0 "replay OK"
expect "replay counts what it compared" 0 "transactions +[1-9]"
cli replay --datadir "$SCRATCH/nowhere"
expect "replay of a missing directory exits 1" 1 "cannot replay"

summary
