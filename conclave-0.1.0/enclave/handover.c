/* SPDX-License-Identifier: MIT */
/* handover.c: the ballot key's handover between enclave builds (see handover.h). Both sides check
 * quotes with enc_quote_verify, whose recovery uses ledger/sig's context: conclave-enclave makes that
 * context before it confines itself. The ephemeral secret, the derived keys and the opened secret
 * stay in fixed-size stack buffers, wiped before each return. */
#include "enclave/handover.h"

#include <nettle/hmac.h>
#include <secp256k1_recovery.h>
#include <string.h>
#include "enclave/quote.h"
#include "ledger/hash.h"
#include "ledger/sig.h"

#define LABEL_LEN (sizeof ENC_HANDOVER_LABEL - 1)
#define OFF_CHAIN 1
#define OFF_OLD_QUOTE 9
#define OFF_NEW_MEAS (OFF_OLD_QUOTE + ENC_QUOTE_LEN)
#define OFF_NEW_PUB (OFF_NEW_MEAS + 32)
#define OFF_BALLOT_KEY (OFF_NEW_PUB + 64)
#define OFF_E (OFF_BALLOT_KEY + LEDGER_BALLOT_KEY_LEN)
#define OFF_IV (OFF_E + LEDGER_BALLOT_KEY_LEN)
#define OFF_CT (OFF_IV + LEDGER_BALLOT_IV_LEN)
#define OFF_TAG (OFF_CT + 32)
#define OFF_SIG (OFF_TAG + LEDGER_BALLOT_TAG_LEN)
#define AD_LEN (LABEL_LEN + 8 + 32 + 32 + LEDGER_BALLOT_KEY_LEN)

_Static_assert(OFF_SIG == ENC_HANDOVER_BODY_LEN, "the body ends where the signature starts");
_Static_assert(OFF_SIG + 65 == ENC_HANDOVER_LEN, "the blob's length");

static void put_u64(uint8_t *out, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

/* AD = label || chainId || old measurement || new measurement || ballotKey, from a blob's body. */
static void handover_ad(uint8_t ad[AD_LEN], const uint8_t *blob, const uint8_t old_measurement[32])
{
    memcpy(ad, ENC_HANDOVER_LABEL, LABEL_LEN);
    memcpy(ad + LABEL_LEN, blob + OFF_CHAIN, 8);
    memcpy(ad + LABEL_LEN + 8, old_measurement, 32);
    memcpy(ad + LABEL_LEN + 40, blob + OFF_NEW_MEAS, 32);
    memcpy(ad + LABEL_LEN + 72, blob + OFF_BALLOT_KEY, LEDGER_BALLOT_KEY_LEN);
}

/* keccak256(label || body): what the old identity signs. */
static void handover_digest(uint8_t digest[32], const uint8_t *blob)
{
    ledger_keccak k;
    ledger_keccak_init(&k);
    ledger_keccak_update(&k, ENC_HANDOVER_LABEL, LABEL_LEN);
    ledger_keccak_update(&k, blob, ENC_HANDOVER_BODY_LEN);
    ledger_keccak_final(&k, digest);
}

/* X || Y to the compressed form. Returns: ST_OK or ST_CRYPTO if it is not a point. */
static int compress(const secp256k1_context *ctx, uint8_t out[LEDGER_BALLOT_KEY_LEN], const uint8_t pub[64])
{
    uint8_t ser[65];
    size_t len = LEDGER_BALLOT_KEY_LEN;
    secp256k1_pubkey pk;
    ser[0] = 0x04;
    memcpy(ser + 1, pub, 64);
    if (!secp256k1_ec_pubkey_parse(ctx, &pk, ser, sizeof ser))
        return ST_CRYPTO;
    secp256k1_ec_pubkey_serialize(ctx, out, &len, &pk, SECP256K1_EC_COMPRESSED);
    return ST_OK;
}

/* The ephemeral secret for a recipient: HMAC-SHA256(ballot secret, label || chainId || new
 * measurement || new key || counter), the first valid scalar for counter 0, 1, ... */
static void ephemeral(const secp256k1_context *ctx, uint8_t e[32], const uint8_t ballot_secret[32], const uint8_t *blob)
{
    struct hmac_sha256_ctx mac;
    for (uint8_t counter = 0;; counter++) {
        hmac_sha256_set_key(&mac, 32, ballot_secret);
        hmac_sha256_update(&mac, LABEL_LEN, (const uint8_t *)ENC_HANDOVER_LABEL);
        hmac_sha256_update(&mac, 8, blob + OFF_CHAIN);
        hmac_sha256_update(&mac, 32 + 64, blob + OFF_NEW_MEAS);
        hmac_sha256_update(&mac, 1, &counter);
        hmac_sha256_digest(&mac, 32, e);
        if (secp256k1_ec_seckey_verify(ctx, e))
            break;
    }
    explicit_bzero(&mac, sizeof mac);
}

int enc_handover_export(const secp256k1_context *ctx, uint8_t blob[ENC_HANDOVER_LEN], const char **why,
                        const enc_platform *p, const uint8_t platform_addr[20], const uint8_t identity[32],
                        const uint8_t identity_pub[64], const uint8_t ballot_secret[32], uint64_t chain_id,
                        const uint8_t *new_quote, size_t quote_len)
{
    secp256k1_ecdsa_recoverable_signature rs;
    uint8_t e[32], ad[AD_LEN], recipient[LEDGER_BALLOT_KEY_LEN], digest[32];
    static const uint8_t zero_iv[LEDGER_BALLOT_IV_LEN];
    enc_quote q;
    int recid = 0, rc;

    if (quote_len != ENC_QUOTE_LEN || enc_quote_verify(&q, new_quote, quote_len, platform_addr) != ST_OK
        || q.kind != ENC_QUOTE_ENCLAVE) {
        *why = "the new quote is not an enclave quote of this platform";
        return ST_INVALID;
    }
    if (q.chain_id != chain_id) {
        *why = "the new quote is for another chain";
        return ST_INVALID;
    }
    if (memcmp(q.measurement, p->measurement, 32) == 0) {
        *why = "the new enclave has this enclave's measurement: it has the key already";
        return ST_INVALID;
    }
    if (compress(ctx, recipient, q.enclave_pub) != ST_OK) {
        *why = "the new quote's key is not a point";
        return ST_INVALID;
    }
    *why = "a key operation failed";
    blob[0] = ENC_HANDOVER_VERSION;
    put_u64(blob + OFF_CHAIN, chain_id);
    if (enc_platform_quote(ctx, blob + OFF_OLD_QUOTE, p, identity_pub, chain_id) != ST_OK)
        return ST_CRYPTO;
    memcpy(blob + OFF_NEW_MEAS, q.measurement, 32);
    memcpy(blob + OFF_NEW_PUB, q.enclave_pub, 64);
    if (ledger_ballot_key(ctx, blob + OFF_BALLOT_KEY, ballot_secret) != ST_OK)
        return ST_CRYPTO;
    memcpy(blob + OFF_IV, zero_iv, sizeof zero_iv);  /* the AES key is used once: its e is per recipient */
    ephemeral(ctx, e, ballot_secret, blob);
    handover_ad(ad, blob, p->measurement);
    rc = ledger_box_seal(ctx, blob + OFF_E, blob + OFF_CT, blob + OFF_TAG, recipient, ENC_HANDOVER_LABEL, ad,
                         sizeof ad, ballot_secret, 32, e, zero_iv);
    explicit_bzero(e, sizeof e);
    if (rc != ST_OK)
        return ST_CRYPTO;
    handover_digest(digest, blob);
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &rs, digest, identity, NULL, NULL))
        return ST_CRYPTO;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, blob + OFF_SIG, &recid, &rs);
    blob[OFF_SIG + 64] = (uint8_t)(27 + recid);
    *why = "";
    return ST_OK;
}

