/* SPDX-License-Identifier: MIT */
/* node.c: a real conclaved for integration tests (see node.h). */
#include "tests/lib/node.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "enclave/platform.h"
#include "engine/genesis.h"
#include "ledger/ballot_box.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/tx.h"
#include "tests/lib/testhelp.h"

#define WAIT_MS 20000

/* th_spawn_conclaved bound to bind ("127.0.0.1:PORT"), with more options (NULL: none). */
static pid_t spawn(const char *datadir, const char *bind, const char *const *options, const char *stderr_path, int *out)
{
    const char *argv[16] = { "conclaved", "--dev", "--datadir", datadir, "--rpc-bind", bind };
    for (size_t i = 0; options && options[i]; i++) {
        cr_assert_lt(i, 8, "at most 8 options");
        argv[6 + i] = options[i];
    }
    int fds[2];
    cr_assert_eq(pipe(fds), 0, "pipe");
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork");
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        int err = stderr_path ? open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
        if (err >= 0)
            dup2(err, STDERR_FILENO);
        th_exec(TEST_BUILDDIR "/conclaved", argv);
    }
    close(fds[1]);
    *out = fds[0];
    return pid;
}

pid_t th_spawn_conclaved(const char *datadir, const char *stderr_path, int *out)
{
    return spawn(datadir, "127.0.0.1:0", NULL, stderr_path, out);
}

/* Starts the node on port (0: a free one); its standard error goes to the file at stderr_path, or
 * where ours goes (NULL). */
static void start(th_node *n, bool keep_datadir, const char *stderr_path, unsigned port)
{
    if (!keep_datadir) {
        snprintf(n->datadir, sizeof n->datadir, "/tmp/conclave-it-XXXXXX");
        cr_assert_not_null(mkdtemp(n->datadir), "temp data directory");
    }
    char bind[32];
    int out;
    snprintf(bind, sizeof bind, "127.0.0.1:%u", port);
    n->pid = spawn(n->datadir, bind, n->options, stderr_path, &out);
    char buf[512];
    size_t len = 0;
    char *line = NULL;
    while (!line && len < sizeof buf - 1) {
        struct pollfd p = { .fd = out, .events = POLLIN };
        cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "conclaved did not say it was listening within 20 s");
        ssize_t got = read(out, buf + len, sizeof buf - 1 - len);
        cr_assert_gt(got, 0, "conclaved exited before listening (port %u taken?)", port);
        len += (size_t)got;
        buf[len] = '\0';
        line = strstr(buf, "listening on http://127.0.0.1:");
    }
    close(out);
    cr_assert_not_null(line, "listening line");
    n->port = (unsigned)strtoul(line + strlen("listening on http://127.0.0.1:"), NULL, 10);
    snprintf(n->url, sizeof n->url, "http://127.0.0.1:%u", n->port);
    char path[192];
    snprintf(path, sizeof path, "%s/.cookie", n->datadir);
    char *token = th_read_file(path, NULL);
    cr_assert_not_null(token, "cookie written");
    snprintf(n->token, sizeof n->token, "%s", token);
    free(token);
    n->client = rpc_client_new(n->url, n->token, 30);
    cr_assert_not_null(n->client, "client");
}

void th_node_start(th_node *n, bool keep_datadir)
{
    start(n, keep_datadir, NULL, 0);
}

void th_node_restart_same_port(th_node *n)
{
    start(n, true, NULL, n->port);
}

void th_node_start_logged(th_node *n, const char *stderr_path)
{
    start(n, false, stderr_path, 0);
}

void th_node_restart_logged(th_node *n, const char *stderr_path)
{
    start(n, true, stderr_path, 0);
}

int th_node_stop(th_node *n, int sig)
{
    cr_assert_gt(n->pid, 0, "node running");
    rpc_client_free(n->client);
    n->client = NULL;
    int pidfd = (int)syscall(SYS_pidfd_open, n->pid, 0);
    cr_assert_geq(pidfd, 0, "pidfd_open");
    cr_assert_eq(kill(n->pid, sig), 0, "kill");
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "conclaved did not exit within 20 s");
    close(pidfd);
    int status = 0;
    cr_assert_eq(waitpid(n->pid, &status, 0), n->pid, "reaped");
    n->pid = 0;
    return status;
}

void th_node_cleanup(th_node *n)
{
    if (n->pid > 0)
        th_node_stop(n, SIGKILL);
    if (n->datadir[0]) {
        th_rmtree(n->datadir);
        n->datadir[0] = '\0';
    }
}

