/* SPDX-License-Identifier: MIT */
/* ballot_key.c: the chain's one ballot key, as the enclave supervisor (enclave_link.c) keeps it at
 * each admission of an allowlisted enclave: its start, or the block that allowlists it while it runs
 * (docs/SECRET_BALLOTS.md, "Handing the ballot key to a new enclave build"). The key recorded first is the chain's: a running enclave that reports it (or
 * the first one, on a chain with none) has it recorded by an EnclaveBallotKey item, and its program
 * is kept under DATADIR/enclave/holders by measurement. One that reports another key (a new
 * build) first gets the chain's by a handover from a build that holds it, started just for that:
 * the one named by --handover-enclave, else each kept copy in turn; only then is the key it reports,
 * the chain's now, recorded. If none can be run, nothing is recorded and secret polls wait
 * (eng_count_state says so). Starting a holder blocks the loop as starting the enclave does. */
#include "engine/engine_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/compute.h"
#include "ledger/hex.h"

static char recording_key[] = "recording the enclave's ballot key";

int eng_enclave_set_handover(eng *e, const char *holder_path)
{
    char *copy = holder_path ? strdup(holder_path) : NULL;
    if (holder_path && !copy)
        return ST_NOMEM;
    free(e->handover_path);
    e->handover_path = copy;
    return ST_OK;
}

/* DIR/holders, where the programs that hold the chain's key are kept. Returns: ST_OK or ST_LIMIT. */
static int holders_dir(char dir[PATH_MAX], const eng *e)
{
    int n = snprintf(dir, PATH_MAX, "%s/holders", e->sealed_dir);
    return n > 0 && n < PATH_MAX ? ST_OK : ST_LIMIT;
}

/* Keeps a copy of the running program, which holds the chain's key; a failure is only logged (the
 * next upgrade then needs --handover-enclave). */
static void keep_holder(eng *e, const uint8_t measurement[32])
{
    char dir[PATH_MAX];
    int rc = holders_dir(dir, e);
    if (rc == ST_OK)
        rc = enc_holder_keep(dir, e->enclave_path, measurement);
    if (rc != ST_OK)
        fprintf(stderr, "conclaved: cannot keep a copy of %s in %s/holders (%s): a later enclave upgrade will need "
                        "--handover-enclave\n", e->enclave_path, e->sealed_dir, st_str(rc));
}

/* One attempt at the handover from the program at path (of measurement) to the running enclave. */
typedef struct handover_try {
    eng *e;
    const uint8_t *chain_key;          /* the key wanted */
    const uint8_t *running;            /* the running enclave's measurement */
    uint8_t key[LEDGER_BALLOT_KEY_LEN];  /* on success: the chain's key, signed by the running enclave */
    uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN];
} handover_try;

/* Starts the program at path, checks that it holds the chain's key and hands that key to the running
 * enclave. Returns: ST_OK (t->key, t->sig); ST_NOTFOUND when it could not (logged), for the next. */
static int try_holder(void *ctx, const char *path, const uint8_t measurement[32])
{
    handover_try *t = ctx;
    eng *e = t->e;
    enc_host *old = NULL;
    uint8_t key[LEDGER_BALLOT_KEY_LEN], sig[LEDGER_BALLOT_KEY_SIG_LEN], signer[20];
    char why[256] = "";
    if (memcmp(measurement, t->running, 32) == 0)
        return ST_NOTFOUND; /* the running build itself: it has another key */
    int rc = enc_host_start(&old, path, e->platform_secret_path, e->sealed_dir);
    if (rc != ST_OK)
        snprintf(why, sizeof why, "it does not start: %s", st_str(rc));
    else if ((rc = enc_host_ballot_key(old, e->genesis.chain_id, key, sig)) != ST_OK)
        snprintf(why, sizeof why, "it gives no ballot key: %s", st_str(rc));
    else if (memcmp(key, t->chain_key, sizeof key) != 0) {
        snprintf(why, sizeof why, "it does not hold the chain's ballot key");
        rc = ST_INVALID;
    } else if ((rc = enc_host_ballot_handover(old, e->enclave, e->genesis.chain_id, e->sealed_dir, t->key, t->sig, why,
                                            sizeof why)) == ST_OK
             && (memcmp(t->key, t->chain_key, sizeof t->key) != 0
                 || ledger_ballot_key_signer(signer, e->genesis.chain_id, t->key, t->sig) != ST_OK
                 || memcmp(signer, e->enclave_address, 20) != 0)) {
        snprintf(why, sizeof why, "the new enclave's key after the handover is not the chain's, signed by it");
        rc = ST_CRYPTO;
    }
    enc_host_stop(old, NULL);
    if (rc != ST_OK) {
        fprintf(stderr, "conclaved: no ballot key handover from %s: %s\n", path, why);
        return ST_NOTFOUND;
    }
    fprintf(stderr, "conclaved: the enclave got the chain's ballot key by a handover from %s\n", path);
    return ST_OK;
}

