/* SPDX-License-Identifier: MIT */
/* main.c: the conclave-enclave program. Start-up: drop every privilege (capabilities, no_new_privs,
 * not dumpable), read the platform secret, measure itself, unseal its identity key and its ballot
 * key (or make and seal them), close every fd but the host's socket, then confine itself with seccomp: from then on
 * the only system calls are read/write on that socket, memory management and exit, so all its I/O
 * is frames (the shape of an SGX enclave under a library OS or a TDX guest). A sanitizer build
 * also keeps stderr and the calls its runtime needs to report there. It then answers frames until
 * end of stream. Anything malformed gets an ERROR frame; nothing a peer sends can crash it. Exit
 * codes are listed in enclave.h. */
#define _GNU_SOURCE /* close_range */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/capability.h>
#include <limits.h>
#include <seccomp.h>
#include <secp256k1.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "enclave/count.h"
#include "enclave/enclave.h"
#include "enclave/handover.h"
#include "enclave/seal.h"
#include "enclave/settle.h"
#include "ledger/ballot_box.h"
#include "ledger/hex.h"
#include "ledger/sig.h"

/* The enclave's whole state; lives on main's stack and is wiped on every exit. */
typedef struct enclave {
    secp256k1_context *ctx;  /* the process's one context, randomized */
    enc_platform platform;   /* platform secret and measurement */
    uint8_t key[32];         /* the identity key: never leaves this process unsealed */
    uint8_t pub[64];         /* its public key, X||Y */
    uint8_t ballot[32];      /* the ballot secret key (docs/SECRET_BALLOTS.md): never leaves unsealed */
    uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN]; /* its public key, compressed */
    uint8_t platform_addr[20]; /* the platform's attestation address, to check other enclaves' quotes */
    int fd;                  /* the host's socket */
    enc_count *count;        /* the secret poll count under way; made at the first COUNT_BEGIN */
} enclave;

static void usage(FILE *out)
{
    fputs("Usage: conclave-enclave --fd N --platform-secret FILE --sealed-dir DIR\n"
          "       conclave-enclave --fd N --print-filter\n"
          "The confined enclave of conclaved, which spawns it; it speaks frames on fd N only.\n"
          "  --fd N                    the socket to the host (every other fd is closed)\n"
          "  --platform-secret FILE    the simulated platform's 32-byte secret (mode 0600)\n"
          "  --sealed-dir DIR          where the identity and ballot keys are sealed to this binary\n"
          "  --test-forbidden-syscall  (tests) open a socket after confinement, to be killed\n"
          "  --print-filter            print the seccomp filter it would load for --fd N, and exit\n"
#ifdef SANITIZER_BUILD
          "  --test-sanitizer-report   (tests) overflow a heap block after confinement, to be reported\n"
#endif
          "  --help                    this text\n", out);
}

/* Wipes the secrets, releases the context and exits; safe before and after confinement. */
static _Noreturn void finish(enclave *e, enc_frame *f, int code)
{
    if (f)
        enc_frame_clear(f);
    explicit_bzero(e->key, sizeof e->key);
    explicit_bzero(e->ballot, sizeof e->ballot);
    enc_count_free(e->count);
    enc_platform_clear(&e->platform);
    if (e->ctx)
        secp256k1_context_destroy(e->ctx);
    _exit(code);
}

/* Writes a frame; a failed write means the host is gone. */
static void reply(enclave *e, enc_frame *f, uint8_t type, const uint8_t *payload, size_t len)
{
    if (enc_proto_write(e->fd, -1, type, payload, len) != ST_OK)
        finish(e, f, ST_IO);
}

static void reply_error(enclave *e, enc_frame *f, const char *msg)
{
    reply(e, f, ENC_MSG_ERROR, (const uint8_t *)msg, strlen(msg));
}

/* SETTLE_REQ: parses the epoch's inputs, computes the report and signs it with the identity key
 * through the process's context (ledger_sig_sign would make sig.c's own context, whose getrandom
 * the filter forbids). Answers SETTLE_RESP with the serialized report, or ERROR saying which step
 * failed. */
