/* SPDX-License-Identifier: MIT */
/* genesis.h: the genesis document that fixes a chain's first state: chain id, start time, treasury
 * and funded accounts; strict parsing (unknown keys refused) and its canonical JSON, which is stored
 * in the ledger so a replay starts from exactly the same state. Also the embedded development
 * genesis of `conclaved --dev`: chain 31337 and the ten well-known development accounts of the
 * "test test ... junk" mnemonic (the keys Hardhat and Anvil print), 1,000,000 tokens each.
 * Layer: engine. */
#ifndef ENGINE_GENESIS_H
#define ENGINE_GENESIS_H

#include <gmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "enclave/settle.h"
#include "governance/gov.h"
#include "ledger/status.h"

#define ENG_DEV_ACCOUNTS 10
#define ENG_DEV_CHAIN_ID 31337

/* Called for each genesis account in order (index from 0) with its address and balance (base
 * units), both borrowed for the call. Returns: ST_OK to go on; any other status stops the walk and
 * is returned by it. */
typedef int (*eng_genesis_account_fn)(void *arg, const uint8_t address[20], const mpz_t balance, size_t index);

/* Told by a pass over a genesis text it borrows that the pass reads no byte before upto again: the
 * text's owner may release that memory (conclaved drops its file mapping's pages there), as long as
 * the bytes read the same when a later pass reads them again. */
typedef void (*eng_genesis_release_fn)(void *arg, const char *upto);

/* Staking rules fixed by the genesis ("staking" object; every key optional, defaults in brackets). */
typedef struct eng_staking_params {
    mpz_t min_contribution;         /* "minContribution": smallest Contribute [10^18, one token] */
    mpz_t min_withdrawal;           /* "minWithdrawal": smallest Withdraw by value, unless it is the
                                     * whole position; keeps dust out of the queue [10^16] */
    uint64_t commission_notice;     /* "commissionNoticeSecs": delay before a commission raise applies [7 days] */
    uint32_t max_workers;           /* "maxWorkersPerPool" [32] */
    uint64_t unbonding_period;      /* "unbondingSecs": cooldown of stake unbonded from a worker [7 days] */
    uint64_t withdraw_grace;        /* "withdrawGraceSecs": a queued withdrawal older than this makes the
                                     * pool's workers unbond at the next epoch close [7 days] */
    uint64_t slash_defer;           /* "slashDeferSecs": a slash waits this long before it applies, so governance
                                     * can cancel it (slashCancel) [0: at once] */
    mpz_t min_stake_k;              /* "minStakePerRootScore": a worker of benchmark score P computes only with
                                     * at least this * sqrt(P) bonded (Phala's k) [10^20: 100 tokens] */
    uint32_t min_worker_score;      /* "minWorkerScore": the smallest P that may compute (Phala's min_init_p) [50] */
} eng_staking_params;

/* Compute providers and payment channels ("compute" object; optional keys, defaults in brackets). */
typedef struct eng_compute_params {
    uint64_t heartbeat_secs;        /* "heartbeatSecs": one heartbeat slot, the settlement's
                                     * slot_seconds (at most 65536 slots an epoch) [600, or
                                     * epochSecs if shorter] */
    uint64_t challenge_secs;        /* "challengeSecs": from ChannelClose until the deposit returns,
                                     * during which the worker may still redeem [1 day] */
} eng_compute_params;

#define ENG_MAX_MEASUREMENTS 16

/* The enclaves the chain trusts at its start ("enclave" object). */
typedef struct eng_enclave_params {
    bool has_platform;
    uint8_t platform[20];           /* "platform": the platform attestation key's address (the
                                     * stand-in for the TEE vendor's root of trust) */
    uint8_t measurements[ENG_MAX_MEASUREMENTS][32]; /* "measurements": the first allowlist */
    unsigned n_measurements;
    uint8_t worker_measurements[ENG_MAX_MEASUREMENTS][32]; /* "workerMeasurements": the first worker-runtime
                                                            * allowlist (written only when not empty) */
    unsigned n_worker_measurements;
} eng_enclave_params;

