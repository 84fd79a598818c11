/* SPDX-License-Identifier: MIT */
/* ballot_box.c: sealing and opening secret ballots (ECDH on libsecp256k1, HKDF-SHA256 and
 * AES-256-GCM on nettle), the ballots' list hash and the ballot key's signature digest; the format
 * is in ballot_box.h and docs/SECRET_BALLOTS.md. The shared x-coordinate, the derived key, the
 * cipher state and the plaintext stay in fixed-size stack buffers and are wiped before each return;
 * the tag is compared with nettle's memeql_sec, and a ballot whose tag fails yields no byte of its
 * decryption. Opening takes no branch on secret data until the tag has verified. */
#include "ledger/ballot_box.h"

#include <nettle/gcm.h>
#include <nettle/hkdf.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_recovery.h>
#include <string.h>
#include "ledger/hash.h"
#include "ledger/sig.h"

#define OFF_E 1
#define OFF_IV (OFF_E + LEDGER_BALLOT_KEY_LEN)
#define OFF_CT (OFF_IV + LEDGER_BALLOT_IV_LEN)
#define LABEL_LEN (sizeof LEDGER_BALLOT_LABEL - 1)

static const char key_label[] = "conclave ballot key v1";

bool ledger_ballot_len_ok(size_t len)
{
    return len >= LEDGER_BALLOT_MIN_LEN && len <= LEDGER_BALLOT_MAX_LEN
        && (len - LEDGER_BALLOT_OVERHEAD) % LEDGER_BALLOT_BLOCK == 0;
}

size_t ledger_ballot_sealed_len(size_t text_len)
{
    return LEDGER_BALLOT_OVERHEAD + (text_len + LEDGER_BALLOT_BLOCK - 1) / LEDGER_BALLOT_BLOCK * LEDGER_BALLOT_BLOCK;
}

static void put_u64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

void ledger_ballot_ad(uint8_t ad[LEDGER_BALLOT_AD_LEN], uint64_t chain_id, uint64_t proposal, const uint8_t voter[20])
{
    memcpy(ad, LEDGER_BALLOT_LABEL, LABEL_LEN);
    put_u64(ad + LABEL_LEN, chain_id);
    put_u64(ad + LABEL_LEN + 8, proposal);
    memcpy(ad + LABEL_LEN + 16, voter, 20);
}

/* secp256k1_ecdh's hash function: the shared point's x-coordinate, as it is. */
static int copy_x(unsigned char *out, const unsigned char *x32, const unsigned char *y32, void *data)
{
    (void)y32;
    (void)data;
    memcpy(out, x32, 32);
    return 1;
}

static void mac_update(void *ctx, size_t len, const uint8_t *data)
{
    hmac_sha256_update(ctx, len, data);
}

static void mac_digest(void *ctx, size_t len, uint8_t *out)
{
    hmac_sha256_digest(ctx, len, out);
}

/* The AES key: HKDF-SHA256(IKM = x(scalar·point), salt = E || R, info = label, 32 bytes).
 * Returns: ST_OK, or ST_CRYPTO if ECDH fails (key wiped). Out: key (a secret). In: point the
 * public key to multiply (R when sealing, E when opening), scalar the secret (e or r). */
static int derive_key(const secp256k1_context *ctx, uint8_t key[32], const secp256k1_pubkey *point,
                      const uint8_t scalar[32], const uint8_t e_ser[LEDGER_BALLOT_KEY_LEN],
                      const uint8_t r_ser[LEDGER_BALLOT_KEY_LEN], const char *label)
{
    struct hmac_sha256_ctx mac;
    uint8_t shared[32], salt[2 * LEDGER_BALLOT_KEY_LEN], prk[SHA256_DIGEST_SIZE];

    if (!secp256k1_ecdh(ctx, shared, point, scalar, copy_x, NULL)) {
        explicit_bzero(shared, sizeof shared);
        explicit_bzero(key, 32);
        return ST_CRYPTO;
    }
    memcpy(salt, e_ser, LEDGER_BALLOT_KEY_LEN);
    memcpy(salt + LEDGER_BALLOT_KEY_LEN, r_ser, LEDGER_BALLOT_KEY_LEN);
    hmac_sha256_set_key(&mac, sizeof salt, salt);
    hkdf_extract(&mac, mac_update, mac_digest, SHA256_DIGEST_SIZE, sizeof shared, shared, prk);
    hmac_sha256_set_key(&mac, sizeof prk, prk);
    hkdf_expand(&mac, mac_update, mac_digest, SHA256_DIGEST_SIZE, strlen(label), (const uint8_t *)label, 32, key);
    explicit_bzero(shared, sizeof shared);
    explicit_bzero(prk, sizeof prk);
    explicit_bzero(&mac, sizeof mac);
    return ST_OK;
}

