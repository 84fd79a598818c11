#!/bin/bash
# SPDX-License-Identifier: MIT
# test_cli_secret.sh: a secret poll through the `conclave` CLI against a real `conclaved --dev` and
# its enclave. Dev 1, 2 and 3 stake 100, 200 and 300 tokens (weights 10, 20 and 30 at conviction 0);
# dev 1 proposes a secret single-choice poll. gov ballot seals each choice after checking the
# enclave (quote, ballot key, allowlist) against the platform pinned by --datadir or --platform:
# without a pin, or with another platform's, nothing is sent (the nonce stays); nor for a choice the
# poll's system cannot count (the node could not refuse it sealed). Dev 1 votes B, dev 2 votes C
# then re-votes A, dev 3 votes C. Before the close verify-poll says the poll is not counted; after
# it, gov results shows A 20, B 10, C 30, 3 valid; verify-poll prints every check ok and exits 0,
# and exits 1 with the quote's check failed for another pinned platform, and for an open poll;
# pinned by --platform (the address its quote check printed) it verifies too. Run from the build
# directory (make check does); every CLI call is bounded by `timeout 20`.

. "${srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

# nonce_of ADDRESS: read from the node.
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
echo "# node at $URL, data in $DATADIR"
OTHER_PLATFORM=0x000000000000000000000000000000000000dEaD

cli pool create --commission 0 --capacity 1000000 --dev-key 0
expect "dev 0 makes pool 1" 0 "PoolCreated pool=1 "
for k in 1 2 3; do
    cli stake contribute 1 $((k * 100)) --dev-key $k
    expect "dev $k stakes $((k * 100)) tokens" 0 "status +success"
done
cli advance-time 10 --datadir "$DATADIR"
cli gov propose signal "Secret" --dev-key 1 \
    --payload '{"kind":"poll","system":"single-choice","choices":["A","B","C"],"secret":true}'
expect "dev 1 proposes a secret poll" 0 "ProposalCreated proposal=1 "
cli gov propose signal "Open" --dev-key 1 --payload '{"kind":"poll","system":"single-choice","choices":["A","B"]}'
expect "and an open one" 0 "ProposalCreated proposal=2 "
cli advance-time 3600 --datadir "$DATADIR"
cli address --dev-key 1
A1=$OUT
NONCE1=$(nonce_of "$A1")

# --- the enclave is checked before anything is sealed ---
cli gov ballot 1 2 --dev-key 1
expect "a ballot on a secret poll without a pinned platform exits 2" 2 "poll 1 is secret: .*--platform ADDRESS"
cli gov ballot 1 2 --secret --dev-key 1
expect "--secret without a pinned platform exits 2 before contacting the node" 2 "--platform ADDRESS"
cli gov ballot 1 2 --platform "$OTHER_PLATFORM" --dev-key 1
expect "a quote not signed by the pinned platform stops the ballot" 1 "fails its quote check: NOT signed by the pinned platform; nothing was sent"
check "nothing was sent: dev 1's nonce is unchanged" test "$(nonce_of "$A1")" = "$NONCE1"

# --- ballots, a re-vote and a choice the system cannot count ---
cli gov ballot 1 2 --dev-key 1 --datadir "$DATADIR"
expect "dev 1's choice is sealed and cast" 0 "SecretBallotCast proposal=1 voter=$A1 conviction=0 power=100 weight=10 .*ciphertextHash=0x[0-9a-f]{64}"
if printf '%s\n' "$OUT" | grep -q "choice"; then fail "the receipt shows no choice" "$OUT"; else pass "the receipt shows no choice"; fi
cli gov ballot 1 3 --dev-key 2 --datadir "$DATADIR"
expect "dev 2 casts a sealed ballot" 0 "SecretBallotCast proposal=1 "
cli gov ballot 1 1 --dev-key 2 --datadir "$DATADIR"
expect "dev 2 re-votes" 0 "SecretBallotChanged proposal=1 "
cli address --dev-key 3
A3=$OUT
NONCE3=$(nonce_of "$A3")
cli gov ballot 1 7 --secret --dev-key 3 --datadir "$DATADIR"
expect "a choice the poll cannot count is refused before it is sealed" 2 "poll 1 cannot count this ballot: choice: choice 7 is not one of the 3 choices; nothing was sent"
check "nothing was sent: dev 3's nonce is unchanged" test "$(nonce_of "$A3")" = "$NONCE3"
cli gov ballot 1 '[1,2]' --dev-key 3 --datadir "$DATADIR"
expect "as is a ballot of another system's shape" 2 "poll 1 cannot count this ballot: .*nothing was sent"
cli gov ballot 1 3 --dev-key 3 --datadir "$DATADIR"
expect "dev 3 casts a sealed ballot" 0 "SecretBallotCast proposal=1 "
cli gov ballot 2 1 --secret --dev-key 1 --datadir "$DATADIR"
expect "a SecretBallot on an open poll fails" 1 "proposal 2 is not a secret poll"
cli gov ballot 2 1 --dev-key 1 --datadir "$DATADIR"
expect "an open poll takes a plain Ballot" 0 "BallotCast proposal=2 "

cli gov results 1
expect "before the close a secret poll shows no score" 0 "^ +1 +A +-$"
expect "nor a valid count" 0 "^valid +-$"
cli verify-poll 1 --datadir "$DATADIR"
expect "verify-poll before the count exits 1" 1 "poll 1 is not counted yet \(it is Active\)"

# --- the close: counted by the enclave ---
cli advance-time 259200 --datadir "$DATADIR"
cli gov results 1
expect "after the count the poll is Succeeded" 0 "^state +Succeeded$"
expect "A has dev 2's weight" 0 "^ +1 +A +20$"
expect "B has dev 1's" 0 "^ +2 +B +10$"
expect "C has dev 3's" 0 "^ +3 +C +30$"
expect "the three ballots are valid" 0 "^valid +3$"
expect "none is invalid" 0 "^invalid +0$"
expect "the turnout counts all three" 0 "^power +60$"

cli verify-poll 1 --datadir "$DATADIR"
expect "verify-poll checks the count" 0 "poll 1: verified$"
for c in "ballot list" report ballots members scores signature quote "ballot key" allowlist "counting enclave"; do
    expect "verify-poll's $c check passes" 0 "^ok +$c "
done
PLATFORM=$(printf '%s\n' "$OUT" | sed -n 's/^ok  *quote  *signed by platform \(0x[0-9a-fA-F]*\):.*/\1/p')
check "the quote's check names the platform" grep -Eq '^0x[0-9a-fA-F]{40}$' <<<"$PLATFORM"
cli verify-poll 1 --platform "$PLATFORM" --json
expect "verify-poll --platform ADDRESS --json gives its verdict" 0 '"ok":[[:space:]]*true,'
cli verify-poll 1 --platform "$OTHER_PLATFORM"
expect "verify-poll pinned to another platform fails" 1 "^FAIL +quote +NOT signed by the pinned platform"
expect "and says so" 1 "poll 1: NOT verified$"
cli verify-poll 2 --datadir "$DATADIR"
expect "verify-poll of an open poll exits 1" 1 "poll 2 is not secret"
cli verify-poll 9 --datadir "$DATADIR"
expect "verify-poll of no proposal exits 1" 1 "no proposal 9"
cli verify-poll x --datadir "$DATADIR"
expect "a bad id exits 2" 2 "proposal"
cli gov ballot 1 2 --dev-key 1 --datadir "$DATADIR"
expect "a counted poll takes no ballot" 1 "proposal 1 is Succeeded"

summary