static void settle(enclave *e, enc_frame *f)
{
    enc_settle_input in;
    enc_settle_report r;
    uint8_t *out = NULL;
    size_t len = 0;
    const char *step = "the inputs do not parse";
    char msg[96];
    int rc;

    enc_settle_input_init(&in);
    enc_settle_report_init(&r);
    rc = enc_settle_input_parse(&in, f->payload, f->len);
    if (rc == ST_OK) {
        step = "cannot compute the report";
        rc = enc_settle_compute(&r, &in);
    }
    if (rc == ST_OK) {
        step = "cannot sign the report";
        rc = enc_settle_report_sign(e->ctx, &r, e->key);
    }
    if (rc == ST_OK) {
        step = "cannot serialize the report";
        rc = enc_settle_report_serialize(&out, &len, &r);
    }
    enc_settle_report_clear(&r);
    enc_settle_input_clear(&in);
    if (rc == ST_OK) {
        reply(e, f, ENC_MSG_SETTLE_RESP, out, len);
        free(out);
        return;
    }
    snprintf(msg, sizeof msg, "SETTLE_REQ: %s: %s", step, st_str(rc));
    reply_error(e, f, msg);
}

/* Reads a frame's payload as a u64 chainId. Returns: true if it is exactly 8 bytes. */
static bool chain_payload(uint64_t *chain_id, const enc_frame *f)
{
    if (f->len != 8)
        return false;
    *chain_id = 0;
    for (unsigned i = 0; i < 8; i++)
        *chain_id = *chain_id << 8 | f->payload[i];
    return true;
}

/* BALLOT_KEY_REQ: the ballot key and the identity's signature over it for the chain asked. */
static void ballot_key(enclave *e, enc_frame *f)
{
    uint8_t out[LEDGER_BALLOT_KEY_LEN + LEDGER_BALLOT_KEY_SIG_LEN];
    uint64_t chain_id;

    if (!chain_payload(&chain_id, f)) {
        reply_error(e, f, "BALLOT_KEY_REQ: the payload must be an 8-byte chainId");
        return;
    }
    memcpy(out, e->ballot_key, LEDGER_BALLOT_KEY_LEN);
    if (ledger_ballot_key_sign(e->ctx, out + LEDGER_BALLOT_KEY_LEN, chain_id, e->ballot_key, e->key) != ST_OK) {
        reply_error(e, f, "BALLOT_KEY_REQ: cannot sign the ballot key");
        return;
    }
    reply(e, f, ENC_MSG_BALLOT_KEY_RESP, out, sizeof out);
}

/* Ends a complete count: the report, signed, as COUNT_REPORT; or ERROR saying which step failed. */
static void count_report(enclave *e, enc_frame *f)
{
    enc_count_report r;
    uint8_t out[ENC_COUNT_REPORT_MAX + ENC_COUNT_SIG_LEN];
    char why[128], msg[192];
    size_t len = 0;
    int rc = enc_count_finish(e->count, &r, why, sizeof why, e->platform.measurement);

    if (rc == ST_OK && (rc = enc_count_report_sign(e->ctx, &r, e->key)) != ST_OK)
        snprintf(why, sizeof why, "cannot sign the report");
    if (rc == ST_OK && (rc = enc_count_report_serialize(out, sizeof out, &len, &r)) != ST_OK)
        snprintf(why, sizeof why, "cannot serialize the report");
    if (rc != ST_OK) {
        snprintf(msg, sizeof msg, "COUNT: %s", why);
        reply_error(e, f, msg);
        return;
    }
    reply(e, f, ENC_MSG_COUNT_REPORT, out, len);
}

