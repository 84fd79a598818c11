#!/bin/bash
# SPDX-License-Identifier: MIT
# test_cli.sh: the `conclave` CLI end to end against a real `conclaved --dev`: a transfer of 1.5
# tokens changes balances by exactly 1500000000000000000 base units and shows up in tx, block and
# audit; a failed transfer consumes its nonce only; malformed words exit 2 without contacting the
# node; an unreachable node exits 3; keygen/address, and audit, mint and advance-time via the data
# directory's cookie; a stake pool walk-through (create, a real conclave-worker that registers
# itself for the pool's owner and is stopped once registered, contributions, a reward split exactly
# by shares after commission, claims, withdrawals paid at once or queued, a bond of at least the
# worker's minimum stake, a commission raise, a slash deferred 7 days and then applied) with its
# refusals, every amount scaled by one integer factor to cover that minimum; a governance
# walk-through (propose a spend, vote with conviction, list, show power, execute once); parameter
# changes shown in their units (seconds, ppm, tokens, a plain number); --timeout against a node
# that does not answer (SIGSTOP): a short one gives up with exit 3, 0 and the default wait for the
# answer; and after the node stops, replay of its data directory reproduces it. Run from the build
# directory (make check does); every CLI call is bounded by `timeout 20`.

. "${srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

TRANSFERRED=1500000000000000000
UNREACHABLE=http://127.0.0.1:1

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
cd "$SCRATCH" && ln -s "$OLDPWD/conclave" conclave && ln -s "$OLDPWD/conclaved" conclaved \
    && ln -s "$OLDPWD/conclave-worker" conclave-worker || exit 99
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
expect "audit without --datadir exits 2" 2 "need --datadir"
cli audit --datadir "$DATADIR"
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
cli audit --datadir "$DATADIR"
expect "audit passes after mint and time" 0 "audit at height [0-9]+: OK"

# --- stake pools: a walk-through with exact numbers ---
# A pool's worker must be a registered worker runtime that named the pool's owner as its operator:
# a real conclave-worker registers itself for dev 0 (its key sealed in the scratch directory) and
# is stopped once registered; stopped, it answers no slot, so no epoch pays it.
# min_stake_raw ADDRESS: the worker's minimum stake in base units (its "min stake" line).
min_stake_raw() {
    cli worker status "$1" --raw && printf '%s\n' "$OUT" | sed -n 's/^min stake  *//p'
}
if start_worker "$A0"; then
    pass "a conclave-worker registers itself for dev 0"
else
    fail "a conclave-worker registers itself for dev 0"
fi
check "the worker stops cleanly once registered" stop_worker
W=$WORKER
cli worker status "$W"
expect "worker status shows it registered for dev 0" 0 "^operator +$A0$"
MIN_STAKE=$(min_stake_raw "$W")
check "worker status shows its minimum stake" grep -Eq '^[1-9][0-9]*$' <<<"$MIN_STAKE"
# Its benchmark score P (it varies with the machine's load) sets its minimum stake, 100 tokens x
# sqrt(P); every amount of the story below is scaled by S, the smallest integer for which the bond
# of 300 x S tokens covers that minimum.
MIN_TOKENS=$(dec_ceil_tokens "${MIN_STAKE:-0}")
S=$(((MIN_TOKENS + 299) / 300))
[ "$S" -ge 1 ] || S=1
echo "# worker $W: minimum stake $MIN_TOKENS tokens (rounded up), amounts scaled by $S"
# Contributions of 100 and 300 tokens and a reward of 40 (times S): the owner's 10% commission is
# 4, and the 36 left go to the stakers by shares, 9 and 27 (amounts chosen so every division is
# exact).
COMMISSION_PPM=100000
C1=$((100 * S))
C2=$((300 * S))
REWARD=$((40 * S))
COMMISSION=$((REWARD * COMMISSION_PPM / 1000000))
P1=$(((REWARD - COMMISSION) * C1 / (C1 + C2)))
P2=$(((REWARD - COMMISSION) * C2 / (C1 + C2)))
WITHDRAWN=$((50 * S))
BOND=$((300 * S))
QUEUED=$((BOND - WITHDRAWN))
SLASHED=$((BOND / 10))
E18=000000000000000000
check "the pool's capacity holds the scaled stake" test $((C1 + C2)) -le 1000000
cli address --dev-key 2
A2=$OUT