/* The handover to the running enclave (of measurement, allowlisted) from --handover-enclave, else
 * from each kept holder. Returns: ST_OK with t->key and t->sig; ST_NOTFOUND if none could (logged). */
static int hand_over(eng *e, handover_try *t)
{
    int rc = ST_NOTFOUND;
    char dir[PATH_MAX];
    if (e->handover_path) {
        uint8_t m[32];
        if (enc_measure_file(m, e->handover_path) != ST_OK)
            fprintf(stderr, "conclaved: cannot read the --handover-enclave program %s\n", e->handover_path);
        else if (memcmp(m, t->running, 32) == 0)
            fprintf(stderr, "conclaved: the --handover-enclave program %s is the running build, which has another "
                            "ballot key\n", e->handover_path);
        else
            rc = try_holder(t, e->handover_path, m);
    }
    if (rc == ST_NOTFOUND && holders_dir(dir, e) == ST_OK && (rc = enc_holder_each(dir, try_holder, t)) == ST_IO)
        fprintf(stderr, "conclaved: cannot read %s\n", dir);
    return rc == ST_OK ? ST_OK : ST_NOTFOUND;
}

int eng_ballot_key_fetch(eng *e, const uint8_t measurement[32], bool registered)
{
    uint8_t key[LEDGER_BALLOT_KEY_LEN], sig[LEDGER_BALLOT_KEY_SIG_LEN], signer[20], chain_key[LEDGER_BALLOT_KEY_LEN],
        stored_key[LEDGER_BALLOT_KEY_LEN], stored_sig[LEDGER_BALLOT_KEY_SIG_LEN];
    int rc = enc_host_ballot_key(e->enclave, e->genesis.chain_id, key, sig);
    if (rc != ST_OK) {
        fprintf(stderr, "conclaved: the enclave gave no ballot key (%s); secret polls wait for one that does\n", st_str(rc));
        return rc == ST_INVALID ? ST_OK : rc;
    }
    if (ledger_ballot_key_signer(signer, e->genesis.chain_id, key, sig) != ST_OK || memcmp(signer, e->enclave_address, 20) != 0) {
        fprintf(stderr, "conclaved: the enclave's ballot key is not signed by its identity; secret polls wait\n");
        return ST_OK;
    }
    rc = ledger_chain_ballot_key(e->ledger, chain_key, NULL);
    if (rc != ST_OK && rc != ST_NOTFOUND)
        return rc;
    if (rc == ST_OK && memcmp(chain_key, key, sizeof key) != 0) {
        /* a new build: its own key must never be published on a chain that has one */
        handover_try t = { .e = e, .chain_key = chain_key, .running = measurement };
        if (hand_over(e, &t) != ST_OK) {
            char hex[2 * LEDGER_BALLOT_KEY_LEN + 3];
            ledger_hex_encode(hex, chain_key, sizeof chain_key);
            fprintf(stderr, "conclaved: the enclave does not hold the chain's ballot key %s and no enclave build that "
                            "holds it could be run for the handover (%s/holders, or --handover-enclave PATH); "
                            "nothing is recorded and secret polls wait\n", hex, e->sealed_dir);
            e->handover_wanted = true;
            return ST_OK;
        }
        memcpy(key, t.key, sizeof key);
        memcpy(sig, t.sig, sizeof sig);
    }
    keep_holder(e, measurement);
    if (registered && (rc = ledger_enclave_ballot_key(e->ledger, e->enclave_address, stored_key, stored_sig)) == ST_OK
        && memcmp(stored_key, key, sizeof key) == 0 && memcmp(stored_sig, sig, sizeof sig) == 0)
        return ST_OK;
    if (registered && rc != ST_OK && rc != ST_NOTFOUND)
        return rc;
    return eng_enclave_hold(e, eng_system_enclave_ballot_key(e->enclave_address, key, sig), recording_key);
}