/* Answers a count's frame that did not complete it: COUNT_ACK with the ballots received so far. */
static void count_ack(enclave *e, enc_frame *f)
{
    uint32_t n = enc_count_received(e->count);
    uint8_t out[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
    reply(e, f, ENC_MSG_COUNT_ACK, out, sizeof out);
}

/* COUNT_BEGIN: drops any unfinished count and begins the one announced. */
static void count_begin(enclave *e, enc_frame *f)
{
    enc_count_header h;
    const char *why = "";
    char msg[128];

    if (e->count)
        enc_count_drop(e->count);
    if (enc_count_header_parse(&h, &why, f->payload, f->len) != ST_OK) {
        snprintf(msg, sizeof msg, "COUNT_BEGIN: %s", why);
        reply_error(e, f, msg);
        return;
    }
    if ((!e->count && !(e->count = enc_count_new())) || enc_count_begin(e->count, &h) != ST_OK) {
        reply_error(e, f, "COUNT_BEGIN: out of memory");
        return;
    }
    if (enc_count_complete(e->count))
        count_report(e, f);
    else
        count_ack(e, f);
}

/* COUNT_CHUNK: counts the chunk's ballots; the one that completes the count is answered with the
 * report. */
static void count_chunk(enclave *e, enc_frame *f)
{
    char why[128], msg[192];
    int rc;

    if (!e->count) {
        reply_error(e, f, "COUNT_CHUNK: no count has begun");
        return;
    }
    rc = enc_count_chunk(e->count, why, sizeof why, e->ctx, e->ballot, f->payload, f->len);
    if (rc != ST_OK) {
        snprintf(msg, sizeof msg, "COUNT_CHUNK: %s", why);
        reply_error(e, f, msg);
    } else if (enc_count_complete(e->count)) {
        count_report(e, f);
    } else {
        count_ack(e, f);
    }
}

/* BALLOT_KEY_EXPORT_REQ: the handover blob of the ballot key for the enclave of the quote given. */
static void ballot_export(enclave *e, enc_frame *f)
{
    uint8_t blob[ENC_HANDOVER_LEN];
    const char *why = "";
    char msg[160];
    uint64_t chain_id = 0;

    if (f->len < 8) {
        reply_error(e, f, "BALLOT_KEY_EXPORT_REQ: the payload must be an 8-byte chainId and a quote");
        return;
    }
    for (unsigned i = 0; i < 8; i++)
        chain_id = chain_id << 8 | f->payload[i];
    if (enc_handover_export(e->ctx, blob, &why, &e->platform, e->platform_addr, e->key, e->pub, e->ballot, chain_id,
                            f->payload + 8, f->len - 8) != ST_OK) {
        snprintf(msg, sizeof msg, "BALLOT_KEY_EXPORT_REQ: %s", why);
        reply_error(e, f, msg);
        return;
    }
    reply(e, f, ENC_MSG_BALLOT_KEY_EXPORT_RESP, blob, sizeof blob);
}

/* BALLOT_KEY_IMPORT_REQ: takes the ballot key a handover blob carries as this enclave's own (a
 * count under way is dropped), and answers it signed for the blob's chain, with its measurement and
 * the key sealed to it, for the host to write. */
static void ballot_import(enclave *e, enc_frame *f)
{
    uint8_t secret[32], key[LEDGER_BALLOT_KEY_LEN];
    uint8_t out[LEDGER_BALLOT_KEY_LEN + LEDGER_BALLOT_KEY_SIG_LEN + 32 + ENC_SEAL_FILE_LEN];
    const char *why = "";
    char msg[160];
    uint64_t chain_id = 0;

    if (enc_handover_import(e->ctx, secret, &chain_id, &why, &e->platform, e->platform_addr, e->key, e->pub,
                            f->payload, f->len) != ST_OK
        || ledger_ballot_key(e->ctx, key, secret) != ST_OK
        || ledger_ballot_key_sign(e->ctx, out + LEDGER_BALLOT_KEY_LEN, chain_id, key, e->key) != ST_OK) {
        explicit_bzero(secret, sizeof secret);
        snprintf(msg, sizeof msg, "BALLOT_KEY_IMPORT_REQ: %s", *why ? why : "a key operation failed");
        reply_error(e, f, msg);
        return;
    }
    if (e->count)
        enc_count_drop(e->count);
    memcpy(e->ballot, secret, sizeof secret);
    memcpy(e->ballot_key, key, sizeof key);
    explicit_bzero(secret, sizeof secret);
    memcpy(out, key, sizeof key);
    memcpy(out + LEDGER_BALLOT_KEY_LEN + LEDGER_BALLOT_KEY_SIG_LEN, e->platform.measurement, 32);
    enc_handover_seal(out + LEDGER_BALLOT_KEY_LEN + LEDGER_BALLOT_KEY_SIG_LEN + 32, &e->platform, e->ballot);
    reply(e, f, ENC_MSG_BALLOT_KEY_IMPORT_RESP, out, sizeof out);
}

static void handle(enclave *e, enc_frame *f)
{
    uint8_t quote[ENC_QUOTE_LEN];
    char msg[96];
    uint64_t chain_id = 0;

    switch (f->type) {
    case ENC_MSG_PING:
        reply(e, f, ENC_MSG_PONG, f->payload, f->len);
        return;
    case ENC_MSG_ATTEST_REQ:
        if (!chain_payload(&chain_id, f)) {
            reply_error(e, f, "ATTEST_REQ: the payload must be an 8-byte chainId");
            return;
        }
        if (enc_platform_quote(e->ctx, quote, &e->platform, e->pub, chain_id) != ST_OK) {
            reply_error(e, f, "ATTEST_REQ: the platform could not sign a quote");
            return;
        }
        reply(e, f, ENC_MSG_ATTEST_RESP, quote, sizeof quote);
        return;
    case ENC_MSG_SETTLE_REQ:
        settle(e, f);
        return;
    case ENC_MSG_BALLOT_KEY_REQ:
        ballot_key(e, f);
        return;
    case ENC_MSG_COUNT_BEGIN:
        count_begin(e, f);
        return;
    case ENC_MSG_COUNT_CHUNK:
        count_chunk(e, f);
        return;
    case ENC_MSG_BALLOT_KEY_EXPORT_REQ:
        ballot_export(e, f);
        return;
    case ENC_MSG_BALLOT_KEY_IMPORT_REQ:
        ballot_import(e, f);
        return;
    default:
        snprintf(msg, sizeof msg, "unexpected message type %u", (unsigned)f->type);
        reply_error(e, f, msg);
        return;
    }
}

/* Answers frames until the host closes the stream. Never returns. */
static _Noreturn void serve(enclave *e)
{
    enc_frame f;
    char msg[96];

    enc_frame_init(&f);
    for (;;) {
        int rc = enc_proto_read(&f, e->fd, -1);
        if (rc == ST_NOTFOUND)
            finish(e, &f, 0);
        if (rc == ST_IO)
            finish(e, &f, ST_IO);
        if (rc != ST_OK) {  /* the frame was read to its end: the stream is still in step */
            snprintf(msg, sizeof msg, "frame refused: %s", st_str(rc));
            reply_error(e, &f, msg);
            continue;
        }
        handle(e, &f);
    }
}

/* Gives up what the enclave never needs, before it reads anything: setuid and file capabilities
 * on a later exec (no_new_privs), every capability (bounding set first, which takes CAP_SETPCAP,
 * then ambient, effective, permitted and inheritable: a root host's enclave keeps only the owner's
 * rights on files), and being dumped or traced by its own user (core files would hold the key). */
static int drop_privileges(void)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return ST_IO;
    for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EPERM)
            return ST_IO;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return ST_IO;
    memset(none, 0, sizeof none);
    return syscall(SYS_capset, &hdr, none) == 0 ? ST_OK : ST_IO;
}

