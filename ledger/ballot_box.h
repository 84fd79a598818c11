/* SPDX-License-Identifier: MIT */
/* ballot_box.h: secret ballots sealed to an enclave's ballot key, the list hash of the ballots a
 * count covers, and the ballot key's signature by the enclave's identity. Layer: ledger (pure:
 * libsecp256k1 and nettle only; conclaved, conclave-enclave and the CLI all use it).
 * A sealed ballot (docs/SECRET_BALLOTS.md) is
 *   0x01 || E (33, the compressed ephemeral public key) || iv (12) || C || tag (16),
 * where C is the ballot's JSON text padded with 0x00 to a multiple of 256 bytes (256..2048),
 * encrypted with AES-256-GCM under key = HKDF-SHA256(IKM = x(e·K), salt = E || K,
 * info = "conclave ballot v1", 32 bytes) with AD = "conclave ballot v1" || chainId (8, big-endian) ||
 * proposal (8, big-endian) || voter (20). So a sealed ballot is 62 + 256·k bytes, k = 1..8.
 * Secrets (the ephemeral and ballot secret keys, the shared point, the AES key) live in fixed-size
 * stack buffers wiped before each return; the tag is compared in constant time. */
#ifndef LEDGER_BALLOT_BOX_H
#define LEDGER_BALLOT_BOX_H

#include <nettle/sha2.h>
#include <secp256k1.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ledger/status.h"

#define LEDGER_BALLOT_VERSION 1
#define LEDGER_BALLOT_KEY_LEN 33          /* a compressed secp256k1 public key */
#define LEDGER_BALLOT_IV_LEN 12
#define LEDGER_BALLOT_TAG_LEN 16
#define LEDGER_BALLOT_OVERHEAD 62         /* version 1 + E 33 + iv 12 + tag 16 */
#define LEDGER_BALLOT_BLOCK 256           /* the padded text is a multiple of this */
#define LEDGER_BALLOT_TEXT_MAX 2048       /* the largest padded text, and the longest text */
#define LEDGER_BALLOT_MIN_LEN (LEDGER_BALLOT_OVERHEAD + LEDGER_BALLOT_BLOCK)
#define LEDGER_BALLOT_MAX_LEN (LEDGER_BALLOT_OVERHEAD + LEDGER_BALLOT_TEXT_MAX)
#define LEDGER_BALLOT_AD_LEN 54           /* label 18 + chainId 8 + proposal 8 + voter 20 */
#define LEDGER_BALLOT_LABEL "conclave ballot v1"
#define LEDGER_BALLOT_KEY_SIG_LEN 65      /* r || s || v, v in {27, 28} */

/* Whether len is a length a sealed ballot can have: 62 + 256·k, k from 1 to 8. The node refuses
 * any other length before it applies a SecretBallot. */
bool ledger_ballot_len_ok(size_t len);

/* The associated data that binds a sealed ballot to its chain, proposal and voter.
 * Out: ad. In: chain_id, proposal, voter (the address that signs the SecretBallot). */
void ledger_ballot_ad(uint8_t ad[LEDGER_BALLOT_AD_LEN], uint64_t chain_id, uint64_t proposal,
                      const uint8_t voter[20]) NONNULL(1, 4);

/* Seals a ballot's text to a ballot key. The caller brings the randomness (a fresh random
 * ephemeral secret and iv for every ballot: reusing them reveals the text), so the function is
 * deterministic and testable against vectors.
 * Returns: ST_OK; ST_INVALID if the text is empty, longer than LEDGER_BALLOT_TEXT_MAX or holds a
 * NUL byte; ST_CRYPTO if ballot_key is not a valid compressed point or eph_secret not a valid
 * secret key; ST_LIMIT if cap is below the sealed length (ledger_ballot_sealed_len).
 * Args: ctx a secp256k1 context able to make public keys (not secp256k1_context_static).
 * Out: out the sealed ballot and *out_len its length on ST_OK (out is unspecified otherwise).
 * In: ballot_key the enclave's ballot key (33 bytes, compressed); chain_id, proposal, voter as for
 * ledger_ballot_ad; text (text_len bytes, UTF-8, no NUL); eph_secret, iv: fresh random bytes. */