/* Parses a compressed point (33 bytes starting 0x02 or 0x03). Returns: true if it is one. */
static bool parse_compressed(const secp256k1_context *ctx, secp256k1_pubkey *pk, const uint8_t ser[LEDGER_BALLOT_KEY_LEN])
{
    return (ser[0] == 0x02 || ser[0] == 0x03) && secp256k1_ec_pubkey_parse(ctx, pk, ser, LEDGER_BALLOT_KEY_LEN);
}

static void serialize_compressed(const secp256k1_context *ctx, uint8_t out[LEDGER_BALLOT_KEY_LEN],
                                 const secp256k1_pubkey *pk)
{
    size_t len = LEDGER_BALLOT_KEY_LEN;
    (void)secp256k1_ec_pubkey_serialize(ctx, out, &len, pk, SECP256K1_EC_COMPRESSED);
}

int ledger_ballot_key(const secp256k1_context *ctx, uint8_t key[LEDGER_BALLOT_KEY_LEN], const uint8_t ballot_secret[32])
{
    secp256k1_pubkey pk;
    if (!secp256k1_ec_pubkey_create(ctx, &pk, ballot_secret)) {
        memset(key, 0, LEDGER_BALLOT_KEY_LEN);
        return ST_CRYPTO;
    }
    serialize_compressed(ctx, key, &pk);
    return ST_OK;
}

/* Keys AES-256-GCM with key and iv and feeds it the associated data: what sealing and opening share. */
static void gcm_start(struct gcm_aes256_ctx *gcm, const uint8_t key[32], const uint8_t iv[LEDGER_BALLOT_IV_LEN],
                      const uint8_t *ad, size_t ad_len)
{
    gcm_aes256_set_key(gcm, key);
    gcm_aes256_set_iv(gcm, LEDGER_BALLOT_IV_LEN, iv);
    if (ad_len)
        gcm_aes256_update(gcm, ad_len, ad);
}

int ledger_box_seal(const secp256k1_context *ctx, uint8_t e_pub[LEDGER_BALLOT_KEY_LEN], uint8_t *ct,
                    uint8_t tag[LEDGER_BALLOT_TAG_LEN], const uint8_t recipient[LEDGER_BALLOT_KEY_LEN],
                    const char *label, const uint8_t *ad, size_t ad_len, const uint8_t *plain, size_t len,
                    const uint8_t eph_secret[32], const uint8_t iv[LEDGER_BALLOT_IV_LEN])
{
    struct gcm_aes256_ctx gcm;
    secp256k1_pubkey r_pub, e_pk;
    uint8_t key[32];
    int rc;

    if (!parse_compressed(ctx, &r_pub, recipient) || !secp256k1_ec_pubkey_create(ctx, &e_pk, eph_secret))
        return ST_CRYPTO;
    serialize_compressed(ctx, e_pub, &e_pk);
    rc = derive_key(ctx, key, &r_pub, eph_secret, e_pub, recipient, label);
    if (rc != ST_OK)
        return rc;
    gcm_start(&gcm, key, iv, ad, ad_len);
    gcm_aes256_encrypt(&gcm, len, ct, plain);
    gcm_aes256_digest(&gcm, LEDGER_BALLOT_TAG_LEN, tag);
    explicit_bzero(&gcm, sizeof gcm);
    explicit_bzero(key, sizeof key);
    return ST_OK;
}

/* ledger_box_open with the recipient's public key R (compressed) given: r_ser must be the secret's,
 * or the derived key differs and the tag fails. */