/* A sanitizer build (configure --enable-sanitizers defines CONCLAVE_SANITIZER_BUILD; the compilers'
 * own macros catch one made by hand) keeps stderr open and sends the runtime's reports there, to the
 * host's stderr, because the confined enclave cannot open a log_path file; its filter also lets
 * the runtime make the few calls it needs, and only in that build. */
#if defined(CONCLAVE_SANITIZER_BUILD) || defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif
#ifdef SANITIZER_BUILD
#include <sanitizer/common_interface_defs.h>
#endif

/* The seccomp filter: read/write on fd only, memory management, signal return, exit; in a sanitizer
 * build, write on stderr and the runtime's calls too. Out: *out (seccomp_release it) on ST_OK. */
static int make_filter(scmp_filter_ctx *out, int fd)
{
    static const int plain[] = {
        SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap),
        SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(rt_sigreturn),
#ifdef SANITIZER_BUILD
        SCMP_SYS(sigaltstack), SCMP_SYS(getpid), SCMP_SYS(futex),
#endif
    };
#ifdef SANITIZER_BUILD
    static const int no_files[] = { SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(stat), SCMP_SYS(newfstatat) };
#endif
    scmp_filter_ctx sc = seccomp_init(SCMP_ACT_KILL_PROCESS);
    int rc;

    if (!sc)
        return ST_NOMEM;
    rc = seccomp_rule_add(sc, SCMP_ACT_ALLOW, SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd));
    if (rc == 0)
        rc = seccomp_rule_add(sc, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd));
#ifdef SANITIZER_BUILD
    if (rc == 0)
        rc = seccomp_rule_add(sc, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, STDERR_FILENO));
    if (rc == 0)  /* isatty(2): whether to colour the report */
        rc = seccomp_rule_add(sc, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2, SCMP_A0(SCMP_CMP_EQ, STDERR_FILENO),
                              SCMP_A1(SCMP_CMP_EQ, TCGETS));
    /* the symbolizer looks for the binaries, their debug information and llvm-symbolizer: it
     * finds no file, so the report gives each frame as module+offset */
    for (size_t i = 0; rc == 0 && i < sizeof no_files / sizeof no_files[0]; i++)
        rc = seccomp_rule_add(sc, SCMP_ACT_ERRNO(EACCES), no_files[i], 0);
