/* SPDX-License-Identifier: MIT */
/* apply.c: the handler table, one row per transaction type (signed types from users, system types
 * written by the node itself, and which of those a --dev node's admin methods may submit), and the
 * handlers of the ledger's own types (Transfer, Genesis, Mint, dev pool rewards and slashes, Tick)
 * with the one list of the Tick's time-driven work.
 * Handlers run inside the block's savepoint: a failure rolls back all of its writes. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/hex.h"

/* Explains a failed transfer out of an account in the receipt. */
static int explain(eng_apply *a, int rc, const ledger_account *from, const mpz_t amount)
{
    if (rc == ST_INSUFFICIENT) {
        mpz_t have;
        mpz_init(have);
        char h[LEDGER_AMOUNT_STRLEN] = "?", n[LEDGER_AMOUNT_STRLEN];
        if (ledger_balance(a->e->ledger, from, have) == ST_OK && mpz_sgn(have) >= 0)
            ledger_amount_format(h, have);
        ledger_amount_format(n, amount);
        snprintf(a->r.err, sizeof a->r.err, "insufficient balance: %s available, %s needed", h, n);
        mpz_clear(have);
    } else if (rc == ST_OVERFLOW) {
        snprintf(a->r.err, sizeof a->r.err, "the receiving balance would reach 2^256");
    }
    return rc;
}

/* Moves value between two users' free balances and emits a Transfer event. */
static int move_free(eng_apply *a, const uint8_t from[20], const uint8_t to[20], const mpz_t amount)
{
    ledger_account debit = ledger_user_account(LEDGER_FREE, from), credit = ledger_user_account(LEDGER_FREE, to);
    int rc = ledger_transfer(a->e->ledger, &debit, &credit, amount, "transfer");
    if (rc != ST_OK)
        return explain(a, rc, &debit, amount);
    ledger_ev *ev = ledger_event(&a->r, "Transfer");
    if (!ev || !ledger_event_address(ev, "from", from) || !ledger_event_address(ev, "to", to)
        || !ledger_event_amount(ev, "amount", amount))
        return ST_NOMEM;
    return ST_OK;
}

/* Mints amount from issuance into account `to`; a dev mint emits a Mint event naming the account
 * (the genesis emits one summary event instead of one per account). */
static int mint(eng_apply *a, const ledger_account *to, const mpz_t amount, const char *code)
{
    if (mpz_sgn(amount) == 0)
        return ST_OK;
    ledger_account issuance = ledger_system_account(LEDGER_ISSUANCE);
    int rc = ledger_transfer(a->e->ledger, &issuance, to, amount, code);
    if (rc != ST_OK)
        return explain(a, rc, &issuance, amount);
    if (strcmp(code, "genesis") == 0)
        return ST_OK;
    ledger_ev *ev = ledger_event(&a->r, "Mint");
    if (!ev || !ledger_event_amount(ev, "amount", amount))
        return ST_NOMEM;
    if (to->kind == LEDGER_TREASURY)
        return ledger_event_string(ev, "to", "treasury") ? ST_OK : ST_NOMEM;
    return ledger_event_address(ev, "to", to->owner) ? ST_OK : ST_NOMEM;
}

static int check_transfer(eng *e, const ledger_tx *tx, char *err, size_t errlen)
{
    uint8_t to[20];
    mpz_t amount;
    mpz_init(amount);
    int rc = ST_INVALID;
    if (ledger_tx_get_address(tx, "to", to) != ST_OK || ledger_tx_get_amount(tx, "amount", amount) != ST_OK)
        snprintf(err, errlen, "malformed Transfer");
    else if (mpz_sgn(amount) == 0)
        snprintf(err, errlen, "message.amount: must be greater than zero");
    else if (memcmp(to, tx->signer, 20) == 0)
        snprintf(err, errlen, "message.to: a transfer to the signer itself moves nothing");
    else
        rc = ST_OK;
    mpz_clear(amount);
    return rc;
}

static int apply_transfer(eng_apply *a)
{
    uint8_t to[20];
    mpz_t amount;
    mpz_init(amount);
    int rc = ledger_tx_get_address(&a->item->tx, "to", to);
    if (rc == ST_OK)
        rc = ledger_tx_get_amount(&a->item->tx, "amount", amount);
    if (rc == ST_OK)
        rc = move_free(a, a->item->tx.signer, to, amount);
    mpz_clear(amount);
    return rc;
}

/* The state eng_genesis_each_account's walk carries while minting the genesis balances. */
typedef struct genesis_mint {
    eng_apply *a;
    mpz_t supply;                   /* treasury plus the balances minted so far */
} genesis_mint;

/* eng_genesis_account_fn: mints one genesis account's balance. */
static int mint_genesis_account(void *arg, const uint8_t address[20], const mpz_t balance, size_t index)
{
    genesis_mint *m = arg;
    (void)index;
    ledger_account to = ledger_user_account(LEDGER_FREE, address);
    mpz_add(m->supply, m->supply, balance);
    return mint(m->a, &to, balance, "genesis");
}

