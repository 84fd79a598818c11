/* SPDX-License-Identifier: MIT */
/* commands.c: the table of the commands, in the order `conclave --help` lists them, with what a
 * user reads of each: its usage, summary and help text. The commands themselves live in the file of
 * their area (cmd_node.c, cmd_staking.c, cmd_compute.c, cmd_gov.c); every command returns an enum
 * cli_exit: node refusals and failed receipts are 1, usage errors 2, an unreachable node 3. */
#include "cli/session.h"

static const char help_keygen[] =
    "Draws a new secp256k1 secret key from the system's randomness and writes it as 0x-hex to\n"
    "FILE (default ./conclave.key), created with mode 0600; an existing file is never\n"
    "overwritten. Prints the key's address. Keep the file secret: it controls the account.\n";

static const char help_address[] = "Prints the EIP-55 address of the key (no node needed).\n";

static const char help_info[] = "Calls node_info.\n";

static const char help_account[] =
    "Shows the nonce and the free, escrow and claimable balances of ADDRESS (default: the\n"
    "key's address), in tokens (exact, up to 18 decimals) or with --raw in base units.\n";

static const char help_transfer[] =
    "Moves AMOUNT from the key's free balance to TO. AMOUNT is in tokens (\"1\", \"1.5\", at\n"
    "most 18 decimals, exact) or with --raw in base units (1 token = 10^18). The chain id\n"
    "and the next nonce come from the node; the transaction is signed locally (EIP-712)\n"
    "and sent with tx_send. Exit 1 if the node refuses it or its receipt says failed (a\n"
    "failed transfer still consumes its nonce). With --sign-only it prints the signed\n"
    "transaction, the params of tx_send, instead of sending it.\n";

static const char help_pool_create[] =
    "Signs a PoolCreate: a new pool owned by the key's address, taking commission PPM parts\n"
    "per million of its rewards (100000 is 10%, at most 1000000) and at most AMOUNT of stake\n"
    "(tokens, or base units with --raw). The receipt's PoolCreated event names the new pool's\n"
    "id.\n" SIGNED_HELP;

static const char help_pool_info[] =
    "Calls staking_getPool: owner, commission (and a raise waiting for its notice), capacity,\n"
    "stake, free, bonded and unbonding stake, shares and their price (tokens per 10^18\n"
    "shares), workers and the queued withdrawals. Exit 1 for an unknown pool.\n";

static const char help_pool_list[] =
    "Lists every pool (staking_listPools, page after page) by id, or with --sort stake the\n"
    "largest stake first.\n";

static const char help_pool_commission[] =
    "Signs a PoolSetCommission (owner only). A lower commission applies at once; a higher one\n"
    "after the chain's notice period (pool info shows it as the raise).\n" SIGNED_HELP;

static const char help_pool_capacity[] =
    "Signs a PoolSetCapacity (owner only): pool ID takes at most AMOUNT of stake from now on;\n"
    "never less than the stake it holds.\n" SIGNED_HELP;

static const char help_pool_describe[] =
    "Signs a PoolSetDescription (owner only): TEXT (at most 1024 bytes) describes pool ID.\n"
    SIGNED_HELP;

static const char help_pool_allow[] =
    "Signs a PoolAllowContributor (owner only). A pool whose allowlist is not empty takes\n"
    "contributions only from the listed addresses (at most 100) and its owner; stakers already\n"
    "in keep their shares.\n" SIGNED_HELP;

static const char help_pool_disallow[] =
    "Signs a PoolDisallowContributor (owner only). An empty allowlist opens the pool to anyone.\n"
    SIGNED_HELP;

static const char help_pool_add_worker[] =
    "Signs a WorkerAdd (owner only): WORKER joins pool ID. WORKER must have registered itself\n"
    "(conclave-worker --operator OWNER) naming the pool's owner; a worker belongs to one pool.\n"
    SIGNED_HELP;

static const char help_pool_bond[] =
    "Signs a WorkerBond (owner only): AMOUNT of the pool's free stake is bonded to WORKER. A\n"
    "worker computes with at least its minimum stake (worker status shows it: k * sqrt(P)).\n"
    SIGNED_HELP;