int ledger_ballot_seal(const secp256k1_context *ctx, uint8_t *out, size_t cap, size_t *out_len,
                       const uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN], uint64_t chain_id, uint64_t proposal,
                       const uint8_t voter[20], const char *text, size_t text_len,
                       const uint8_t eph_secret[32], const uint8_t iv[LEDGER_BALLOT_IV_LEN])
    WARN_UNUSED NONNULL(1, 2, 4, 5, 8, 9, 11, 12);

/* The scheme under sealed ballots, with any label and associated data (the enclave's key handover
 * uses it with "conclave ballot handover v1"): E = e·G, key = HKDF-SHA256(IKM = x(e·R), salt =
 * E || R, info = label, 32 bytes), AES-256-GCM of plain (len bytes) with iv and ad.
 * Returns: ST_OK; ST_CRYPTO if recipient is not a compressed point or eph_secret not a valid key.
 * Args: ctx as for ledger_ballot_seal. Out: e_pub (E, compressed), ct (len bytes), tag.
 * In: recipient R (compressed); label (a NUL-terminated string); ad (ad_len bytes, may be NULL when
 * 0); plain; eph_secret and iv (used once: a key and iv pair must never seal two texts). */
int ledger_box_seal(const secp256k1_context *ctx, uint8_t e_pub[LEDGER_BALLOT_KEY_LEN], uint8_t *ct,
                    uint8_t tag[LEDGER_BALLOT_TAG_LEN], const uint8_t recipient[LEDGER_BALLOT_KEY_LEN],
                    const char *label, const uint8_t *ad, size_t ad_len, const uint8_t *plain, size_t len,
                    const uint8_t eph_secret[32], const uint8_t iv[LEDGER_BALLOT_IV_LEN])
    WARN_UNUSED NONNULL(1, 2, 4, 5, 6, 11, 12);

/* Opens what ledger_box_seal made, with the recipient's secret; the tag is compared in constant time.
 * Returns: ST_OK; ST_CRYPTO if e_pub is not a compressed point, the secret is not valid, or the tag
 * does not verify (plain is then wiped). Args: ctx as for ledger_ballot_seal.
 * Out: plain (len bytes; a secret). In: as ledger_box_seal; recipient_secret R's secret key. */
int ledger_box_open(const secp256k1_context *ctx, uint8_t *plain, const uint8_t recipient_secret[32],
                    const char *label, const uint8_t *ad, size_t ad_len, const uint8_t e_pub[LEDGER_BALLOT_KEY_LEN],
                    const uint8_t iv[LEDGER_BALLOT_IV_LEN], const uint8_t *ct, size_t len,
                    const uint8_t tag[LEDGER_BALLOT_TAG_LEN]) WARN_UNUSED NONNULL(1, 3, 4, 7, 8, 11);

/* The length of the sealed ballot of a text of text_len bytes (1..LEDGER_BALLOT_TEXT_MAX): the
 * text padded up to the next multiple of 256 (a 256-byte text is not padded), plus 62. */
size_t ledger_ballot_sealed_len(size_t text_len);

/* Opens a sealed ballot with the ballot secret key. The text ends at the first NUL of the
 * decrypted bytes, and every byte after it must be 0x00 (any number of blocks of padding is
 * accepted, as long as the whole has a valid length); the text must not be empty.
 * Returns: ST_OK; ST_INVALID if the length is not 62 + 256·k (k = 1..8) or the version byte is
 * not 1; ST_CRYPTO if E is not a valid point or the tag does not verify (another key, another
 * chain, proposal or voter, or any changed byte); ST_INVALID if it decrypts but the padding holds a
 * non-zero byte or the text is empty.
 * Args: ctx as for ledger_ballot_seal (the salt needs K, made from the secret).
 * Out: text the NUL-terminated text and *text_len its length (without the NUL) on ST_OK; on any
 * other status text is wiped to zeros and *text_len is 0. text holds a secret: wipe it after use.
 * In: ballot_secret the ballot key's secret; chain_id, proposal, voter as for ledger_ballot_ad;
 * sealed (len bytes). */
int ledger_ballot_open(const secp256k1_context *ctx, char text[LEDGER_BALLOT_TEXT_MAX + 1], size_t *text_len,
                       const uint8_t ballot_secret[32], uint64_t chain_id, uint64_t proposal,
                       const uint8_t voter[20], const uint8_t *sealed, size_t len)
    WARN_UNUSED NONNULL(1, 2, 3, 4, 7, 8);