/* System: the genesis document's balances, minted in block 0 from its accounts text as the document
 * itself is stored in the same SQLite transaction (in chunks, genesis_store.c): a ledger holds both
 * or neither. */
static int apply_genesis(eng_apply *a)
{
    const eng_genesis *g = &a->e->genesis;
    /* the accounts text is dropped once block 0 holds it: a Genesis anywhere else (a crafted ledger
     * being replayed) fails instead of minting nothing and storing no document */
    if (!g->accounts)
        return ledger_fail(&a->r, ST_INVALID, "the genesis applies in block 0 only");
    ledger_account treasury = ledger_system_account(LEDGER_TREASURY);
    genesis_mint m = { .a = a };
    mpz_init_set(m.supply, g->treasury);
    int rc = mint(a, &treasury, g->treasury, "genesis");
    if (rc == ST_OK)
        rc = eng_genesis_document_put(a->e->ledger, g, mint_genesis_account, &m);
    for (unsigned i = 0; i < g->enclave.n_measurements && rc == ST_OK; i++)
        rc = ledger_allowlist_add(a->e->ledger, LEDGER_RUNTIME_ENCLAVE, g->enclave.measurements[i]);
    for (unsigned i = 0; i < g->enclave.n_worker_measurements && rc == ST_OK; i++)
        rc = ledger_allowlist_add(a->e->ledger, LEDGER_RUNTIME_WORKER, g->enclave.worker_measurements[i]);
    ledger_ev *ev = rc == ST_OK ? ledger_event(&a->r, "Genesis") : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_number(ev, "chainId", (double)g->chain_id)
                        || !ledger_event_number(ev, "accounts", (double)g->n_accounts)
                        || !ledger_event_amount(ev, "treasury", g->treasury) || !ledger_event_amount(ev, "supply", m.supply)))
        rc = ST_NOMEM;
    mpz_clear(m.supply);
    /* beside the whole document (what replay starts from), what a restart reads: the parameters and hash */
    char hash[67], source[67];
    ledger_hex_encode(hash, g->hash, 32);
    ledger_hex_encode(source, g->source_hash, 32);
    if (rc == ST_OK && (rc = ledger_meta_set(a->e->ledger, "genesis.params", g->params)) == ST_OK
        && (rc = ledger_meta_set(a->e->ledger, "genesis.hash", hash)) == ST_OK)
        rc = ledger_meta_set(a->e->ledger, "genesis.source", source);
    return rc;
}

/* System (dev only): admin_mint's {"to", "amount"}. */
static int apply_mint(eng_apply *a)
{
    uint8_t to[20];
    mpz_t amount;
    mpz_init(amount);
    int rc = ST_INVALID;
    if (eng_system_decode_mint(a->item->sys_body, to, amount) == ST_OK) {
        ledger_account account = ledger_user_account(LEDGER_FREE, to);
        rc = mint(a, &account, amount, "mint");
    } else {
        snprintf(a->r.err, sizeof a->r.err, "malformed Mint");
    }
    mpz_clear(amount);
    return rc;
}

/* System (dev only): admin_rewardPool's {"pool", "amount"}, paid out of the treasury. */
static int apply_pool_reward(eng_apply *a)
{
    uint64_t pool;
    mpz_t amount;
    mpz_init(amount);
    int rc = ST_INVALID;
    if (eng_system_decode_pool_reward(a->item->sys_body, &pool, amount) == ST_OK) {
        ledger_account treasury = ledger_system_account(LEDGER_TREASURY);
        rc = eng_staking_reward(a, pool, &treasury, amount);
    } else {
        snprintf(a->r.err, sizeof a->r.err, "malformed PoolReward");
    }
    mpz_clear(amount);
    return rc;
}

/* System (dev only): admin_slashWorker's {"worker", "ppm"}. */
static int apply_worker_slash(eng_apply *a)
{
    uint8_t worker[20];
    uint32_t ppm;
    if (eng_system_decode_worker_slash(a->item->sys_body, worker, &ppm) == ST_OK)
        return eng_staking_offence(a, worker, ppm, "admin");
    snprintf(a->r.err, sizeof a->r.err, "malformed WorkerSlash");
    return ST_INVALID;
}

/* The one list of the Tick's time-driven work, in the order it runs: stake released and queues
 * paid, epoch close; channel deposits returned after their challenge period; proposals moved on by
 * the clock. Each part says whether it is due at a time and does its part of the Tick. */
static const struct tick_part {
    bool (*due)(eng *e, uint64_t now);
    int (*run)(eng_apply *a);
} tick_parts[] = {
    { .due = eng_staking_due, .run = eng_staking_tick },
    { .due = eng_compute_due, .run = eng_compute_tick },
    { .due = eng_gov_due, .run = eng_gov_tick },
};

bool eng_tick_due(eng *e, uint64_t now)
{
    if (e->tick_memo && now <= e->tick_memo_time)
        return false;
    for (size_t i = 0; i < sizeof tick_parts / sizeof tick_parts[0]; i++)
        if (tick_parts[i].due(e, now))
            return true;
    e->tick_memo = true;
    e->tick_memo_time = now;
    return false;
}