int enc_handover_import(const secp256k1_context *ctx, uint8_t ballot_secret[32], uint64_t *chain_id, const char **why,
                        const enc_platform *p, const uint8_t platform_addr[20], const uint8_t identity[32],
                        const uint8_t identity_pub[64], const uint8_t *blob, size_t len)
{
    uint8_t ad[AD_LEN], digest[32], signer[20], old_addr[20], key[LEDGER_BALLOT_KEY_LEN];
    enc_quote old;

    explicit_bzero(ballot_secret, 32);
    if (len != ENC_HANDOVER_LEN || blob[0] != ENC_HANDOVER_VERSION) {
        *why = "the blob is not a version 1 handover of 466 bytes";
        return ST_INVALID;
    }
    if (enc_quote_verify(&old, blob + OFF_OLD_QUOTE, ENC_QUOTE_LEN, platform_addr) != ST_OK
        || old.kind != ENC_QUOTE_ENCLAVE) {
        *why = "the old quote is not an enclave quote of this platform";
        return ST_INVALID;
    }
    if (old.chain_id != get_u64(blob + OFF_CHAIN)) {
        *why = "the old quote is for another chain";
        return ST_INVALID;
    }
    if (memcmp(blob + OFF_NEW_MEAS, p->measurement, 32) != 0 || memcmp(blob + OFF_NEW_PUB, identity_pub, 64) != 0) {
        *why = "the handover is for another enclave";
        return ST_INVALID;
    }
    handover_digest(digest, blob);
    ledger_sig_pubkey_address(old_addr, old.enclave_pub);
    if (ledger_sig_recover(signer, digest, blob + OFF_SIG) != ST_OK || memcmp(signer, old_addr, 20) != 0) {
        *why = "the handover is not signed by the old quote's enclave";
        return ST_INVALID;
    }
    handover_ad(ad, blob, old.measurement);
    if (ledger_box_open(ctx, ballot_secret, identity, ENC_HANDOVER_LABEL, ad, sizeof ad, blob + OFF_E, blob + OFF_IV,
                        blob + OFF_CT, 32, blob + OFF_TAG) != ST_OK) {
        *why = "the ballot secret does not open";
        return ST_INVALID;
    }
    if (ledger_ballot_key(ctx, key, ballot_secret) != ST_OK || memcmp(key, blob + OFF_BALLOT_KEY, sizeof key) != 0) {
        explicit_bzero(ballot_secret, 32);
        *why = "the secret is not the named ballot key";
        return ST_INVALID;
    }
    *chain_id = old.chain_id;
    *why = "";
    return ST_OK;
}

void enc_handover_seal(uint8_t out[ENC_SEAL_FILE_LEN], const enc_platform *p, const uint8_t ballot_secret[32])
{
    static const char nonce_label[] = "conclave ballot import nonce";
    struct hmac_sha256_ctx mac;
    uint8_t seal_key[32], mac_out[32];

    enc_platform_seal_key(seal_key, p);
    hmac_sha256_set_key(&mac, sizeof seal_key, seal_key);
    hmac_sha256_update(&mac, sizeof nonce_label - 1, (const uint8_t *)nonce_label);
    hmac_sha256_update(&mac, 32, ballot_secret);
    hmac_sha256_digest(&mac, sizeof mac_out, mac_out);
    enc_seal_serialize(out, seal_key, p->measurement, ballot_secret, mac_out);
    explicit_bzero(&mac, sizeof mac);
    explicit_bzero(seal_key, sizeof seal_key);
    explicit_bzero(mac_out, sizeof mac_out);
}