typedef struct eng_genesis {
    uint64_t chain_id;
    uint64_t time;              /* genesis block time, seconds since the Unix epoch */
    mpz_t treasury;             /* base units minted to the treasury */
    size_t n_accounts;              /* entries of the "accounts" array */
    uint64_t epoch_length;          /* "epochSecs": seconds per epoch [3600] */
    eng_staking_params staking;
    eng_compute_params compute;
    enc_reward_params rewards;      /* "rewards": the settlement formula's parameters (settle.h) */
    eng_enclave_params enclave;
    gov_params governance;          /* "governance": tracks, lock period, grace, cancel burn (gov.h) */
    char *body;                 /* {"type":"Genesis","message":<canonical>}, block 0's Genesis transaction
                                 * body on a chain made before it carried the hash and parameters
                                 * (owned, NUL-terminated); NULL after eng_genesis_parse_lean,
                                 * eng_genesis_drop_accounts and eng_genesis_restore */
    const char *canonical;      /* the canonical JSON of the document inside body: canonical_len bytes, NOT
                                 * NUL-terminated (a '}' follows); NULL with body */
    size_t canonical_len;
    const char *accounts;       /* the accounts array text, [accounts, accounts_end): inside canonical, or
                                 * after eng_genesis_parse_lean the parsed document's own (borrowed);
                                 * NULL after eng_genesis_drop_accounts and eng_genesis_restore. The
                                 * accounts live only here, as text. */
    const char *accounts_end;
    eng_genesis_release_fn release; /* NULL, or told as each pass over the borrowed text passes each MiB
                                 * of it: the passes of eng_genesis_parse_lean, then block 0's walk of
                                 * the accounts (given to eng_genesis_parse_lean) */
    void *release_arg;
    char *params;               /* the canonical JSON with an empty accounts array: every parameter, a few
                                 * KB whatever the number of accounts (owned) */
    uint8_t hash[32];           /* keccak-256 of canonical: names the genesis once its accounts are dropped */
    uint8_t source_hash[32];    /* SHA-256 of the document's bytes as parsed: a restart given the very same
                                 * file knows it without parsing it (zero after eng_genesis_restore) */
} eng_genesis;

/* The largest genesis file conclaved reads: 256 MiB, about 2.8 million accounts of 18-decimal
 * balances (about 90 bytes each). A first start reads the file in a few passes, each holding about
 * a MiB of it at a time, and holds 20 bytes an account while it checks them; block 0 reads the
 * file again a MiB at a time (no canonical copy is kept); a restart reads only the parameters and
 * the hash, and hashes a given file a MiB at a time. */
#define ENG_GENESIS_MAX_BYTES (256L * 1024 * 1024)

/* Parses a genesis document of len bytes (no cJSON tree of the accounts is built, nor an array of
 * them: each is read from the text, checked and written into the canonical text). An entry of "accounts" is {"address", "balance"} with each key once and strings without
 * backslash escapes. Keys: "chainId" (number, 1..2^53-1), "time" (number,
 * seconds), "treasury" (amount string), "accounts" ([{"address", "balance"}], no duplicates),
 * "epochSecs" (number), "staking" (see eng_staking_params), "compute" (see eng_compute_params),
 * "rewards" ({"budgetPerEpoch", "decayPeriodSecs", "decayPpm", "treasuryPpm", "feePpm", "stepSecs",
 * and the economics as decimal strings with up to 36 decimals: "rho", "slashRate", "vMax", "costK",
 * "costB", "rigK", "rigB", "re"; defaults Phala's, see engine/params.c and docs/SETTLEMENT.md),
 * "enclave" ({"platform", "measurements", "workerMeasurements"}), "governance" ({"lockPeriodSecs",
 * "executionGraceSecs", "cancelBurnPpm", "tracks":
 * [{"name", "deposit", "threshold", "votingDelaySecs", "votingPeriodSecs", "enactmentDelaySecs",
 * "quorumPpm", "approvalPpm", "spendCap", "payloads": ["text"|"param"|"spend"|"enclave"]}]}; given
 * tracks replace the default root, treasury, params and enclave tracks).
 * Returns: ST_OK; ST_INVALID with err naming the problem; ST_NOMEM.
 * Out: g (release with eng_genesis_clear, after a failure too). */