#endif
    for (size_t i = 0; rc == 0 && i < sizeof plain / sizeof plain[0]; i++)
        rc = seccomp_rule_add(sc, SCMP_ACT_ALLOW, plain[i], 0);
    if (rc != 0) {
        seccomp_release(sc);
        return ST_NOMEM;
    }
    *out = sc;
    return ST_OK;
}

/* Closes every descriptor but fd (and stderr in a sanitizer build). Returns: 0 or -1. */
static int close_all_but(int fd)
{
#ifdef SANITIZER_BUILD
    const unsigned keep = STDERR_FILENO;
#else
    const unsigned keep = (unsigned)fd;
#endif
    unsigned lo = keep < (unsigned)fd ? keep : (unsigned)fd, hi = keep < (unsigned)fd ? (unsigned)fd : keep;
    if ((lo > 0 && close_range(0, lo - 1, 0) != 0) || (hi > lo + 1 && close_range(lo + 1, hi - 1, 0) != 0))
        return -1;
    return close_range(hi + 1, ~0u, 0);
}

static int confine(int fd)
{
    scmp_filter_ctx sc;
    int rc = make_filter(&sc, fd);
    if (rc != ST_OK)
        return rc;
#ifdef SANITIZER_BUILD
    __sanitizer_sandbox_arguments sandbox = { .coverage_sandboxed = 0 };
    __sanitizer_sandbox_on_notify(&sandbox);  /* reads the memory map while it still can */
    __sanitizer_set_report_fd((void *)(intptr_t)STDERR_FILENO);
#endif
    rc = seccomp_load(sc) == 0 ? ST_OK : ST_IO;
    seccomp_release(sc);
    return rc;
}

/* --print-filter: the filter this build would load for fd, in libseccomp's pseudo filter code. */
static int print_filter(int fd)
{
    scmp_filter_ctx sc;
    int rc = make_filter(&sc, fd);
    if (rc != ST_OK)
        return rc;
    fflush(stdout);
    rc = seccomp_export_pfc(sc, STDOUT_FILENO) == 0 ? ST_OK : ST_IO;
    seccomp_release(sc);
    return rc;
}

#ifdef SANITIZER_BUILD
/* --test-sanitizer-report: reads one byte past a heap block, for the runtime to report. */
static void heap_overflow(void)
{
    volatile size_t past = 8;
    char *block = malloc(past);
    if (block)
        fprintf(stderr, "%d\n", ((volatile char *)block)[past]);
    free(block);
}
#endif