static const char help_pool_unbond[] =
    "Signs a WorkerUnbond (owner only): AMOUNT of WORKER's bonded stake cools down for the\n"
    "chain's unbonding period, then becomes free stake of the pool again (paying the\n"
    "withdraw queue first).\n" SIGNED_HELP;

static const char help_pool_remove_worker[] =
    "Signs a WorkerRemove (owner only): WORKER leaves pool ID once nothing is bonded to it or\n"
    "still unbonding; it may then register for another operator.\n" SIGNED_HELP;

static const char help_worker_status[] =
    "Calls staking_getWorker: its state (Registered, Ready, Computing, Unresponsive,\n"
    "CoolingDown), operator and runtime measurement, benchmark score P and confidence level,\n"
    "bonded stake and the minimum it needs (k * sqrt(P)), its value promise V and the slots\n"
    "it answered this epoch. A worker registers itself: run conclave-worker on its machine.\n"
    "Exit 1 for a key that never registered.\n";

static const char help_worker_list[] =
    "Calls staking_listWorkers: every worker of pool POOL, as worker status shows one.\n";

static const char help_channel_open[] =
    "Signs a ChannelOpen: DEPOSIT of the key's free balance goes into its escrow for a channel\n"
    "to WORKER (a worker in a pool); the receipt's ChannelOpened event names the channel.\n"
    "Pay through it with conclave voucher sign.\n" SIGNED_HELP;

static const char help_channel_top_up[] =
    "Signs a ChannelTopUp (the channel's client only): AMOUNT more of its free balance is\n"
    "escrowed for channel ID.\n" SIGNED_HELP;

static const char help_channel_close[] =
    "Signs a ChannelClose (the client only): after the chain's challenge period (during which\n"
    "the worker may still redeem vouchers) what the channel did not pay comes back.\n" SIGNED_HELP;

static const char help_voucher_sign[] =
    "Signs Voucher{channel, cumulative} with the client's key under the node's chain and prints\n"
    "the signature: hand it to the worker's operator, who redeems it. CUMULATIVE is the total\n"
    "paid through the channel so far (tokens, or base units with --raw): a later voucher for a\n"
    "larger total replaces the earlier ones, and none pays twice. KEY is --key FILE or\n"
    "--dev-key N.\n";

static const char help_voucher_redeem[] =
    "Signs a VoucherRedeem (the pool owner of the channel's worker): the client's voucher for a\n"
    "CUMULATIVE total with its SIGNATURE (conclave voucher sign). The next epoch settlement pays\n"
    "what it added, capped by the deposit, to the worker's pool.\n" SIGNED_HELP;

static const char help_stake_contribute[] =
    "Signs a Contribute: AMOUNT moves from the key's free balance into pool POOL, which mints\n"
    "shares at its current price (rounded down).\n" SIGNED_HELP;

static const char help_stake_withdraw[] =
    "Signs a Withdraw of SHARES (a whole number of shares, base units; --raw only changes how\n"
    "the receipt shows amounts), or with --all of every share not already queued. It is paid\n"
    "at once from the pool's free stake; what that does not cover waits in the pool's\n"
    "withdraw queue (first in, first out) and is paid as stake becomes free.\n" SIGNED_HELP;

static const char help_stake_claim[] =
    "Signs a Claim: settles the key's pending rewards in POOL, then moves its whole claimable\n"
    "balance (rewards of every pool, and commission for an owner) to its free balance.\n"
    SIGNED_HELP;

static const char help_stake_position[] =
    "Calls staking_getPosition for ADDRESS (default: the key's address): per pool its shares,\n"
    "their value, pending rewards and queued withdrawal; and its claimable balance.\n";

