/* SPDX-License-Identifier: MIT */
/* sig.c: Ethereum-style secp256k1 signatures on libsecp256k1 (recovery module). Recovery enforces
 * the EIP-2 rules before the library sees the signature: 1 <= r < n and 1 <= s <= n/2, v in
 * {27, 28, 0, 1}, so each message has exactly one acceptable signature per key. Signing uses the
 * library's RFC 6979 nonces, whose output is already low-s, so it reproduces ethers and viem.
 * The one context of the process is made on first use under pthread_once and randomized (a
 * side-channel blinding) with getrandom(); after that it is only read, so all calls are thread-safe. */
#include "ledger/sig.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "ledger/hash.h"

/* The group order n and n/2, big-endian. */
static const uint8_t order_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};
static const uint8_t half_n[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
};
static const uint8_t zero[32];

static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;
static secp256k1_context *ctx;

static void ctx_make(void)
{
    uint8_t seed[32];
    size_t got = 0;
    ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!ctx) {
        fprintf(stderr, "sig: cannot create the secp256k1 context\n");
        abort();
    }
    while (got < sizeof seed) {
        ssize_t r = getrandom(seed + got, sizeof seed - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fprintf(stderr, "sig: getrandom failed: %s\n", strerror(errno));
            abort();
        }
        got += (size_t)r;
    }
    if (!secp256k1_context_randomize(ctx, seed))
        abort();
    explicit_bzero(seed, sizeof seed);
}

static const secp256k1_context *get_ctx(void)
{
    pthread_once(&ctx_once, ctx_make);
    return ctx;
}

const char *ledger_sig_defect(const uint8_t sig[65])
{
    if (memcmp(sig, zero, 32) == 0 || memcmp(sig, order_n, 32) >= 0)
        return "r is out of range";
    if (memcmp(sig + 32, zero, 32) == 0 || memcmp(sig + 32, order_n, 32) >= 0)
        return "s is out of range";
    if (memcmp(sig + 32, half_n, 32) > 0)
        return "s is not canonical (high s)";
    if (sig[64] != 27 && sig[64] != 28 && sig[64] != 0 && sig[64] != 1)
        return "v is not 27, 28, 0 or 1";
    return NULL;
}

void ledger_sig_pubkey_address(uint8_t addr[20], const uint8_t pub[64])
{
    uint8_t h[32];
    ledger_keccak256(h, pub, 64);
    memcpy(addr, h + 12, 20);
}

/* The address of a parsed public key. */
static void key_address(uint8_t addr[20], const secp256k1_context *c, const secp256k1_pubkey *pk)
{
    uint8_t ser[65];
    size_t len = sizeof ser;
    int ok = secp256k1_ec_pubkey_serialize(c, ser, &len, pk, SECP256K1_EC_UNCOMPRESSED);
    assert(ok && len == 65);
    (void)ok;
    ledger_sig_pubkey_address(addr, ser + 1);
}

int ledger_sig_recover(uint8_t addr[20], const uint8_t digest[32], const uint8_t sig[65])
{
    const secp256k1_context *c = get_ctx();
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pk;
    int recid;

    if (ledger_sig_defect(sig))
        return ST_CRYPTO;
    recid = sig[64] >= 27 ? sig[64] - 27 : sig[64];
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(c, &rs, sig, recid)
        || !secp256k1_ecdsa_recover(c, &pk, &rs, digest))
        return ST_CRYPTO;
    key_address(addr, c, &pk);
    return ST_OK;
}

int ledger_sig_sign(uint8_t sig[65], const uint8_t digest[32], const uint8_t key[32])
{
    const secp256k1_context *c = get_ctx();
    secp256k1_ecdsa_recoverable_signature rs;
    int recid;

    if (!secp256k1_ecdsa_sign_recoverable(c, &rs, digest, key, NULL, NULL))
        return ST_CRYPTO;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(c, sig, &recid, &rs);
    sig[64] = (uint8_t)(27 + recid);
    return ST_OK;
}

int ledger_sig_address(uint8_t addr[20], const uint8_t key[32])
{
    const secp256k1_context *c = get_ctx();
    secp256k1_pubkey pk;
    if (!secp256k1_ec_pubkey_create(c, &pk, key))
        return ST_CRYPTO;
    key_address(addr, c, &pk);
    return ST_OK;
}
