/* SPDX-License-Identifier: MIT */
/* stakes.h: storage of the staking state (schema 002): pools, stakers' shares, workers, unbonding
 * stake, the withdraw queue, and the checkpoints of shares and stake by height, with the one value
 * read from them that is not a row: an address's staked value at a height (its voting power). The
 * rules live in engine/staking.c. Writes must happen inside a block (ledger_block_begin) and are
 * stamped with its height where they checkpoint. Layer: ledger. */
#ifndef LEDGER_STAKES_H
#define LEDGER_STAKES_H

#include <gmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ledger/ledger.h"
#include "ledger/status.h"

typedef struct ledger_pool {
    uint64_t id;
    uint8_t owner[LEDGER_ADDR_LEN];
    uint32_t commission_ppm;
    bool commission_pending;          /* a raise is waiting for its notice period */
    uint32_t pending_commission_ppm;
    uint64_t pending_commission_at;   /* seconds */
    mpz_t capacity;                   /* most stake the pool takes */
    mpz_t shares;                     /* total shares */
    mpz_t bonded;                     /* stake bonded to workers */
    mpz_t unbonding;                  /* stake cooling down after an unbond */
    mpz_t acc;                        /* rewards per share, scaled by LEDGER_ACC_SCALE */
    mpz_t acc_rem;                    /* carried remainder of the accumulator's division */
    mpz_t stake;                      /* copy of the stake account's balance */
    uint64_t created_height;
} ledger_pool;

/* acc is scaled by 10^78, above 2^256 and so above any pool's total shares: the remainder the
 * accumulator carries (less than the shares) is then worth less than one base unit. */
#define LEDGER_ACC_SCALE_DIGITS 78

typedef struct ledger_stake {
    uint64_t pool;
    uint8_t address[LEDGER_ADDR_LEN];
    mpz_t shares;
    mpz_t debt;                       /* shares * acc at the last settlement, unscaled */
} ledger_stake;

typedef struct ledger_withdrawal {
    uint64_t pool;
    uint8_t address[LEDGER_ADDR_LEN];
    mpz_t shares;                     /* shares waiting to be paid */
    uint64_t since;                   /* when the request was made (or last merged), seconds */
    uint64_t seq;                     /* FIFO position in its pool */
} ledger_withdrawal;

typedef struct ledger_worker {
    uint8_t address[LEDGER_ADDR_LEN];
    uint64_t pool;
    mpz_t bonded;
    uint8_t conf_level;               /* Phala's confidence level 1..5, from the registration */
    uint32_t score;                   /* benchmark score P, from the registration */
    mpz_t value;                      /* value promise V * 10^36, set by settlements */
    bool started;                     /* value holds V; else the next settlement starts it at Ve */
    uint64_t judged_from;             /* seconds: heartbeat slots starting before it do not count */
} ledger_worker;

typedef struct ledger_unbonding {
    uint64_t id;
    uint64_t pool;
    uint8_t worker[LEDGER_ADDR_LEN];
    mpz_t amount;
    uint64_t release_at;              /* seconds */
} ledger_unbonding;

/* A slash waiting out its deferral, or the record of one that applied or was canceled. */
enum ledger_slash_state { LEDGER_SLASH_PENDING = 0, LEDGER_SLASH_APPLIED = 1, LEDGER_SLASH_CANCELED = 2 };

typedef struct ledger_slash {
    uint64_t id;
    uint8_t worker[LEDGER_ADDR_LEN];
    uint64_t pool;
    uint32_t ppm;
    char reason[64];
    uint64_t created, due;            /* seconds */
    int state;                        /* enum ledger_slash_state */
    uint64_t proposal;                /* the canceling proposal; 0 if none */
} ledger_slash;

/* Init/clear pairs for the GMP fields (init zeroes everything). */
void ledger_pool_init(ledger_pool *p);
void ledger_pool_clear(ledger_pool *p);
void ledger_stake_init(ledger_stake *s);
void ledger_stake_clear(ledger_stake *s);
void ledger_withdrawal_init(ledger_withdrawal *w);
void ledger_withdrawal_clear(ledger_withdrawal *w);
void ledger_worker_init(ledger_worker *w);
void ledger_worker_clear(ledger_worker *w);
void ledger_unbonding_init(ledger_unbonding *u);
void ledger_unbonding_clear(ledger_unbonding *u);

/* Pools. insert assigns p->id (1, 2, ...). get: ST_NOTFOUND if absent. */
int ledger_pool_insert(ledger *l, ledger_pool *p) WARN_UNUSED NONNULL(1, 2);
int ledger_pool_get(ledger *l, uint64_t id, ledger_pool *p) WARN_UNUSED NONNULL(1, 3);
int ledger_pool_update(ledger *l, const ledger_pool *p) WARN_UNUSED NONNULL(1, 2);
/* Up to limit pool ids after cursor (exclusive; 0 = from the start), by id or by stake (largest first,
 * then id). Out: ids[*n]; *more whether further pools follow. */