cli pool create --commission $COMMISSION_PPM --capacity 1000000 --dev-key 0
expect "dev 0 creates a pool" 0 "PoolCreated pool=[0-9]+ owner=$A0 commissionPpm=$COMMISSION_PPM capacity=1000000$"
POOL=$(printf '%s\n' "$OUT" | sed -n 's/.*PoolCreated pool=\([0-9]*\).*/\1/p')
cli pool add-worker "$POOL" "$W" --dev-key 0
expect "the owner adds the registered worker" 0 "WorkerAdded pool=$POOL worker=$W"
cli stake contribute "$POOL" $C1 --dev-key 1
expect "dev 1 contributes $C1 tokens for as many shares" 0 "Contributed pool=$POOL staker=$A1 amount=$C1 shares=$C1$E18$"
cli stake contribute "$POOL" $C2 --dev-key 2
expect "dev 2 contributes $C2 tokens" 0 "Contributed pool=$POOL staker=$A2 amount=$C2 shares=$C2$E18$"
cli pool info "$POOL"
expect "pool info shows the whole stake" 0 "^stake +$((C1 + C2))$"
expect "pool info shows the shares in base units" 0 "^shares +$((C1 + C2))$E18$"
expect "pool info shows a share price of one token per 10^18 shares" 0 "^share price +1$"
expect "pool info counts the worker" 0 "^workers +1$"
expect "pool info shows the commission with no raise" 0 "^commission +$COMMISSION_PPM ppm$"

cli admin reward-pool "$POOL" $REWARD --datadir "$DATADIR"
expect "admin reward-pool pays the reward with its commission" 0 "PoolRewarded pool=$POOL amount=$REWARD commission=$COMMISSION$"
cli stake position "$A1"
expect "dev 1's position: $C1 tokens of value and $P1 pending" 0 \
    "^positions +pool=$POOL shares=$C1$E18 value=$C1 pendingRewards=$P1 queuedShares=0 queuedValue=0$"
cli stake position "$A2" --raw
expect "dev 2's pending rewards are exactly $P2 tokens (--raw)" 0 "pendingRewards=$P2$E18 "
cli stake position --dev-key 0
expect "the owner's $COMMISSION tokens of commission are claimable" 0 "^claimable +$COMMISSION$"
expect "the owner stakes nothing" 0 "^positions +\(none\)$"

# claim_exactly KEY ADDRESS TOKENS WHO: dev KEY (at ADDRESS) claims from $POOL; the receipt says TOKENS
# and its free balance grows by exactly TOKENS.
claim_exactly() {
    free_before=$(raw_free "$2")
    cli stake claim "$POOL" --dev-key "$1"
    expect "$4 claims $3 tokens" 0 "Claimed pool=$POOL staker=$2 amount=$3$"
    check "the claim moved exactly $3 tokens to $4's free balance" \
        test "$(dec_sub "$(raw_free "$2")" "$free_before")" = "$3$E18"
}
claim_exactly 1 "$A1" "$P1" "dev 1"
cli stake position "$A1"
expect "nothing is pending after the claim" 0 "pendingRewards=0 "
expect "nothing is claimable after the claim" 0 "^claimable +0$"
claim_exactly 0 "$A0" "$COMMISSION" "the owner (its commission)"

FREE1=$(raw_free "$A1")
cli stake withdraw "$POOL" $WITHDRAWN$E18 --dev-key 1
expect "a withdrawal within the free stake is paid at once" 0 \
    "WithdrawalPaid pool=$POOL staker=$A1 shares=$WITHDRAWN$E18 amount=$WITHDRAWN sharesStillQueued=0$"
check "dev 1 got exactly $WITHDRAWN tokens back" test "$(dec_sub "$(raw_free "$A1")" "$FREE1")" = "$WITHDRAWN$E18"

cli pool bond "$POOL" "$W" $BOND --dev-key 0
expect "the owner bonds $BOND tokens to the worker" 0 "WorkerBonded pool=$POOL worker=$W amount=$BOND$"
cli pool info "$POOL"
expect "$WITHDRAWN tokens of stake stay free" 0 "^free stake +$WITHDRAWN$"
expect "$BOND are bonded" 0 "^bonded +$BOND$"
cli stake withdraw "$POOL" --all --dev-key 2
expect "a withdrawal beyond the free stake is paid in part" 0 \
    "WithdrawalPaid pool=$POOL staker=$A2 shares=$WITHDRAWN$E18 amount=$WITHDRAWN sharesStillQueued=$QUEUED$E18$"