static const char help_gov_propose[] =
    "Signs a Propose on TRACK (root, treasury, params, enclave on the dev chain; see the node's\n"
    "gov_listTracks), titled TITLE; --track and --title may name them instead. The track's\n"
    "deposit is reserved from the key's free balance and returned when the proposal ends\n"
    "(part of it is burned if you cancel it). The key needs the track's threshold of voting\n"
    "power. PAYLOAD is what the proposal does, at most one of:\n"
    "  --spend TO AMOUNT          pay AMOUNT (tokens, base units with --raw) from the treasury\n"
    "  --param NAME VALUE         set a governed parameter; VALUE a whole number as\n"
    "                             gov_getParams shows it (base units, seconds or ppm)\n"
    "  --allow-enclave 0xMEAS     add an enclave measurement (32 bytes) to the allowlist\n"
    "  --remove-enclave 0xMEAS    take one off\n"
    "  --payload JSON             any payload as JSON (amounts in base units), e.g.\n"
    "    {\"kind\":\"spend\",\"to\":\"0x…\",\"amount\":\"1000000000000000000\"}\n"
    "    {\"kind\":\"param\",\"name\":\"staking.minContribution\",\"value\":\"2000000000000000000\"}\n"
    "    {\"kind\":\"enclaveAllow\",\"measurement\":\"0x…\"}   (or enclaveRemove)\n"
    "    {\"kind\":\"slashCancel\",\"slash\":3}\n"
    "    {\"kind\":\"poll\",\"system\":\"approval\",\"choices\":[\"A\",\"B\",\"C\"]}   (2 to 32 choices; see gov ballot)\n"
    "Without one the proposal is text only. --body-file reads the body (at most 16384 bytes)\n"
    "from FILE. The receipt's ProposalCreated event names the proposal's id.\n" SIGNED_HELP;

static const char help_gov_vote[] =
    "Signs a Vote on proposal ID with the key's voting power at the proposal's snapshot (and\n"
    "what its delegators lent it then). --conviction 0 (the default) counts 0.1x and locks\n"
    "nothing; 1 to 6 count 1x to 6x and lock that stake for 1, 2, 4, 8, 16 or 32 lock periods\n"
    "after the vote ends. Voting again while the proposal is Active replaces the vote.\n"
    SIGNED_HELP;

static const char help_gov_ballot[] =
    "Signs a Ballot on poll ID: CHOICE is the choice as Snapshot writes it in JSON for the poll's\n"
    "system (quote it for the shell): 2 (single-choice, basic: a choice number, 1-based), '[1,3]'\n"
    "(approval: the approved choices), '[2,1,3]' (ranked-choice, copeland: every choice, most\n"
    "preferred first), '{\"1\":2,\"3\":0.5}' (weighted, quadratic: relative weights). Its power\n"
    "and --conviction are a vote's (see gov vote); a ballot the system cannot count fails with\n"
    "its reason and changes nothing; a later ballot replaces the earlier one.\n"
    "On a secret poll (or with --secret) the choice is sealed instead, as a SecretBallot that only\n"
    "the enclave can open: the client first checks the node's enclave_getAttestation (the quote\n"
    "is signed by the chain's attestation platform, for this chain; the ballot key is signed by\n"
    "the quoted enclave; its measurement is allowlisted) and sends nothing if any check fails.\n"
    "The platform is --platform ADDRESS (the genesis enclave.platform, which conclaved\n"
    "--enclave-info prints) or the one whose DIR/platform.secret --datadir names. The node cannot\n"
    "judge a sealed choice (the enclave counts one it cannot read as invalid), so the client reads\n"
    "CHOICE for the poll's system first and sends nothing if it cannot be counted (exit 2).\n"
    SIGNED_HELP;

static const char help_verify_poll[] =
    "Checks the count of secret poll ID without any key: reads gov_getResults and every page of\n"
    "gov_getSecretBallots, recomputes the ballotsHash of the published ballots (in voter order,\n"
    "each weighing weight + delegatedWeight), and checks that the signed report counted exactly\n"
    "those ballots (its ballotsHash, count and totalPower), that the published scores, valid and\n"
    "invalid counts and measurement are the report's, that the scores are possible for the poll's\n"
    "system (at most the power of all the ballots), that the report's signature recovers to the\n"
    "enclave the results name, and that this enclave is attested (enclave_getAttestation of its\n"
    "address, so an enclave replaced since is checked too): its quote signed by the chain's\n"
    "platform (--platform ADDRESS, or --datadir DIR's platform.secret) for this chain and the\n"
    "report's measurement, its ballot key signed by it, its measurement allowlisted now.\n"
    "Prints one line per check and exits 1 if any fails (or the poll is not secret or not yet\n"
    "counted). What it cannot check is how each ballot was read: docs/SECRET_BALLOTS.md.\n";

