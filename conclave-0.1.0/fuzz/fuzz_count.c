/* SPDX-License-Identifier: MIT */
/* fuzz_count.c: a secret poll count's parsers (enclave/count_report.c, enclave/count.c,
 * ledger/ballot_box.c). The first byte picks what the rest is: 0 a COUNT_BEGIN header (parsed inside
 * the enclave), 1 a count report with its signature (parsed by conclaved and `conclave
 * verify-poll`), 2 a COUNT_CHUNK for a single-choice poll of 3 choices (the second byte says how
 * many ballots were announced, the header's ballotsHash is the chunk's own; the ballots are opened
 * with a fixed ballot key, so the corpus's ballots sealed to it reach the counting), 3 the same for
 * ranked-choice.
 * Invariants: what parses serializes back to exactly its input; a chunk is counted or refused with
 * a reason and the count dropped, never half-read; a complete count's report adds up (valid +
 * invalid = the ballots received). */
#include "fuzz/fuzz.h"

#include <secp256k1.h>
#include <string.h>
#include "enclave/count.h"
#include "enclave/count_report.h"
#include "governance/poll.h"
#include "ledger/ballot_box.h"

static void header(const uint8_t *data, size_t size)
{
    enc_count_header h;
    uint8_t back[ENC_COUNT_HEADER_LEN];
    const char *why = NULL;
    if (enc_count_header_parse(&h, &why, data, size) != ST_OK) {
        FUZZ_CHECK(why && *why);
        return;
    }
    enc_count_header_serialize(back, &h);
    FUZZ_CHECK(size == sizeof back && memcmp(back, data, size) == 0);
}

static void report(const uint8_t *data, size_t size)
{
    enc_count_report r;
    uint8_t back[ENC_COUNT_REPORT_MAX + ENC_COUNT_SIG_LEN];
    size_t len = 0;
    const char *why = NULL;
    if (enc_count_report_parse(&r, &why, data, size) != ST_OK) {
        FUZZ_CHECK(why && *why);
        return;
    }
    FUZZ_CHECK(r.valid + (uint64_t)r.invalid == r.count);
    FUZZ_CHECK(enc_count_report_serialize(back, sizeof back, &len, &r) == ST_OK);
    FUZZ_CHECK(len == size && memcmp(back, data, size) == 0);
}

/* The ballotsHash of the whole ballots at the start of a chunk, as the host computes it. */
static void list_hash(uint8_t out[32], const uint8_t *p, size_t n)
{
    ledger_ballots_hash h;
    ledger_ballots_hash_init(&h);
    while (n >= ENC_COUNT_BALLOT_FIXED) {
        size_t len = (size_t)p[52] << 8 | p[53];
        if (n - ENC_COUNT_BALLOT_FIXED < len)
            break;
        ledger_ballots_hash_add(&h, p, p + 20, p + ENC_COUNT_BALLOT_FIXED, len);
        p += ENC_COUNT_BALLOT_FIXED + len;
        n -= ENC_COUNT_BALLOT_FIXED + len;
    }
    ledger_ballots_hash_final(&h, out);
}

/* The fixed ballot secret of the corpus's chunks: 32 bytes of 0x3c. */
static void chunk(enum gov_poll_system system, const uint8_t *data, size_t size)
{
    static const uint8_t measurement[32];
    uint8_t secret[32];
    enc_count_header h = { .chain_id = 5, .proposal = 6, .system = (uint8_t)system, .n_choices = 3 };
    enc_count_report r;
    char why[128];
    enc_count *c;
    secp256k1_context *ctx;

    if (size < 1)
        return;
    h.n_ballots = data[0];
    list_hash(h.ballots_hash, data + 1, size - 1);
    memset(secret, 0x3c, sizeof secret);
    ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    c = enc_count_new();
    FUZZ_CHECK(ctx && c);
    FUZZ_CHECK(enc_count_begin(c, &h) == ST_OK);
    int rc = enc_count_chunk(c, why, sizeof why, ctx, secret, data + 1, size - 1);
    FUZZ_CHECK(rc == ST_OK || rc == ST_INVALID || rc == ST_NOMEM);
    FUZZ_CHECK(rc == ST_OK ? enc_count_active(c) : !enc_count_active(c) && why[0] != '\0');
    if (rc == ST_OK && enc_count_complete(c)) {
        rc = enc_count_finish(c, &r, why, sizeof why, measurement);
        FUZZ_CHECK(!enc_count_active(c));
        /* refused only when the weights add up to 2^256 or more */
        FUZZ_CHECK(rc == ST_OK || rc == ST_NOMEM || (rc == ST_INVALID && strstr(why, "256 bits")));
        if (rc == ST_OK)
            FUZZ_CHECK(r.count == h.n_ballots && r.valid + (uint64_t)r.invalid == r.count && r.n_choices == 3);
    }
    enc_count_free(c);
    secp256k1_context_destroy(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 4) {
    case 0: header(data + 1, size - 1); break;
    case 1: report(data + 1, size - 1); break;
    case 2: chunk(GOV_POLL_SINGLE_CHOICE, data + 1, size - 1); break;
    default: chunk(GOV_POLL_RANKED_CHOICE, data + 1, size - 1); break;
    }
    return 0;
}