char *th_post(th_node *n, const char *body, int *http_status)
{
    char *response = NULL;
    cr_assert_eq(rpc_client_post(n->client, "/", body, strlen(body), http_status, &response), ST_OK, "POST");
    return response;
}

cJSON *th_call(th_node *n, const char *method, const char *params_json)
{
    size_t len = strlen(method) + (params_json ? strlen(params_json) : 0) + 80;
    char *body = malloc(len);
    snprintf(body, len, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\"%s%s}", method,
             params_json ? ",\"params\":" : "", params_json ? params_json : "");
    int status;
    char *text = th_post(n, body, &status);
    free(body);
    cJSON *response = cJSON_Parse(text);
    cr_assert_not_null(response, "response is JSON: %s", text);
    free(text);
    return response;
}

void th_dev_address(char out[43], unsigned i)
{
    uint8_t key[32], addr[20];
    eng_dev_key(key, i);
    cr_assert_eq(ledger_sig_address(addr, key), ST_OK, "dev address");
    ledger_addr_format(out, addr);
}

const char *th_addr(unsigned i)
{
    static char buf[ENG_DEV_ACCOUNTS][LEDGER_ADDR_STRLEN];
    cr_assert_lt(i, ENG_DEV_ACCOUNTS, "dev account %u", i);
    th_dev_address(buf[i], i);
    return buf[i];
}

/* Signs msg (borrowed) as type by dev account key; returns the tx_send params (caller frees). */
static char *sign_message(const char *type, const cJSON *msg, unsigned key, uint64_t chain_id, uint8_t sig[65])
{
    uint8_t secret[32];
    char err[256] = "";
    eng_dev_key(secret, key);
    ledger_tx tx;
    cr_assert_eq(ledger_tx_build_signed(&tx, err, sizeof err, type, msg, secret, chain_id), ST_OK, "sign %s: %s", type,
                 err);
    if (sig)
        memcpy(sig, tx.sig, 65);
    cJSON *json = ledger_tx_to_json(&tx);
    char *text = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);
    ledger_tx_clear(&tx);
    return text;
}

int th_transfer_tx(ledger_tx *tx, unsigned from, unsigned to, const char *amount, uint64_t nonce, uint64_t chain_id,
                   char *err, size_t errlen)
{
    char to_text[LEDGER_ADDR_STRLEN], nonce_text[24];
    uint8_t secret[32];
    th_dev_address(to_text, to);
    eng_dev_key(secret, from);
    snprintf(nonce_text, sizeof nonce_text, "%llu", (unsigned long long)nonce);
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "to", to_text);
    cJSON_AddStringToObject(msg, "amount", amount);
    cJSON_AddStringToObject(msg, "nonce", nonce_text);
    int rc = ledger_tx_build_signed(tx, err, errlen, "Transfer", msg, secret, chain_id);
    cJSON_Delete(msg);
    return rc;
}

char *th_transfer_params(unsigned from, unsigned to, const char *amount, uint64_t nonce, uint64_t chain_id)
{
    char err[256] = "";
    ledger_tx tx;
    cr_assert_eq(th_transfer_tx(&tx, from, to, amount, nonce, chain_id, err, sizeof err), ST_OK, "sign Transfer: %s",
                 err);
    cJSON *json = ledger_tx_to_json(&tx);
    char *text = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);
    ledger_tx_clear(&tx);
    return text;
}

char *th_sign_params(const char *type, const char *message_json, unsigned key, uint64_t nonce)
{
    char nonce_text[24];
    cJSON *msg = cJSON_Parse(message_json);
    cr_assert(cJSON_IsObject(msg), "message JSON %s", message_json);
    snprintf(nonce_text, sizeof nonce_text, "%llu", (unsigned long long)nonce);
    cJSON_AddStringToObject(msg, "nonce", nonce_text);
    char *text = sign_message(type, msg, key, ENG_DEV_CHAIN_ID, NULL);
    cJSON_Delete(msg);
    return text;
}

void th_voucher_sig(char out[133], unsigned key, uint64_t channel, const char *cumulative)
{
    char channel_text[24];
    uint8_t sig[65];
    snprintf(channel_text, sizeof channel_text, "%llu", (unsigned long long)channel);
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "channel", channel_text);
    cJSON_AddStringToObject(msg, "cumulative", cumulative);
    free(sign_message("Voucher", msg, key, ENG_DEV_CHAIN_ID, sig));
    cJSON_Delete(msg);
    ledger_hex_encode(out, sig, 65);
}