int ledger_pool_list(ledger *l, bool by_stake, uint64_t cursor, unsigned limit, uint64_t *ids, unsigned *n, bool *more)
    WARN_UNUSED NONNULL(1, 5, 6, 7);

/* A staker's shares in a pool; absent is zero shares and zero debt (ST_OK either way). */
int ledger_stake_get(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN], ledger_stake *s)
    WARN_UNUSED NONNULL(1, 3, 4);
/* Writes the row (deletes it when shares and debt are zero) and checkpoints the shares at the block. */
int ledger_stake_put(ledger *l, const ledger_stake *s) WARN_UNUSED NONNULL(1, 2);
/* Up to limit stakers of a pool after the address cursor (NULL = from the start), by address. */
int ledger_stake_list(ledger *l, uint64_t pool, const uint8_t *cursor, unsigned limit, ledger_stake *out,
                      unsigned *n, bool *more) WARN_UNUSED NONNULL(1, 5, 6, 7);
/* Every pool id in which address has ever held shares (for positions and voting power), by id.
 * Returns: ST_OK; ST_LIMIT when there are more than cap (ids then holds the first cap); ST_DB. */
int ledger_stake_pools_of(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint64_t *ids, unsigned cap, unsigned *n)
    WARN_UNUSED NONNULL(1, 2, 3, 5);

/* Checkpoints a pool's stake and shares at the open block. */
int ledger_pool_checkpoint(ledger *l, const ledger_pool *p) WARN_UNUSED NONNULL(1, 2);
/* A pool's stake and shares as of the end of block height; absent checkpoints read as zero. */
int ledger_pool_at(ledger *l, uint64_t pool, uint64_t height, mpz_t pool_stake, mpz_t pool_shares)
    WARN_UNUSED NONNULL(1, 4, 5);
/* Shares of address in pool, and the pool's stake and shares, as of the end of block height.
 * Absent checkpoints read as zero. */
int ledger_stake_at(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN], uint64_t height, mpz_t shares,
                    mpz_t pool_stake, mpz_t pool_shares) WARN_UNUSED NONNULL(1, 3, 5, 6, 7);

/* The most pools whose shares ledger_stake_value_at sums for one address: a protocol limit. An
 * address that has ever held shares in more pools has no readable staked value (ST_LIMIT), so it
 * can neither propose nor vote, and a Withdraw of its stake while governance locks any fails. */
#define LEDGER_MAX_POOLS_PER_STAKER 4096

/* The staked value of address at the end of block height (its voting power), from the
 * checkpoints: the sum over its pools of floor(shares * pool stake / pool shares), each pool
 * floored on its own as a withdrawal of those shares would be. Out: out (initialized by the
 * caller; unspecified on failure). Returns: ST_OK; ST_NOMEM; ST_LIMIT when address has held shares
 * in more than LEDGER_MAX_POOLS_PER_STAKER pools; ST_DB. */
int ledger_stake_value_at(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint64_t height, mpz_t out)
    WARN_UNUSED NONNULL(1, 2, 4);

/* The withdraw queue. get: ST_NOTFOUND if the staker has no request. put inserts or replaces;
 * a new seq is taken with ledger_withdrawal_next_seq. head: the first request of a pool. */
int ledger_withdrawal_get(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN], ledger_withdrawal *w)
    WARN_UNUSED NONNULL(1, 3, 4);
int ledger_withdrawal_put(ledger *l, const ledger_withdrawal *w) WARN_UNUSED NONNULL(1, 2);
int ledger_withdrawal_delete(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN])
    WARN_UNUSED NONNULL(1, 3);
int ledger_withdrawal_head(ledger *l, uint64_t pool, ledger_withdrawal *w) WARN_UNUSED NONNULL(1, 3);
int ledger_withdrawal_next_seq(ledger *l, uint64_t pool, uint64_t *seq) WARN_UNUSED NONNULL(1, 3);
/* Up to limit requests in queue order after seq cursor (0 = from the head). */
int ledger_withdrawal_list(ledger *l, uint64_t pool, uint64_t cursor, unsigned limit, ledger_withdrawal *out,
                           unsigned *n, bool *more) WARN_UNUSED NONNULL(1, 5, 6, 7);
/* Up to cap ids, above `after`, of pools whose queue holds a request made before t. */
int ledger_withdrawal_overdue_pools(ledger *l, uint64_t t, uint64_t after, uint64_t *ids, unsigned cap, unsigned *n)
    WARN_UNUSED NONNULL(1, 4, 6);
/* Total shares queued in a pool. */
int ledger_withdrawal_total(ledger *l, uint64_t pool, mpz_t shares) WARN_UNUSED NONNULL(1, 3);