static const char help_gov_results[] =
    "Calls gov_getResults: a poll's scores, one per choice (base units with --raw), the power\n"
    "and number of its ballots and the winning choice; final once counted at the close, the\n"
    "running result before. A secret poll shows no score before its count; after it, the valid\n"
    "and invalid ballots (one the enclave could not open or count), the enclave that counted\n"
    "and the hash of the ballots it counted (conclave verify-poll checks all of it). Exit 1 for\n"
    "an unknown proposal or one that is not a poll.\n";

static const char help_gov_delegate[] =
    "Signs a Delegate: TO votes with the key's power (at the conviction given, default 0) on\n"
    "proposals whose snapshot comes after it, unless the key votes itself, which overrides it\n"
    "for that proposal. No chains: TO may not delegate. With a conviction the stake stays\n"
    "locked while delegated and for its lock periods after gov undelegate.\n" SIGNED_HELP;

static const char help_gov_undelegate[] = "Signs an Undelegate.\n" SIGNED_HELP;

static const char help_gov_cancel[] =
    "Signs a ProposalCancel: only the proposer, only while Pending; part of the deposit is\n"
    "burned (cancelBurnPpm of gov_listTracks), the rest returned.\n" SIGNED_HELP;

static const char help_gov_execute[] =
    "Signs a ProposalExecute: anyone may, once the proposal is Queued and its eta has come, and\n"
    "before it expires. The payload runs exactly once.\n" SIGNED_HELP;

static const char help_gov_proposals[] =
    "Lists proposals newest first (gov_listProposals, page after page), with their state and\n"
    "tally; --state (Pending, Active, Defeated, Succeeded, Queued, Executed, Expired, Failed,\n"
    "Canceled) and --track keep only those.\n";

static const char help_gov_proposal[] =
    "Calls gov_getProposal: the proposer, track, payload, state, snapshot, timeline and the\n"
    "tally with whether quorum and approval are reached. Exit 1 for an unknown proposal.\n";

static const char help_gov_power[] =
    "Calls gov_votingPower for ADDRESS (default: the key's address), now or with --proposal at\n"
    "that proposal's snapshot: its own staked value, what its delegators lend it, and the\n"
    "weight that carries with their convictions.\n";

static const char help_block[] = "Shows a block by height, by 0x hash, or the latest (the default).\n";

static const char help_tx[] =
    "Shows the transaction with 0x hash HASH: its block, sender, message, status and events.\n";

static const char help_audit[] =
    "Runs ledger_audit (debits equal credits, no negative balance, supply matches issuance,\n"
    "the hash chain, the chain follows its own genesis) with the admin token read from\n"
    "DIR/.cookie (DIR is the node's --datadir), and prints each check. Exit 1 if any fails.\n";

static const char help_verify_epoch[] =
    "Fetches the epoch's stored inputs and signed report (settlement_getEpoch), recomputes the\n"
    "report from the inputs with the same math as the enclave, here, and compares the two byte\n"
    "for byte; checks that the registered enclave signed it. Exit 1 on any difference.\n";

static const char help_replay[] =
    "Rebuilds a fresh ledger (in memory, or in the new file FILE) from the genesis and the\n"
    "transactions stored in DIR/conclave.db, locally, without a node; compares every block\n"
    "hash, receipt (status, error and events) and account balance. Prints the counts and OK,\n"
    "or the first difference (exit 1). Run it on a stopped node's directory or a copy.\n";