static int box_open_keyed(const secp256k1_context *ctx, uint8_t *plain, const uint8_t recipient_secret[32],
                          const uint8_t r_ser[LEDGER_BALLOT_KEY_LEN], const char *label, const uint8_t *ad, size_t ad_len,
                          const uint8_t e_pub[LEDGER_BALLOT_KEY_LEN], const uint8_t iv[LEDGER_BALLOT_IV_LEN],
                          const uint8_t *ct, size_t len, const uint8_t tag[LEDGER_BALLOT_TAG_LEN])
{
    struct gcm_aes256_ctx gcm;
    secp256k1_pubkey e_pk;
    uint8_t key[32], got[LEDGER_BALLOT_TAG_LEN];
    int rc, ok;

    if (!parse_compressed(ctx, &e_pk, e_pub))
        return ST_CRYPTO;
    rc = derive_key(ctx, key, &e_pk, recipient_secret, e_pub, r_ser, label);
    if (rc != ST_OK)
        return rc;
    gcm_start(&gcm, key, iv, ad, ad_len);
    gcm_aes256_decrypt(&gcm, len, plain, ct);
    gcm_aes256_digest(&gcm, sizeof got, got);
    ok = memeql_sec(got, tag, sizeof got);
    explicit_bzero(&gcm, sizeof gcm);
    explicit_bzero(key, sizeof key);
    if (!ok) {
        explicit_bzero(plain, len);
        return ST_CRYPTO;
    }
    return ST_OK;
}

int ledger_box_open(const secp256k1_context *ctx, uint8_t *plain, const uint8_t recipient_secret[32],
                    const char *label, const uint8_t *ad, size_t ad_len, const uint8_t e_pub[LEDGER_BALLOT_KEY_LEN],
                    const uint8_t iv[LEDGER_BALLOT_IV_LEN], const uint8_t *ct, size_t len,
                    const uint8_t tag[LEDGER_BALLOT_TAG_LEN])
{
    uint8_t r_ser[LEDGER_BALLOT_KEY_LEN];
    if (ledger_ballot_key(ctx, r_ser, recipient_secret) != ST_OK)
        return ST_CRYPTO;
    return box_open_keyed(ctx, plain, recipient_secret, r_ser, label, ad, ad_len, e_pub, iv, ct, len, tag);
}

int ledger_ballot_seal(const secp256k1_context *ctx, uint8_t *out, size_t cap, size_t *out_len,
                       const uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN], uint64_t chain_id, uint64_t proposal,
                       const uint8_t voter[20], const char *text, size_t text_len,
                       const uint8_t eph_secret[32], const uint8_t iv[LEDGER_BALLOT_IV_LEN])
{
    uint8_t ad[LEDGER_BALLOT_AD_LEN], plain[LEDGER_BALLOT_TEXT_MAX];
    size_t padded, len;
    int rc;

    if (text_len == 0 || text_len > LEDGER_BALLOT_TEXT_MAX || memchr(text, 0, text_len) != NULL)
        return ST_INVALID;
    len = ledger_ballot_sealed_len(text_len);
    padded = len - LEDGER_BALLOT_OVERHEAD;
    if (cap < len)
        return ST_LIMIT;
    memcpy(plain, text, text_len);
    memset(plain + text_len, 0, padded - text_len);
    ledger_ballot_ad(ad, chain_id, proposal, voter);
    rc = ledger_box_seal(ctx, out + OFF_E, out + OFF_CT, out + OFF_CT + padded, ballot_key, LEDGER_BALLOT_LABEL, ad,
                         sizeof ad, plain, padded, eph_secret, iv);
    explicit_bzero(plain, padded);
    if (rc != ST_OK)
        return rc;
    out[0] = LEDGER_BALLOT_VERSION;
    memcpy(out + OFF_IV, iv, LEDGER_BALLOT_IV_LEN);
    *out_len = len;
    return ST_OK;
}

/* Finds the text's end in the padded bytes and checks the padding. Runs on a decrypted, authentic
 * ballot only (its text is then the voter's own, and its length is public in the padded size
 * anyway to the block). Returns: ST_OK with *text_len, or ST_INVALID. */
static int unpad(size_t *text_len, const char *plain, size_t padded)
{
    const char *nul = memchr(plain, 0, padded);
    size_t n = nul ? (size_t)(nul - plain) : padded;
    for (size_t i = n; i < padded; i++)
        if (plain[i] != 0)
            return ST_INVALID;
    if (n == 0)
        return ST_INVALID;
    *text_len = n;
    return ST_OK;
}