/* Pool settings (ledger/pool_settings.c). A pool's description: get gives "" for none (caller
 * frees *text; ST_NOTFOUND for an unknown pool). The contributor allowlist: add and remove are
 * idempotent; count; has; list up to cap addresses in address order. */
#define LEDGER_POOL_CONTRIBUTORS_MAX 100
#define LEDGER_POOL_DESCRIPTION_MAX 1024
int ledger_pool_description_get(ledger *l, uint64_t pool, char **text) WARN_UNUSED NONNULL(1, 3);
int ledger_pool_description_set(ledger *l, uint64_t pool, const char *text) WARN_UNUSED NONNULL(1, 3);
int ledger_pool_contributor_add(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN]) WARN_UNUSED NONNULL(1, 3);
int ledger_pool_contributor_remove(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN]) WARN_UNUSED NONNULL(1, 3);
int ledger_pool_contributor_count(ledger *l, uint64_t pool, unsigned *n) WARN_UNUSED NONNULL(1, 3);
int ledger_pool_contributor_has(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN], bool *has)
    WARN_UNUSED NONNULL(1, 3, 4);
int ledger_pool_contributor_list(ledger *l, uint64_t pool, uint8_t (*out)[LEDGER_ADDR_LEN], unsigned cap, unsigned *n)
    WARN_UNUSED NONNULL(1, 3, 5);

/* Workers: a worker belongs to one pool. get: ST_NOTFOUND if unknown. remove: ST_OK if absent. */
int ledger_worker_get(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], ledger_worker *w) WARN_UNUSED NONNULL(1, 2, 3);
int ledger_worker_put(ledger *l, const ledger_worker *w) WARN_UNUSED NONNULL(1, 2);
int ledger_worker_remove(ledger *l, const uint8_t address[LEDGER_ADDR_LEN]) WARN_UNUSED NONNULL(1, 2);
int ledger_worker_count(ledger *l, uint64_t pool, unsigned *n) WARN_UNUSED NONNULL(1, 3);
/* Up to cap workers of a pool, by address. */
int ledger_worker_list(ledger *l, uint64_t pool, ledger_worker *out, unsigned cap, unsigned *n) WARN_UNUSED NONNULL(1, 3, 5);
/* Up to cap workers of every pool with an address above after (NULL: from the start), by address. */
int ledger_worker_all(ledger *l, const uint8_t *after, ledger_worker *out, unsigned cap, unsigned *n)
    WARN_UNUSED NONNULL(1, 3, 5);

/* Unbonding stake. insert assigns u->id. due: up to cap entries released at or before t, oldest
 * first. pending_of_pool: up to cap entries of a pool not yet released. */
int ledger_unbonding_insert(ledger *l, ledger_unbonding *u) WARN_UNUSED NONNULL(1, 2);
int ledger_unbonding_delete(ledger *l, uint64_t id) WARN_UNUSED NONNULL(1);
int ledger_unbonding_due(ledger *l, uint64_t t, ledger_unbonding *out, unsigned cap, unsigned *n) WARN_UNUSED NONNULL(1, 3, 5);
int ledger_unbonding_of_pool(ledger *l, uint64_t pool, ledger_unbonding *out, unsigned cap, unsigned *n)
    WARN_UNUSED NONNULL(1, 3, 5);
/* Up to cap entries of one worker not yet released with an id above after, by id; and a change of
 * an entry's amount. */
int ledger_unbonding_of_worker(ledger *l, const uint8_t worker[LEDGER_ADDR_LEN], uint64_t after, ledger_unbonding *out,
                               unsigned cap, unsigned *n) WARN_UNUSED NONNULL(1, 2, 4, 6);
int ledger_unbonding_set_amount(ledger *l, uint64_t id, const mpz_t amount) WARN_UNUSED NONNULL(1, 3);

/* Deferred slashes. insert assigns s->id; get: ST_NOTFOUND if absent; set_state records the
 * outcome (proposal 0 unless canceled by one); due: up to cap pending slashes with due <= t,
 * soonest first; list: up to limit slashes with an id below cursor (0 = from the newest), newest
 * first, only those in state if state >= 0. */
int ledger_slash_insert(ledger *l, ledger_slash *s) WARN_UNUSED NONNULL(1, 2);
int ledger_slash_get(ledger *l, uint64_t id, ledger_slash *s) WARN_UNUSED NONNULL(1, 3);
int ledger_slash_set_state(ledger *l, uint64_t id, int state, uint64_t proposal) WARN_UNUSED NONNULL(1);
int ledger_slash_due(ledger *l, uint64_t t, ledger_slash *out, unsigned cap, unsigned *n) WARN_UNUSED NONNULL(1, 3, 5);
int ledger_slash_list(ledger *l, int state, uint64_t cursor, unsigned limit, ledger_slash *out, unsigned *n, bool *more)
    WARN_UNUSED NONNULL(1, 5, 6, 7);

#endif