/* As ledger_ballot_open, with the ballot key made once by the caller (ledger_ballot_key of
 * ballot_secret): a count opens every ballot with one key, and making it from the secret each time
 * (a multiplication by G) was a third of a ballot's opening. ballot_key must be the secret's: with
 * another key the derived AES key differs and no ballot opens (ST_CRYPTO).
 * Returns, Out: as ledger_ballot_open. In: ballot_key (33 bytes, compressed); the rest as
 * ledger_ballot_open. */
int ledger_ballot_open_keyed(const secp256k1_context *ctx, char text[LEDGER_BALLOT_TEXT_MAX + 1], size_t *text_len,
                             const uint8_t ballot_secret[32], const uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN],
                             uint64_t chain_id, uint64_t proposal, const uint8_t voter[20], const uint8_t *sealed,
                             size_t len) WARN_UNUSED NONNULL(1, 2, 3, 4, 5, 8, 9);

/* The ballot key of a ballot secret key, compressed. Returns: ST_OK, or ST_CRYPTO if the secret is
 * not a valid key (key zeroed). Args: ctx as for ledger_ballot_seal. */
int ledger_ballot_key(const secp256k1_context *ctx, uint8_t key[LEDGER_BALLOT_KEY_LEN],
                      const uint8_t ballot_secret[32]) WARN_UNUSED NONNULL(1, 2, 3);

/* The digest the enclave's identity key signs to vouch for its ballot key:
 * keccak256("conclave ballot key v1" || chainId (8, big-endian) || ballot_key (33)). */
void ledger_ballot_key_digest(uint8_t digest[32], uint64_t chain_id, const uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN])
    NONNULL(1, 3);

/* Signs a ballot key with an identity key (RFC 6979, low s) over ledger_ballot_key_digest.
 * Returns: ST_OK, or ST_CRYPTO if identity is not a valid secret key.
 * Args: ctx a context able to sign (not secp256k1_context_static): the enclave passes its own.
 * Out: sig r || s || v, v in {27, 28}. */
int ledger_ballot_key_sign(const secp256k1_context *ctx, uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN], uint64_t chain_id,
                           const uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN], const uint8_t identity[32])
    WARN_UNUSED NONNULL(1, 2, 4, 5);

/* Checks a ballot key's signature: recovers its signer (ledger_sig_recover, EIP-2 form).
 * Returns: ST_OK; ST_CRYPTO if the signature is malformed or recovers to no address.
 * Out: signer the address that signed (unchanged on failure): a client compares it with the
 * enclave's address from its quote. */
int ledger_ballot_key_signer(uint8_t signer[20], uint64_t chain_id, const uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN],
                             const uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN]) WARN_UNUSED NONNULL(1, 3, 4);

/* The running hash of the standing ballots of a poll, fed in voter order (ascending addresses):
 * ballotsHash = sha256( for each ballot: voter (20) || weight (32, big-endian) || sha256(sealed) ).
 * Caller-provided storage; a plain value (copy it to hash a prefix). */
typedef struct ledger_ballots_hash {
    struct sha256_ctx sha;
} ledger_ballots_hash;

void ledger_ballots_hash_init(ledger_ballots_hash *h) NONNULL(1);
/* Adds one ballot: its voter, its weight (own weight plus delegated weight at the close, 32 bytes
 * big-endian) and its sealed bytes (len of them; any length: the hash does not judge them). */
void ledger_ballots_hash_add(ledger_ballots_hash *h, const uint8_t voter[20], const uint8_t weight[32],
                             const uint8_t *sealed, size_t len) NONNULL(1, 2, 3);
/* As ledger_ballots_hash_add with the ballot's sha256 already computed (what the node stores). */
void ledger_ballots_hash_add_digest(ledger_ballots_hash *h, const uint8_t voter[20], const uint8_t weight[32],
                                    const uint8_t sealed_sha256[32]) NONNULL(1, 2, 3, 4);
/* Out: out the hash of the ballots added so far (h may be added to again afterwards). */
void ledger_ballots_hash_final(const ledger_ballots_hash *h, uint8_t out[32]) NONNULL(1, 2);

#endif