void th_node_register_worker(th_node *n, unsigned worker, unsigned operator_, uint32_t score)
{
    char path[256], quote_hex[2 * ENC_QUOTE_V2_LEN + 3], op[43];
    uint8_t secret[ENC_PLATFORM_SECRET_LEN], measurement[32], key[32], pub[65], quote[ENC_QUOTE_V2_LEN];
    size_t len = sizeof pub;
    enc_platform p;
    secp256k1_pubkey pk;
    snprintf(path, sizeof path, "%s/platform.secret", n->datadir);
    cr_assert_eq(enc_platform_secret_read(secret, path), ST_OK, "the node's platform secret %s", path);
    cr_assert_eq(enc_measure_file(measurement, TEST_BUILDDIR "/conclave-worker"), ST_OK, "measure conclave-worker");
    enc_platform_init(&p, secret, measurement);
    eng_dev_key(key, worker);
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    cr_assert(ctx && secp256k1_ec_pubkey_create(ctx, &pk, key), "dev %u's public key", worker);
    secp256k1_ec_pubkey_serialize(ctx, pub, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    cr_assert_eq(enc_platform_quote_worker(ctx, quote, &p, pub + 1, ENG_DEV_CHAIN_ID), ST_OK, "a worker quote");
    secp256k1_context_destroy(ctx);
    enc_platform_clear(&p);
    memset(key, 0, sizeof key);
    ledger_hex_encode(quote_hex, quote, sizeof quote);
    th_dev_address(op, operator_);
    cJSON_Delete(th_send_ok(n, worker, "WorkerRegister",
                            "{\"quote\":\"%s\",\"operator\":\"%s\",\"iterations\":\"%llu\",\"micros\":\"1000000\"}",
                            quote_hex, op, (unsigned long long)score * 1000u));
}

unsigned th_node_heartbeat(th_node *n, unsigned worker, unsigned long long iterations)
{
    char addr[43];
    th_dev_address(addr, worker);
    cJSON *resp = th_callf(n, "staking_getChallenge", "{\"worker\":\"%s\"}", addr);
    const cJSON *r = th_result(resp);
    cJSON *events = th_send_ok(n, worker, "WorkerHeartbeat",
                               "{\"epoch\":\"%.0f\",\"slot\":\"%.0f\",\"challenge\":\"%s\",\"iterations\":\"%llu\","
                               "\"micros\":\"1000000\"}",
                               th_num(r, "epoch"), th_num(r, "slot"), th_str(r, "challenge"), iterations);
    cJSON_Delete(resp);
    const cJSON *beat = cJSON_GetArrayItem(events, 0);
    cr_assert_str_eq(th_str(beat, "type"), "Heartbeat", "WorkerHeartbeat's event");
    unsigned performance = (unsigned)th_num(beat, "performance");
    cJSON_Delete(events);
    return performance;
}

void th_node_advance(th_node *n, uint64_t secs)
{
    cJSON *resp = th_callf(n, "admin_advanceTime", "{\"seconds\":%llu}", (unsigned long long)secs);
    th_result(resp);
    cJSON_Delete(resp);
}

uint64_t th_node_time(th_node *n)
{
    cJSON *resp = th_call(n, "node_info", NULL);
    uint64_t t = (uint64_t)th_num(th_result(resp), "time");
    cJSON_Delete(resp);
    return t;
}

void th_node_advance_to(th_node *n, uint64_t t)
{
    uint64_t now = th_node_time(n);
    th_node_advance(n, t > now ? t - now : 1);
}

void th_node_pass_param(th_node *n, unsigned who, const char *name, const char *value)
{
    char payload[256], hex[2 * sizeof payload + 3];
    int len = snprintf(payload, sizeof payload, "{\"kind\":\"param\",\"name\":\"%s\",\"value\":\"%s\"}", name, value);
    cr_assert(len > 0 && (size_t)len < sizeof payload, "a param payload for %s", name);
    ledger_hex_encode(hex, (const uint8_t *)payload, (size_t)len);
    cJSON *events = th_send_ok(n, who, "Propose", "{\"track\":\"params\",\"title\":\"Set %s\",\"body\":\"For a test.\","
                               "\"payload\":\"%s\"}", name, hex);
    const cJSON *created = cJSON_GetArrayItem(events, cJSON_GetArraySize(events) - 1);
    cr_assert_str_eq(th_str(created, "type"), "ProposalCreated", "the last event of Propose");
    unsigned id = (unsigned)th_num(created, "proposal");
    cJSON_Delete(events);
    static const unsigned delay = 3600, period_and_enactment = 4 * 86400;
    th_node_advance(n, delay);
    cJSON_Delete(th_send_ok(n, who, "Vote", "{\"proposal\":\"%u\",\"support\":\"1\",\"conviction\":\"1\"}", id));
    th_node_advance(n, period_and_enactment);
    cJSON_Delete(th_send_ok(n, who, "ProposalExecute", "{\"proposal\":\"%u\"}", id));
}

th_node th_suite_node;

void th_suite_node_start(void)
{
    memset(&th_suite_node, 0, sizeof th_suite_node);
    th_node_start(&th_suite_node, false);
}

void th_suite_node_stop(void)
{
    th_node_cleanup(&th_suite_node);
}

pid_t th_node_child_pid(const th_node *n)
{
    cr_assert_gt(n->pid, 0, "node running");
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)n->pid);
    DIR *tasks = opendir(path);
    cr_assert_not_null(tasks, "%s", path);
    pid_t child = 0;
    struct dirent *d;
    while (!child && (d = readdir(tasks)) != NULL) {
        if (d->d_name[0] == '.')
            continue;
        char file[400];
        snprintf(file, sizeof file, "%s/%.256s/children", path, d->d_name);
        char *text = th_read_file(file, NULL);
        if (text)
            child = (pid_t)strtol(text, NULL, 10);
        free(text);
    }
    closedir(tasks);
    return child;
}