cli pool info "$POOL"
expect "the rest waits in the queue" 0 "^queued +$QUEUED$E18 shares, worth $QUEUED$"
expect "no stake is free any more" 0 "^free stake +0$"
cli stake position "$A2"
expect "dev 2's position shows its queued request" 0 "queuedShares=$QUEUED$E18 queuedValue=$QUEUED queuedSince=[0-9]+$"
cli stake withdraw "$POOL" --all --dev-key 2
expect "withdraw --all with everything queued already exits 1" 1 "nothing to withdraw"

cli pool commission "$POOL" 200000 --dev-key 0
expect "the owner raises the commission" 0 "CommissionChanged pool=$POOL commissionPpm=200000 effectiveAt=[0-9]+$"
cli pool info "$POOL"
expect "the raise waits for its notice" 0 "^commission +$COMMISSION_PPM ppm$"
expect "pool info shows the pending raise" 0 "^raise +200000 ppm at [0-9]+ \("

# The dev chain defers every slash by staking.slashDeferSecs (7 days, time for governance to cancel
# it): the admin slash is only scheduled, and burns 10% of the bond when its time comes.
cli admin slash-worker "$W" 100000 --datadir "$DATADIR"
expect "admin slash-worker defers the slash by 7 days" 0 \
    "SlashDeferred pool=$POOL slash=[0-9]+ worker=$W ppm=100000 reason=admin due=[0-9]+$"
SLASH=$(printf '%s\n' "$OUT" | sed -n 's/.*SlashDeferred .* slash=\([0-9]*\) .*/\1/p')
DUE=$(printf '%s\n' "$OUT" | sed -n 's/.*SlashDeferred .* due=\([0-9]*\)$/\1/p')
cli pool info "$POOL"
expect "until it is due the stake is whole" 0 "^stake +$BOND$"
expect "and so is the share price" 0 "^share price +1$"
expect "and what the queue is worth" 0 "^queued +$QUEUED$E18 shares, worth $QUEUED$"
cli advance-time 604800 --datadir "$DATADIR"
expect "advance-time moves 7 days on" 0 "^time +[0-9]+$"
check "which is exactly when the slash is due" test "$(field time)" = "$DUE"
# recent_events N: the events of every transaction in the last N blocks, into OUT.
recent_events() {
    local top h tx events=""
    cli block latest
    top=$(field height)
    for ((h = top; h > top - $1 && h > 0; h--)); do
        cli block "$h"
        for tx in $(printf '%s\n' "$OUT" | sed -n '/^transactions/,$p' | grep -Eo '0x[0-9a-f]{64}'); do
            cli tx "$tx"
            events+=$(printf '%s\n' "$OUT" | sed -n '/^events/,$p')$'\n'
        done
    done
    OUT=$events RC=0 ERR=""
}
# The slash is applied by the block-start tick of the block at its due time (a Tick transaction,
# followed by the epoch's Settlement).
recent_events 3
expect "the tick burns 10% of the bond" 0 \
    "WorkerSlashed pool=$POOL worker=$W amount=$SLASHED fromBonded=$SLASHED fromUnbonding=0$"
expect "and marks the deferred slash applied" 0 "SlashApplied pool=$POOL slash=$SLASH$"
cli pool info "$POOL"
expect "the slash lowers the stake" 0 "^stake +$((BOND - SLASHED))$"
expect "and the share price" 0 "^share price +0\.9$"
expect "and what the queue is worth" 0 "^queued +$QUEUED$E18 shares, worth $((QUEUED * 9 / 10))$"
# The same 7 days were the commission raise's notice: pool list now shows the raised commission.
cli pool list --sort stake
expect "pool list shows the pool with its raised commission" 0 "^$POOL +$A0 +200000 +1  $((BOND - SLASHED)) / 1000000$"