static const char help_mint[] =
    "Calls admin_mint on a --dev node, with the admin token read from DIR/.cookie (DIR is\n"
    "the node's --datadir). AMOUNT as for transfer. Prints the receipt.\n";

static const char help_advance_time[] =
    "Calls admin_advanceTime on a --dev node (manual clock), with the admin token read from\n"
    "DIR/.cookie. Prints the node's new time once the node has run everything that fell due\n"
    "(each epoch closed and settled, in blocks): over many epochs that takes a while, and\n"
    "the client waits up to --timeout SECONDS (default " CLI_STR(CLI_DEFAULT_TIMEOUT) "; 0: no limit).\n";

static const char help_admin_reward_pool[] =
    "Calls admin_rewardPool on a --dev node, with the admin token read from DIR/.cookie: the\n"
    "pool's commission goes to its owner's claimable balance, the rest to its stakers by\n"
    "shares. AMOUNT as for transfer. Prints the receipt.\n";

static const char help_admin_slash_worker[] =
    "Calls admin_slashWorker on a --dev node, with the admin token read from DIR/.cookie: PPM\n"
    "parts per million (1 to 1000000) of WORKER's bonded stake and of each of its unbonding\n"
    "entries are burned (each part rounded down), which every staker of its pool bears by\n"
    "shares. Prints the receipt: WorkerSlashed's amount is fromBonded + fromUnbonding.\n";