/* Waits for the process behind pidfd to exit (at most WAIT_MS). */
static bool pidfd_wait(int pidfd)
{
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    return poll(&p, 1, WAIT_MS) == 1;
}

bool th_wait_gone(pid_t pid)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return errno == ESRCH; /* gone already */
    bool gone = pidfd_wait(pidfd);
    close(pidfd);
    return gone;
}

ledger *th_node_ledger(const th_node *n)
{
    char path[192], err[256] = "";
    snprintf(path, sizeof path, "%s/conclave.db", n->datadir);
    ledger *l = NULL;
    cr_assert_eq(ledger_open_readonly(&l, err, sizeof err, path), ST_OK, "open %s: %s", path, err);
    return l;
}

void th_exec(const char *path, const char *const argv[])
{
    char *copy[64];
    size_t n = 0;
    for (; argv[n] && n + 1 < sizeof copy / sizeof copy[0]; n++)
        copy[n] = strdup(argv[n]);
    copy[n] = NULL;
    execv(path, copy);
    _exit(127);
}

int th_run(const char *const argv[])
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork");
    if (pid == 0) {
        th_exec(argv[0], argv);
    }
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    cr_assert_geq(pidfd, 0, "pidfd_open");
    if (!pidfd_wait(pidfd))
        kill(pid, SIGKILL);
    close(pidfd);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid, "reaped %s", argv[0]);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const cJSON *th_result(const cJSON *response)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(response, "result");
    cr_assert_not_null(r, "a result, got %s", cJSON_PrintUnformatted(response));
    return r;
}

double th_num(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    cr_assert(cJSON_IsNumber(v), "number member %s in %s", key, cJSON_PrintUnformatted(obj));
    return v->valuedouble;
}

int th_count(const cJSON *obj, const char *array)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, array);
    cr_assert(cJSON_IsArray(a), "array %s in %s", array, cJSON_PrintUnformatted(obj));
    return cJSON_GetArraySize(a);
}

int th_error_code(const cJSON *response)
{
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(response, "error");
    cr_assert(cJSON_IsObject(err), "an error, got %s", cJSON_PrintUnformatted(response));
    return (int)th_num(err, "code");
}

cJSON *th_callf(th_node *n, const char *method, const char *fmt, ...)
{
    TH_FORMAT(params, 2048, fmt);
    return th_call(n, method, params);
}

uint64_t th_nonce(th_node *n, unsigned who)
{
    char addr[43];
    th_dev_address(addr, who);
    cJSON *resp = th_callf(n, "ledger_getAccount", "{\"address\":\"%s\"}", addr);
    uint64_t nonce = (uint64_t)th_num(th_result(resp), "nonce");
    cJSON_Delete(resp);
    return nonce;
}