cli pool info 99
expect "an unknown pool exits 1 with a clear message" 1 "no pool 99"
cli stake contribute 99 1 --dev-key 1
expect "contributing to an unknown pool fails" 1 "the transaction failed: no pool 99"
cli pool commission "$POOL" 5 --dev-key 1
expect "someone else's pool: exit 1" 1 "only the owner of pool $POOL"
cli pool add-worker "$POOL" "$A1" --dev-key 1
expect "only the owner adds workers" 1 "only the owner"
N1=$(nonce_of "$A1")
cli stake contribute "$POOL" 1 --dev-key 1 --sign-only
expect "--sign-only prints a signed Contribute" 0 "^\\{\"type\":\"Contribute\",\"message\":\\{\"pool\":\"$POOL\",.*\"from\":\"$A1\"\\}$"
check "--sign-only sent no contribution" test "$(nonce_of "$A1")" = "$N1"
cli --rpc $UNREACHABLE pool
expect "a group without a command exits 2 with its commands" 2 "usage: conclave pool create"
cli --rpc $UNREACHABLE stake withdraw 1 --dev-key 1
expect "stake withdraw needs SHARES or --all" 2 "SHARES or --all"
cli --rpc $UNREACHABLE pool create --capacity 1 --dev-key 0
expect "pool create needs --commission" 2 "needs --commission PPM and --capacity AMOUNT"
cli --rpc $UNREACHABLE pool commission 1 1000001 --dev-key 0
expect "a commission above 100% is refused locally" 2 "bad commission '1000001'"
cli --rpc $UNREACHABLE pool list --sort size
expect "an unknown sort is refused" 2 "bad --sort 'size'"
cli admin reward-pool 1 1
expect "admin reward-pool without --datadir exits 2" 2 "need --datadir"
cli audit --datadir "$DATADIR"
expect "audit passes after the staking walk-through" 0 "audit at height [0-9]+: OK"

# --- governance: a treasury spend from proposal to execution ---
# Quorum is a share of all the stake, the pool walk-through's 270 x S tokens among it, so dev 3's
# voting stake scales by S too: 200 x S tokens (the story's 200), 470 x S staked in all.
VOTING=$((200 * S))
cli address --dev-key 3
A3=$OUT
cli address --dev-key 5
A5=$OUT
cli pool create --commission 0 --capacity 1000000 --dev-key 4
GPOOL=$(printf '%s\n' "$OUT" | sed -n 's/.*PoolCreated pool=\([0-9]*\).*/\1/p')
cli stake contribute "$GPOOL" $VOTING --dev-key 3
expect "dev 3 stakes $VOTING tokens for voting power" 0 "Contributed pool=$GPOOL staker=$A3 amount=$VOTING "
FREE5=$(raw_free "$A5")
cli gov propose treasury "Fund the docs" --body "Three tokens for the writers." \
    --payload "{\"kind\":\"spend\",\"to\":\"$A5\",\"amount\":\"3$E18\"}" --dev-key 3