const cli_command cli_commands[] = {
    { "keygen", "[--out FILE]",
      "make a new secret key and print its address", help_keygen, 0, 0, CLI_OPT_OUT, cli_cmd_keygen },
    { "address", "[--key FILE | --dev-key N]",
      "print the address of a key", help_address, 0, 0, CLI_OPT_KEY, cli_cmd_address },
    { "info", "",
      "show the node: chain id, height, head, version", help_info, 0, 0, 0, cli_cmd_info },
    { "account", "[ADDRESS] [--raw] [--key FILE | --dev-key N]",
      "show an account's nonce and balances", help_account, 0, 1, CLI_OPT_KEY | CLI_OPT_RAW, cli_cmd_account },
    { "transfer", "TO AMOUNT [--raw] [--sign-only] [--key FILE | --dev-key N]",
      "sign and send a Transfer, print its receipt", help_transfer, 2, 2, SIGNING, cli_cmd_transfer },
    { "pool create", "--commission PPM --capacity AMOUNT [--raw] [--sign-only] [KEY]",
      "create a stake pool owned by the key", help_pool_create, 0, 0, CLI_OPT_POOL | SIGNING, cli_cmd_pool_create },
    { "pool info", "ID [--raw]",
      "show a stake pool", help_pool_info, 1, 1, CLI_OPT_RAW, cli_cmd_pool_info },
    { "pool list", "[--sort id|stake] [--raw]",
      "list the stake pools", help_pool_list, 0, 0, CLI_OPT_SORT | CLI_OPT_RAW, cli_cmd_pool_list },
    { "pool commission", "ID PPM [--sign-only] [KEY]",
      "change a pool's commission", help_pool_commission, 2, 2, SIGNING, cli_cmd_pool_commission },
    { "pool capacity", "ID AMOUNT [--raw] [--sign-only] [KEY]",
      "change a pool's capacity", help_pool_capacity, 2, 2, SIGNING, cli_cmd_pool_capacity },
    { "pool describe", "ID TEXT [--sign-only] [KEY]",
      "set a pool's description", help_pool_describe, 2, 2, SIGNING, cli_cmd_pool_describe },
    { "pool allow", "ID ADDRESS [--sign-only] [KEY]",
      "put a contributor on a pool's allowlist", help_pool_allow, 2, 2, SIGNING, cli_cmd_pool_allow },
    { "pool disallow", "ID ADDRESS [--sign-only] [KEY]",
      "take a contributor off a pool's allowlist", help_pool_disallow, 2, 2, SIGNING, cli_cmd_pool_disallow },
    { "pool add-worker", "ID WORKER [--sign-only] [KEY]",
      "add a worker to a pool", help_pool_add_worker, 2, 2, SIGNING, cli_cmd_pool_add_worker },
    { "pool bond", "ID WORKER AMOUNT [--raw] [--sign-only] [KEY]",
      "bond a pool's free stake to its worker", help_pool_bond, 3, 3, SIGNING, cli_cmd_pool_bond },
    { "pool unbond", "ID WORKER AMOUNT [--raw] [--sign-only] [KEY]",
      "start unbonding a worker's stake", help_pool_unbond, 3, 3, SIGNING, cli_cmd_pool_unbond },
    { "pool remove-worker", "ID WORKER [--sign-only] [KEY]",
      "remove a worker from a pool", help_pool_remove_worker, 2, 2, SIGNING, cli_cmd_pool_remove_worker },
    { "worker status", "WORKER [--raw]",
      "show a worker: state, score, stake, V, uptime", help_worker_status, 1, 1, CLI_OPT_RAW, cli_cmd_worker_status },
    { "worker list", "POOL [--raw]",
      "show a pool's workers", help_worker_list, 1, 1, CLI_OPT_RAW, cli_cmd_worker_list },
    { "channel open", "WORKER DEPOSIT [--raw] [--sign-only] [KEY]",
      "open a payment channel to a worker", help_channel_open, 2, 2, SIGNING, cli_cmd_channel_open },
    { "channel top-up", "ID AMOUNT [--raw] [--sign-only] [KEY]",
      "add to a channel's deposit", help_channel_top_up, 2, 2, SIGNING, cli_cmd_channel_top_up },
    { "channel close", "ID [--sign-only] [KEY]",
      "close a payment channel", help_channel_close, 1, 1, SIGNING, cli_cmd_channel_close },
    { "voucher sign", "CHANNEL CUMULATIVE [--raw] [KEY]",
      "sign a voucher paying a channel's worker, off the ledger", help_voucher_sign, 2, 2, CLI_OPT_KEY | CLI_OPT_RAW,
      cli_cmd_voucher_sign },
    { "voucher redeem", "CHANNEL CUMULATIVE SIGNATURE [--raw] [--sign-only] [KEY]",
      "redeem a client's voucher (worker's operator)", help_voucher_redeem, 3, 3, SIGNING, cli_cmd_voucher_redeem },
    { "stake contribute", "POOL AMOUNT [--raw] [--sign-only] [KEY]",
      "stake tokens in a pool for shares", help_stake_contribute, 2, 2, SIGNING, cli_cmd_stake_contribute },
    { "stake withdraw", "POOL (SHARES | --all) [--sign-only] [KEY]",
      "withdraw shares from a pool", help_stake_withdraw, 1, 2, CLI_OPT_ALL | SIGNING, cli_cmd_stake_withdraw },
    { "stake claim", "POOL [--sign-only] [KEY]",
      "claim staking rewards", help_stake_claim, 1, 1, SIGNING, cli_cmd_stake_claim },
    { "stake position", "[ADDRESS] [--raw] [--key FILE | --dev-key N]",
      "show an address's stakes and rewards", help_stake_position, 0, 1, CLI_OPT_KEY | CLI_OPT_RAW,
      cli_cmd_stake_position },
    { "gov propose", "TRACK TITLE [--body TEXT | --body-file FILE] [PAYLOAD] [--raw] [--sign-only] [KEY]",
      "propose on a governance track", help_gov_propose, 0, 2, CLI_OPT_PROPOSE | CLI_OPT_TRACK | SIGNING,
      cli_cmd_gov_propose },
    { "gov vote", "ID for|against|abstain [--conviction N] [--sign-only] [KEY]",
      "vote on a proposal", help_gov_vote, 2, 2, CLI_OPT_CONVICTION | SIGNING, cli_cmd_gov_vote },
    { "gov ballot", "ID CHOICE [--conviction N] [--secret] [--platform ADDRESS | --datadir DIR] [--sign-only] [KEY]",
      "cast a ballot on a poll, secret or open", help_gov_ballot, 2, 2,
      CLI_OPT_CONVICTION | CLI_OPT_SECRET | CLI_OPT_PLATFORM | CLI_OPT_DATADIR | SIGNING, cli_cmd_gov_ballot },
    { "gov results", "ID [--raw]",
      "show a poll's scores", help_gov_results, 1, 1, CLI_OPT_RAW, cli_cmd_gov_results },
    { "gov delegate", "TO [--conviction N] [--sign-only] [KEY]",
      "lend your voting power to another address", help_gov_delegate, 1, 1, CLI_OPT_CONVICTION | SIGNING,
      cli_cmd_gov_delegate },
    { "gov undelegate", "[--sign-only] [KEY]",
      "end your delegation", help_gov_undelegate, 0, 0, SIGNING, cli_cmd_gov_undelegate },
    { "gov cancel", "ID [--sign-only] [KEY]",
      "cancel your pending proposal", help_gov_cancel, 1, 1, SIGNING, cli_cmd_gov_cancel },
    { "gov execute", "ID [--sign-only] [KEY]",
      "carry out a passed proposal", help_gov_execute, 1, 1, SIGNING, cli_cmd_gov_execute },
    { "gov proposals", "[--state S] [--track T] [--raw]",
      "list proposals", help_gov_proposals, 0, 0, CLI_OPT_FILTER | CLI_OPT_TRACK | CLI_OPT_RAW, cli_cmd_gov_proposals },
    { "gov proposal", "ID [--raw]",
      "show a proposal, its timeline and tally", help_gov_proposal, 1, 1, CLI_OPT_RAW, cli_cmd_gov_proposal },
    { "gov power", "[ADDRESS] [--proposal ID] [--raw] [--key FILE | --dev-key N]",
      "show an address's voting power", help_gov_power, 0, 1, CLI_OPT_PROPOSAL | CLI_OPT_KEY | CLI_OPT_RAW,
      cli_cmd_gov_power },
    { "block", "[HEIGHT | HASH | latest]",
      "show a block and its transactions", help_block, 0, 1, 0, cli_cmd_block },
    { "tx", "HASH [--raw]",
      "show a transaction, its status and events", help_tx, 1, 1, CLI_OPT_RAW, cli_cmd_tx },
    { "audit", "--datadir DIR",
      "check the ledger's invariants on the node", help_audit, 0, 0, CLI_OPT_DATADIR, cli_cmd_audit },
    { "verify-epoch", "EPOCH",
      "recompute a settled epoch outside the enclave", help_verify_epoch, 1, 1, 0, cli_cmd_verify_epoch },
    { "verify-poll", "ID [--platform ADDRESS | --datadir DIR]",
      "check a secret poll's count against its ballots and enclave", help_verify_poll, 1, 1,
      CLI_OPT_PLATFORM | CLI_OPT_DATADIR, cli_cmd_verify_poll },
    { "replay", "--datadir DIR [--out FILE]",
      "rebuild a ledger from its block log and compare", help_replay, 0, 0, CLI_OPT_DATADIR | CLI_OPT_OUT,
      cli_cmd_replay },
    { "mint", "TO AMOUNT --datadir DIR [--raw]",
      "dev node: mint tokens to TO", help_mint, 2, 2, CLI_OPT_DATADIR | CLI_OPT_RAW, cli_cmd_mint },
    { "advance-time", "SECONDS --datadir DIR",
      "dev node: move the manual clock", help_advance_time, 1, 1, CLI_OPT_DATADIR, cli_cmd_advance_time },
    { "admin reward-pool", "POOL AMOUNT --datadir DIR [--raw]",
      "dev node: reward a pool from the treasury", help_admin_reward_pool, 2, 2, CLI_OPT_DATADIR | CLI_OPT_RAW,
      cli_cmd_admin_reward_pool },
    { "admin slash-worker", "WORKER PPM --datadir DIR [--raw]",
      "dev node: burn part of a worker's stake", help_admin_slash_worker, 2, 2, CLI_OPT_DATADIR | CLI_OPT_RAW,
      cli_cmd_admin_slash_worker },
    { NULL },
};