/* Signs message as dev account who with the node's next nonce and sends it; returns the response. */
static cJSON *send_text(th_node *n, unsigned who, const char *type, const char *message)
{
    char *params = th_sign_params(type, message, who, th_nonce(n, who));
    cJSON *resp = th_call(n, "tx_send", params);
    free(params);
    return resp;
}

cJSON *th_send(th_node *n, unsigned who, const char *type, const char *fmt, ...)
{
    TH_FORMAT(message, 8192, fmt);
    return send_text(n, who, type, message);
}

cJSON *th_send_ok(th_node *n, unsigned who, const char *type, const char *fmt, ...)
{
    TH_FORMAT(message, 8192, fmt);
    cJSON *resp = send_text(n, who, type, message);
    cr_assert_str_eq(th_str(th_result(resp), "status"), "success", "%s by dev %u: %s", type, who,
                     cJSON_PrintUnformatted(resp));
    cJSON *events = cJSON_DetachItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "result"), "events");
    cJSON_Delete(resp);
    return events;
}

void th_send_done(th_node *n, unsigned who, const char *type, const char *fmt, ...)
{
    TH_FORMAT(message, 8192, fmt);
    cJSON_Delete(th_send_ok(n, who, type, "%s", message));
}

const char *th_hex_text(const char *text)
{
    static char out[4096];
    size_t n = strlen(text);
    cr_assert_lt(2 + 2 * n, sizeof out, "the text fits in hex");
    ledger_hex_encode(out, (const uint8_t *)text, n);
    return out;
}

void th_attested_ballot_key(const cJSON *r, uint8_t key[LEDGER_BALLOT_KEY_LEN], uint8_t enclave[20])
{
    uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN], signer[20];
    cr_assert_eq(ledger_hex_decode_exact(key, LEDGER_BALLOT_KEY_LEN, th_str(r, "ballotKey")), ST_OK, "the ballot key");
    cr_assert_eq(ledger_hex_decode_exact(sig, sizeof sig, th_str(r, "ballotKeySignature")), ST_OK, "its signature");
    cr_assert_eq(ledger_addr_parse(enclave, th_str(r, "enclave")), ST_OK, "the enclave");
    cr_assert_eq(ledger_ballot_key_signer(signer, ENG_DEV_CHAIN_ID, key, sig), ST_OK, "the signature recovers");
    cr_assert_eq(memcmp(signer, enclave, 20), 0, "to the attested enclave");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "allowlisted")), "an allowlisted enclave");
}

char *th_seal_ballot(unsigned who, unsigned proposal, const uint8_t key[LEDGER_BALLOT_KEY_LEN], const char *text)
{
    static secp256k1_context *ctx;
    if (!ctx)
        ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t voter[20], eph[32], iv[LEDGER_BALLOT_IV_LEN], sealed[LEDGER_BALLOT_MAX_LEN];
    size_t len = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    cr_assert(fd >= 0 && read(fd, eph, sizeof eph) == sizeof eph && read(fd, iv, sizeof iv) == sizeof iv, "randomness");
    close(fd);
    cr_assert_eq(ledger_addr_parse(voter, th_addr(who)), ST_OK, "voter");
    cr_assert_eq(ledger_ballot_seal(ctx, sealed, sizeof sealed, &len, key, ENG_DEV_CHAIN_ID, proposal, voter, text,
                                    strlen(text), eph, iv),
                 ST_OK, "sealed");
    char *hex = ledger_hex_encode_alloc(sealed, len);
    cr_assert_not_null(hex, "the ciphertext's hex");
    return hex;
}

unsigned th_propose(th_node *n, unsigned who, const char *track, const char *payload)
{
    cJSON *events = th_send_ok(n, who, "Propose", "{\"track\":\"%s\",\"title\":\"A title\",\"body\":\"Why.\",\"payload\":\"%s\"}",
                               track, *payload ? th_hex_text(payload) : "0x");
    const cJSON *ev = cJSON_GetArrayItem(events, cJSON_GetArraySize(events) - 1);
    cr_assert_str_eq(th_str(ev, "type"), "ProposalCreated", "Propose ends with ProposalCreated");
    unsigned id = (unsigned)th_num(ev, "proposal");
    cJSON_Delete(events);
    return id;
}

void th_stake(th_node *n, unsigned first, const char *const *tokens, unsigned count)
{
    th_send_done(n, 0, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000000000000000000000000\"}");
    for (unsigned i = 0; i < count; i++)
        th_send_done(n, first + i, "Contribute", "{\"pool\":\"1\",\"amount\":\"%s000000000000000000\"}", tokens[i]);
}