expect "dev 3 proposes a spend" 0 "ProposalCreated proposal=[0-9]+ proposer=$A3 track=treasury deposit=100 "
PROP=$(printf '%s\n' "$OUT" | sed -n 's/.*ProposalCreated proposal=\([0-9]*\).*/\1/p')
cli gov proposal "$PROP"
expect "the new proposal is Pending" 0 "^state +Pending$"
cli gov vote "$PROP" for --dev-key 3
expect "a vote before the voting delay fails" 1 "votes are taken only while it is Active"
cli advance-time 3600 --datadir "$DATADIR"
cli gov vote "$PROP" for --conviction 2 --dev-key 3
expect "dev 3 votes for with conviction 2" 0 "VoteCast proposal=$PROP voter=$A3 support=for conviction=2 power=$VOTING weight=$((2 * VOTING)) "
cli gov proposals --state Active
expect "gov proposals lists it with its tally" 0 "^$PROP +Active +treasury +$((2 * VOTING)) +0 +0 +Fund the docs$"
cli gov power "$A3" --proposal "$PROP"
expect "gov power shows the power at the snapshot" 0 "^own +$VOTING$"
cli --rpc $UNREACHABLE gov vote "$PROP" maybe --dev-key 3
expect "an unknown side is refused locally" 2 "expected for, against or abstain"
cli --rpc $UNREACHABLE gov vote "$PROP" for --conviction 7 --dev-key 3
expect "conviction 7 is refused locally" 2 "bad conviction '7'"
cli --rpc $UNREACHABLE gov propose treasury "x" --payload "[1]" --dev-key 3
expect "a payload that is not an object is refused locally" 2 "bad --payload"
cli advance-time 345600 --datadir "$DATADIR"
cli gov proposal "$PROP"
expect "after the vote and the enactment delay it is Queued" 0 "^state +Queued$"
cli gov execute "$PROP" --dev-key 6
expect "anyone executes it" 0 "TreasurySpend proposal=$PROP to=$A5 amount=3$"
FREE5_AFTER=$(raw_free "$A5")
check "the spend moved exactly 3 tokens" test "$(dec_sub "$FREE5_AFTER" "$FREE5")" = "3$E18"
cli gov execute "$PROP" --dev-key 6
expect "a second execution fails" 1 "is Executed"
cli gov proposal "$PROP"
expect "it is Executed" 0 "^state +Executed$"
# --- a poll on the signal track: ranked-choice, one ballot, results while open and after the close ---
cli gov propose signal "Next feature" --payload '{"kind":"poll","system":"ranked-choice","choices":["Docs","Speed","UI"]}' --dev-key 3
expect "dev 3 proposes a poll" 0 "ProposalCreated proposal=[0-9]+ proposer=$A3 track=signal deposit=10 "
POLL=$(printf '%s\n' "$OUT" | sed -n 's/.*ProposalCreated proposal=\([0-9]*\).*/\1/p')
cli advance-time 3600 --datadir "$DATADIR"
cli gov ballot "$POLL" '[2,1,3]' --conviction 1 --dev-key 3
expect "dev 3 casts a ranked ballot" 0 "BallotCast proposal=$POLL voter=$A3 choice=\[2,1,3\] conviction=1 power=$VOTING "
cli gov ballot "$POLL" '[2,2,3]' --dev-key 3
expect "a ranking that names a choice twice fails" 1 "choice 2 appears twice"
cli --rpc $UNREACHABLE gov ballot "$POLL" '' --dev-key 3
expect "an empty choice is refused locally" 2 "bad choice"
cli gov results "$POLL"
expect "gov results shows the running result" 0 "^ +2 +Speed +$VOTING$"
cli advance-time 259200 --datadir "$DATADIR"
cli gov results "$POLL"
expect "after the close the poll is Succeeded" 0 "^state +Succeeded$"
expect "with its winner" 0 "^winner +2$"
cli gov results "$PROP"
expect "gov results of a proposal that is not a poll exits 1" 1 "is not a poll"
cli gov vote "$POLL" for --dev-key 3
expect "a Vote on a poll fails" 1 "is a poll: cast a Ballot|votes are taken only while it is Active"
printf 'Two tokens for the testers.\nSigned, dev 3.\n' >"$SCRATCH/body.txt"
cli gov propose --track treasury --title "Thank the testers" --body-file "$SCRATCH/body.txt" --spend "$A5" 2 --dev-key 3
expect "--track, --title, --body-file and --spend make a spend proposal" 0 "ProposalCreated proposal=[0-9]+ proposer=$A3 track=treasury "
PROP2=$(printf '%s\n' "$OUT" | sed -n 's/.*ProposalCreated proposal=\([0-9]*\).*/\1/p')
cli gov proposal "$PROP2"
expect "its payload is the spend of 2 tokens in base units" 0 "^payload +\\{\"kind\":\"spend\",\"to\":\"$A5\",\"amount\":\"2$E18\"\\}$"
expect "its body is the file's" 0 "^Signed, dev 3\.$"
cli gov propose params "Cheaper stakes" --param staking.minContribution 500000000000000000 --dev-key 3
expect "--param makes a parameter proposal" 0 "ProposalCreated proposal=[0-9]+ proposer=$A3 track=params "
cli gov proposals --track params
expect "gov proposals --track lists it" 0 "^[0-9]+ +Pending +params +0 +0 +0 +Cheaper stakes$"
cli gov propose enclave "Allow a build" --allow-enclave 0x$(printf 'ab%.0s' $(seq 32)) --sign-only --dev-key 3
expect "--allow-enclave signs an enclaveAllow payload" 0 "\"type\":\"Propose\",.*\"payload\":\"0x7b226b696e64223a22656e636c617665416c6c6f7722"
cli --rpc $UNREACHABLE gov propose treasury "x" --spend "$A5" 0 --dev-key 3
expect "a spend of nothing is refused locally" 2 "a spend moves more than nothing"
cli --rpc $UNREACHABLE gov propose treasury "x" --spend "$A5" 1 --param staking.minContribution 1 --dev-key 3
expect "two payloads are refused locally" 2 "give one payload"
cli --rpc $UNREACHABLE gov propose treasury --dev-key 3
expect "a proposal without a title is refused locally" 2 "needs a track and a title"
cli --rpc $UNREACHABLE gov propose treasury "x" --body-file "$SCRATCH/nowhere" --dev-key 3
expect "a missing body file is refused locally" 2 "cannot read the body file"