int ledger_ballot_open_keyed(const secp256k1_context *ctx, char text[LEDGER_BALLOT_TEXT_MAX + 1], size_t *text_len,
                             const uint8_t ballot_secret[32], const uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN],
                             uint64_t chain_id, uint64_t proposal, const uint8_t voter[20], const uint8_t *sealed, size_t len)
{
    uint8_t ad[LEDGER_BALLOT_AD_LEN];
    size_t padded;
    int rc;

    explicit_bzero(text, LEDGER_BALLOT_TEXT_MAX + 1);
    *text_len = 0;
    if (!ledger_ballot_len_ok(len) || sealed[0] != LEDGER_BALLOT_VERSION)
        return ST_INVALID;
    padded = len - LEDGER_BALLOT_OVERHEAD;
    ledger_ballot_ad(ad, chain_id, proposal, voter);
    rc = box_open_keyed(ctx, (uint8_t *)text, ballot_secret, ballot_key, LEDGER_BALLOT_LABEL, ad, sizeof ad,
                        sealed + OFF_E, sealed + OFF_IV, sealed + OFF_CT, padded, sealed + OFF_CT + padded);
    if (rc == ST_OK)
        rc = unpad(text_len, text, padded);
    if (rc != ST_OK) {
        explicit_bzero(text, LEDGER_BALLOT_TEXT_MAX + 1);
        *text_len = 0;
    }
    return rc;
}

int ledger_ballot_open(const secp256k1_context *ctx, char text[LEDGER_BALLOT_TEXT_MAX + 1], size_t *text_len,
                       const uint8_t ballot_secret[32], uint64_t chain_id, uint64_t proposal,
                       const uint8_t voter[20], const uint8_t *sealed, size_t len)
{
    uint8_t key[LEDGER_BALLOT_KEY_LEN];
    if (ledger_ballot_key(ctx, key, ballot_secret) != ST_OK) {
        explicit_bzero(text, LEDGER_BALLOT_TEXT_MAX + 1);
        *text_len = 0;
        return ledger_ballot_len_ok(len) && sealed[0] == LEDGER_BALLOT_VERSION ? ST_CRYPTO : ST_INVALID;
    }
    return ledger_ballot_open_keyed(ctx, text, text_len, ballot_secret, key, chain_id, proposal, voter, sealed, len);
}

void ledger_ballot_key_digest(uint8_t digest[32], uint64_t chain_id, const uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN])
{
    uint8_t msg[sizeof key_label - 1 + 8 + LEDGER_BALLOT_KEY_LEN];
    memcpy(msg, key_label, sizeof key_label - 1);
    put_u64(msg + sizeof key_label - 1, chain_id);
    memcpy(msg + sizeof key_label - 1 + 8, ballot_key, LEDGER_BALLOT_KEY_LEN);
    ledger_keccak256(digest, msg, sizeof msg);
}

int ledger_ballot_key_sign(const secp256k1_context *ctx, uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN], uint64_t chain_id,
                           const uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN], const uint8_t identity[32])
{
    secp256k1_ecdsa_recoverable_signature rs;
    uint8_t digest[32];
    int recid = 0;

    ledger_ballot_key_digest(digest, chain_id, ballot_key);
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &rs, digest, identity, NULL, NULL))
        return ST_CRYPTO;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig, &recid, &rs);
    sig[64] = (uint8_t)(27 + recid);
    return ST_OK;
}

int ledger_ballot_key_signer(uint8_t signer[20], uint64_t chain_id, const uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN],
                             const uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN])
{
    uint8_t digest[32];
    ledger_ballot_key_digest(digest, chain_id, ballot_key);
    return ledger_sig_recover(signer, digest, sig);
}

void ledger_ballots_hash_init(ledger_ballots_hash *h)
{
    sha256_init(&h->sha);
}

void ledger_ballots_hash_add_digest(ledger_ballots_hash *h, const uint8_t voter[20], const uint8_t weight[32],
                                    const uint8_t sealed_sha256[32])
{
    sha256_update(&h->sha, 20, voter);
    sha256_update(&h->sha, 32, weight);
    sha256_update(&h->sha, 32, sealed_sha256);
}

void ledger_ballots_hash_add(ledger_ballots_hash *h, const uint8_t voter[20], const uint8_t weight[32],
                             const uint8_t *sealed, size_t len)
{
    uint8_t d[32];
    ledger_sha256(d, sealed, len);
    ledger_ballots_hash_add_digest(h, voter, weight, d);
}

void ledger_ballots_hash_final(const ledger_ballots_hash *h, uint8_t out[32])
{
    struct sha256_ctx copy = h->sha;
    sha256_digest(&copy, SHA256_DIGEST_SIZE, out);
}