int eng_genesis_parse(eng_genesis *g, char *err, size_t errlen, const char *json, size_t len)
    WARN_UNUSED NONNULL(1, 2, 4);
/* The same, keeping no canonical text: g borrows json's accounts array (g->accounts), so json must
 * stay as it is until eng_genesis_drop_accounts, and the canonical text is written again when block
 * 0 stores it (eng_genesis_each_account, and the engine's document store, which checks it against
 * g->hash). A first start of a million accounts thus holds no 92 MB copy of them. release (NULL:
 * none) is told, with release_arg, as each pass over json passes each MiB of it: finding the
 * accounts, checking them, hashing the bytes (eng_genesis.source_hash), and later block 0's walk
 * (g->release), so the owner may drop a mapped file's pages behind each pass. The bytes must read
 * the same in every pass: block 0 refuses accounts that no longer write g->hash. */
int eng_genesis_parse_lean(eng_genesis *g, char *err, size_t errlen, const char *json, size_t len,
                           eng_genesis_release_fn release, void *release_arg) WARN_UNUSED NONNULL(1, 2, 4);
/* Reads the NUL-terminated genesis text a MiB at a time, telling release (NULL: none), with
 * release_arg, as it passes each MiB, so the text's owner may drop what it has read.
 * Out: *len, the text's length; sha256 (NULL: not wanted), the SHA-256 of its bytes (what
 * eng_genesis.source_hash holds once it parses). */
void eng_genesis_read_text(size_t *len, uint8_t *sha256, const char *text, eng_genesis_release_fn release,
                           void *release_arg) NONNULL(1, 3);
/* Rebuilds a stored genesis from its params text (eng_genesis.params) and its hash, reading no
 * accounts: what a restart needs. g->n_accounts is 0 and g->body and g->canonical NULL.
 * Returns: ST_OK; ST_INVALID with err when params is not a genesis without accounts; ST_NOMEM.
 * Out: g (release with eng_genesis_clear, after a failure too). */
int eng_genesis_restore(eng_genesis *g, char *err, size_t errlen, const char *params, const uint8_t hash[32])
    WARN_UNUSED NONNULL(1, 2, 4, 5);
/* Walks the accounts of g's accounts text in order, calling each(arg, address, balance, index).
 * Returns: ST_OK after the last; ST_INVALID when g holds no accounts text (after
 * eng_genesis_drop_accounts or eng_genesis_restore); ST_NOMEM; else what each returned. */
int eng_genesis_each_account(const eng_genesis *g, eng_genesis_account_fn each, void *arg) WARN_UNUSED NONNULL(1, 2);
/* Frees g's canonical text and forgets its accounts text, keeping the parameters, params and
 * hashes: once block 0 holds the balances nothing reads them again. On glibc the freed heap is also
 * handed back to the system (malloc_trim). */
void eng_genesis_drop_accounts(eng_genesis *g) NONNULL(1);
/* Releases g once. Accepts NULL. */
void eng_genesis_clear(eng_genesis *g);

/* The development genesis as JSON text; caller frees with free(). NULL on out of memory.
 * platform, measurement and worker_measurement (each may be NULL) put this machine's simulated
 * platform, enclave binary and worker runtime in its "enclave" object, so a dev node settles epochs
 * and takes this build's workers out of the box. */
char *eng_genesis_dev_json(const uint8_t *platform, const uint8_t *measurement, const uint8_t *worker_measurement);
/* The secret key of development account i (0..9), 32 bytes. */
void eng_dev_key(uint8_t key[32], unsigned i);

#endif