# --- parameter changes, shown in each parameter's unit ---
proposal_id() {
    printf '%s\n' "$OUT" | sed -n 's/.*ProposalCreated proposal=\([0-9]*\).*/\1/p'
}
cli gov propose params "A day to unbond" --param staking.unbondingSecs 86400 --dev-key 3
PSECS=$(proposal_id)
cli gov propose params "A 4% fee" --param rewards.feePpm 40000 --dev-key 3
PPPM=$(proposal_id)
cli gov propose params "Smaller withdrawals" --param staking.minWithdrawal 20000000000000000 --dev-key 3
PAMOUNT=$(proposal_id)
cli gov propose params "A higher score floor" --param staking.minWorkerScore 60 --dev-key 3
PCOUNT=$(proposal_id)
cli advance-time 3600 --datadir "$DATADIR"
for P in "$PSECS" "$PPPM" "$PAMOUNT" "$PCOUNT"; do
    cli gov vote "$P" for --conviction 1 --dev-key 3
    expect "dev 3 votes for parameter proposal $P" 0 "VoteCast proposal=$P "
done
cli advance-time 345600 --datadir "$DATADIR"
cli gov execute "$PSECS" --dev-key 6
expect "a duration changed is shown in seconds" 0 "ParameterChanged proposal=$PSECS name=staking.unbondingSecs value=86400s$"
cli tx "$(field hash)"
expect "tx shows it in seconds too" 0 "ParameterChanged proposal=$PSECS name=staking.unbondingSecs value=86400s$"
cli gov execute "$PPPM" --dev-key 6
expect "a rate changed is shown in parts per million" 0 "ParameterChanged proposal=$PPPM name=rewards.feePpm value=40000ppm$"
cli gov execute "$PAMOUNT" --dev-key 6
expect "an amount changed is shown in tokens" 0 "ParameterChanged proposal=$PAMOUNT name=staking.minWithdrawal value=0\.02$"
cli tx "$(field hash)" --raw
expect "and with --raw in base units" 0 "ParameterChanged proposal=$PAMOUNT name=staking.minWithdrawal value=20000000000000000$"
cli gov execute "$PCOUNT" --dev-key 6
expect "a plain number changed is shown bare" 0 "ParameterChanged proposal=$PCOUNT name=staking.minWorkerScore value=60$"

# --- a node that does not answer (stopped by SIGSTOP; the kernel still takes the connections) ---
cli --rpc $UNREACHABLE --timeout soon info
expect "a bad --timeout is refused locally" 2 "bad --timeout 'soon'"
kill -STOP "$PID"
timeout 20 ./conclave --timeout 0 info >"$SCRATCH/nolimit.out" 2>&1 &
NOLIMIT=$!
timeout 20 ./conclave info >"$SCRATCH/default.out" 2>&1 &
DEFAULT=$!
cli --timeout 1 info
expect "--timeout 1 gives up on a node that does not answer, exit 3" 3 \
    "no answer from the node at $URL to node_info within 1 s; it may still carry the call out"
check "meanwhile --timeout 0, called before it, still waits" kill -0 "$NOLIMIT"
check "and so does the default timeout" kill -0 "$DEFAULT"
kill -CONT "$PID"
wait "$NOLIMIT"
RC=$? OUT=$(cat "$SCRATCH/nolimit.out") ERR=""
expect "--timeout 0 gets its answer once the node goes on" 0 "chain id +31337"
wait "$DEFAULT"
RC=$? OUT=$(cat "$SCRATCH/default.out") ERR=""
expect "the default timeout gets its answer too" 0 "chain id +31337"

# --- help and version ---
cli --help
expect "--help documents the exit codes" 0 "3  cannot reach the node, or it did not answer within --timeout"
expect "--help documents --timeout" 0 "--timeout SECONDS  how long to wait for each answer of the node \(default 900; 0: no"
cli help transfer
expect "help transfer shows its usage" 0 "usage: conclave transfer TO AMOUNT"
cli transfer --help
expect "transfer --help shows its usage" 0 "usage: conclave transfer TO AMOUNT"
cli help pool create
expect "help pool create shows its usage" 0 "usage: conclave pool create --commission PPM --capacity AMOUNT"
cli stake withdraw --help
expect "stake withdraw --help shows its usage" 0 "usage: conclave stake withdraw POOL \(SHARES \| --all\)"
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