void eng_tick_forget(eng *e, const eng_item *items)
{
    for (const eng_item *it = items; it && e->tick_memo; it = it->next) {
        const eng_handler *h = it->is_system ? NULL : eng_handler_find(it->tx.type->name, false);
        if (!h || !h->timeless)
            e->tick_memo = false;
    }
}

/* System: the time-driven work at the start of a block, every part of tick_parts in order. */
static int apply_tick(eng_apply *a)
{
    int rc = ST_OK;
    for (size_t i = 0; i < sizeof tick_parts / sizeof tick_parts[0] && rc == ST_OK; i++)
        rc = tick_parts[i].run(a);
    return rc;
}

/* Sorted by type name (strcmp), each name once: eng_handler_find searches it by halves. */
static const eng_handler handlers[] = {
    { .type = "Ballot", .check = eng_check_ballot, .apply = eng_apply_ballot },
    { .type = "ChannelClose", .apply = eng_apply_channel_close },
    { .type = "ChannelOpen", .check = eng_check_positive_amount, .apply = eng_apply_channel_open },
    { .type = "ChannelTopUp", .check = eng_check_positive_amount, .apply = eng_apply_channel_top_up },
    { .type = "Claim", .apply = eng_apply_claim },
    { .type = "Contribute", .check = eng_check_positive_amount, .apply = eng_apply_contribute },
    { .type = "Delegate", .check = eng_check_delegate, .apply = eng_apply_delegate },
    { .type = "EnclaveAllow", .system = true, .apply = eng_apply_enclave_allow },
    { .type = "EnclaveBallotKey", .system = true, .apply = eng_apply_enclave_ballot_key },
    { .type = "EnclaveRegister", .system = true, .apply = eng_apply_enclave_register },
    { .type = "Genesis", .system = true, .apply = apply_genesis },
    { .type = "Mint", .system = true, .dev = true, .apply = apply_mint },
    { .type = "PoolAllowContributor", .apply = eng_apply_pool_allow_contributor },
    { .type = "PoolCreate", .check = eng_check_commission, .apply = eng_apply_pool_create },
    { .type = "PoolDisallowContributor", .apply = eng_apply_pool_disallow_contributor },
    { .type = "PoolReward", .system = true, .dev = true, .apply = apply_pool_reward },
    { .type = "PoolSetCapacity", .check = eng_check_pool_capacity, .apply = eng_apply_pool_set_capacity },
    { .type = "PoolSetCommission", .check = eng_check_commission, .apply = eng_apply_pool_set_commission },
    { .type = "PoolSetDescription", .check = eng_check_pool_description, .apply = eng_apply_pool_set_description },
    { .type = "ProposalCancel", .apply = eng_apply_proposal_cancel },
    { .type = "ProposalExecute", .apply = eng_apply_proposal_execute },
    { .type = "Propose", .check = eng_check_propose, .apply = eng_apply_propose },
    { .type = "SecretBallot", .check = eng_check_secret_ballot, .apply = eng_apply_secret_ballot },
    { .type = "SecretPollCount", .system = true, .apply = eng_apply_secret_poll_count },
    { .type = "Settlement", .system = true, .apply = eng_apply_settlement },
    { .type = "Tick", .system = true, .apply = apply_tick },
    { .type = "Transfer", .check = check_transfer, .apply = apply_transfer, .timeless = true },
    { .type = "Undelegate", .apply = eng_apply_undelegate },
    { .type = "Vote", .check = eng_check_vote, .apply = eng_apply_vote },
    { .type = "VoucherRedeem", .apply = eng_apply_voucher_redeem },
    { .type = "Withdraw", .check = eng_check_positive_amount, .apply = eng_apply_withdraw },
    { .type = "WorkerAdd", .apply = eng_apply_worker_add },
    { .type = "WorkerBond", .check = eng_check_positive_amount, .apply = eng_apply_worker_bond },
    { .type = "WorkerHeartbeat", .check = eng_check_worker_heartbeat, .apply = eng_apply_worker_heartbeat },
    { .type = "WorkerRegister", .check = eng_check_worker_register, .apply = eng_apply_worker_register },
    { .type = "WorkerRemove", .apply = eng_apply_worker_remove },
    { .type = "WorkerSlash", .system = true, .dev = true, .apply = apply_worker_slash },
    { .type = "WorkerUnbond", .check = eng_check_positive_amount, .apply = eng_apply_worker_unbond },
};

static int compare_handler(const void *type, const void *h)
{
    return strcmp(type, ((const eng_handler *)h)->type);
}

const eng_handler *eng_handler_find(const char *type, bool system)
{
    const eng_handler *h = bsearch(type, handlers, sizeof handlers / sizeof handlers[0], sizeof handlers[0],
                                   compare_handler);
    return h && h->system == system ? h : NULL;
}

bool eng_handlers_sorted(void)
{
    for (size_t i = 1; i < sizeof handlers / sizeof handlers[0]; i++)
        if (strcmp(handlers[i - 1].type, handlers[i].type) >= 0)
            return false;
    return true;
}