/* Makes the context, the platform and the identity; reports failures on stderr (still open). */
static int start(enclave *e, const char *secret_path, const char *sealed_dir)
{
    uint8_t ser[65], addr[20];
    char addr_hex[LEDGER_ADDR_STRLEN], meas_hex[2 * 32 + 3], ballot_hex[2 * LEDGER_BALLOT_KEY_LEN + 3];
    secp256k1_pubkey pk;
    size_t ser_len = sizeof ser;
    bool created, ballot_created;
    int rc;

    if ((rc = enc_platform_signing_context(&e->ctx)) != ST_OK) {
        fprintf(stderr, "conclave-enclave: cannot make a randomized secp256k1 context: %s\n", st_str(rc));
        return rc;
    }
    rc = enc_platform_load(&e->platform, secret_path);
    if (rc != ST_OK) {
        fprintf(stderr, "conclave-enclave: cannot load the platform (secret %s): %s\n", secret_path, st_str(rc));
        return rc;
    }
    rc = enc_seal_identity(e->ctx, e->key, &created, &e->platform, sealed_dir, "enclave");
    if (rc != ST_OK) {
        fprintf(stderr, "conclave-enclave: cannot %s the identity key in %s: %s\n",
                rc == ST_CRYPTO ? "unseal" : "load or seal", sealed_dir, st_str(rc));
        return rc;
    }
    if (!secp256k1_ec_pubkey_create(e->ctx, &pk, e->key)
        || !secp256k1_ec_pubkey_serialize(e->ctx, ser, &ser_len, &pk, SECP256K1_EC_UNCOMPRESSED))
        return ST_CRYPTO;
    memcpy(e->pub, ser + 1, 64);
    rc = enc_seal_identity(e->ctx, e->ballot, &ballot_created, &e->platform, sealed_dir, "ballot");
    if (rc == ST_OK)
        rc = ledger_ballot_key(e->ctx, e->ballot_key, e->ballot);
    if (rc != ST_OK) {
        fprintf(stderr, "conclave-enclave: cannot %s the ballot key in %s: %s\n",
                rc == ST_CRYPTO ? "unseal" : "load or seal", sealed_dir, st_str(rc));
        return rc;
    }
    /* The platform's address, for the key handover's quotes. Computing it also makes ledger/sig's
     * context (getrandom), which enc_quote_verify uses after confinement, when getrandom is barred. */
    if ((rc = enc_platform_attestation_address(e->platform_addr, e->platform.secret)) != ST_OK) {
        fprintf(stderr, "conclave-enclave: cannot derive the platform's attestation address: %s\n", st_str(rc));
        return rc;
    }
    ledger_sig_pubkey_address(addr, e->pub);
    ledger_addr_format(addr_hex, addr);
    ledger_hex_encode(meas_hex, e->platform.measurement, 32);
    ledger_hex_encode(ballot_hex, e->ballot_key, LEDGER_BALLOT_KEY_LEN);
    fprintf(stderr, "conclave-enclave: %s identity %s, measurement %s; %s ballot key %s\n",
            created ? "sealed a new" : "unsealed its", addr_hex, meas_hex,
            ballot_created ? "sealed a new" : "unsealed its", ballot_hex);
    return ST_OK;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "fd", required_argument, NULL, 'f' },
        { "platform-secret", required_argument, NULL, 's' },
        { "sealed-dir", required_argument, NULL, 'd' },
        { "test-forbidden-syscall", no_argument, NULL, 'T' },
        { "print-filter", no_argument, NULL, 'P' },
#ifdef SANITIZER_BUILD
        { "test-sanitizer-report", no_argument, NULL, 'R' },
#endif
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enclave e = { .ctx = NULL, .fd = -1 };
    const char *secret_path = NULL, *sealed_dir = NULL;
    bool forbidden = false, show_filter = false;
#ifdef SANITIZER_BUILD
    bool overflow = false;
#endif
    char *end;
    long fd;
    int c, rc;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            errno = 0;
            fd = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || fd < 0 || fd > INT_MAX) {
                fprintf(stderr, "conclave-enclave: --fd needs a descriptor number, not '%s'\n", optarg);
                return ENC_EXIT_USAGE;
            }
            e.fd = (int)fd;
            break;
        case 's': secret_path = optarg; break;
        case 'd': sealed_dir = optarg; break;
        case 'T': forbidden = true; break;
        case 'P': show_filter = true; break;
#ifdef SANITIZER_BUILD
        case 'R': overflow = true; break;
#endif
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return ENC_EXIT_USAGE;
        }
    }
    if (show_filter && optind == argc && e.fd >= 0)
        return print_filter(e.fd);
    if (optind != argc || e.fd < 0 || !secret_path || !sealed_dir) {
        usage(stderr);
        return ENC_EXIT_USAGE;
    }
    if (fcntl(e.fd, F_GETFD) < 0) {
        fprintf(stderr, "conclave-enclave: fd %d is not open\n", e.fd);
        return ENC_EXIT_USAGE;
    }
    if (drop_privileges() != ST_OK) {
        fprintf(stderr, "conclave-enclave: cannot drop its privileges: %s\n", strerror(errno));
        return ST_IO;
    }
    rc = start(&e, secret_path, sealed_dir);
    if (rc != ST_OK)
        finish(&e, NULL, rc);
    if (close_all_but(e.fd) != 0)
        finish(&e, NULL, ST_IO);
    rc = confine(e.fd);
    if (rc != ST_OK)
        finish(&e, NULL, rc);
    if (forbidden && socket(AF_INET, SOCK_STREAM, 0) >= 0)  /* must not return: SIGSYS */
        finish(&e, NULL, ST_UNAUTHORIZED);
#ifdef SANITIZER_BUILD
    if (overflow)  /* a heap overflow after confinement, whose report must reach the host */
        heap_overflow();
#endif
    serve(&e);
}
