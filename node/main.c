/* SPDX-License-Identifier: MIT */
/* main.c: conclaved, the composition root: read options, prepare the data directory (lock, cookie
 * token), open the engine, serve JSON-RPC on one libevent loop, and on SIGTERM/SIGINT write the
 * pending block before exiting. No business logic lives here. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "enclave/enclave.h"
#include "engine/engine.h"
#include "engine/genesis.h"
#include "ledger/hex.h"
#include "node/methods.h"
#include "node/verify_pool.h"
#include "rpc/rpc.h"

static const char usage[] =
    "usage: conclaved [--dev] [--datadir DIR] [--genesis FILE] [--rpc-bind HOST:PORT] [--allow-public-dev]\n"
    "                 [--rpc-connections-per-address N] [--rpc-cors ORIGIN[,ORIGIN]...]\n"
    "                 [--verify-threads N] [--verify-unpinned]\n"
    "                 [--clock wall|manual] [--enclave PATH | --no-enclave] [--enclave-info]\n"
    "                 [--handover-enclave PATH]\n"
    "\n"
    "The Conclave node: a ledger, stake pools and governance, served as JSON-RPC 2.0 over HTTP.\n"
    "\n"
    "  --dev                 development chain: chainId 31337, ten funded well-known accounts,\n"
    "                        manual clock, admin_* methods; data in ~/.conclave/dev unless --datadir\n"
    "  --datadir DIR         where the ledger (conclave.db) and the admin cookie (.cookie) live; the\n"
    "                        ledger's write-ahead log (conclave.db-wal) grows to about 260 MB under load\n"
    "  --genesis FILE        genesis document for a new data directory (required without --dev), at\n"
    "                        most 256 MiB; given again at a restart it must be the chain's own\n"
    "  --rpc-bind HOST:PORT  address to serve JSON-RPC on (default 127.0.0.1:8645; port 0 picks one);\n"
    "                        one beyond this machine gets a warning: it is plain HTTP, put TLS in front\n"
    "  --allow-public-dev    let --dev serve on an address beyond this machine (refused without it:\n"
    "                        admin methods and the well-known funded dev keys)\n"
    "  --rpc-connections-per-address N\n"
    "                        open connections one IP address may hold, 1 to 256 (default 32; more\n"
    "                        behind a reverse proxy, whose connections all come from one address)\n"
    "  --rpc-cors ORIGIN[,ORIGIN]...\n"
    "                        let pages of these origins (http[s]://HOST[:PORT], or * for any) call\n"
    "                        POST / and GET /events from a browser (CORS; off by default); admin\n"
    "                        methods never answer a call from another origin\n"
    "  --verify-threads N    threads that decode transactions and recover their signatures off the\n"
    "                        event loop, at nice 19 below it, 1 to 256 (default: the number of\n"
    "                        online CPUs), each pinned to one of the CPUs conclaved may use\n"
    "  --verify-unpinned     leaves those threads' CPUs to the kernel: for a machine whose other\n"
    "                        busy processes would hold back a thread pinned to their CPU\n"
    "  --clock wall|manual   time source (default: wall; manual with --dev, moved by admin_advanceTime)\n"
    "  --enclave PATH        the conclave-enclave program that settles epochs (default: the one next\n"
    "                        to conclaved); its platform secret and sealed key live in DIR\n"
    "  --no-enclave          run without an enclave: epochs wait unsettled\n"
    "  --handover-enclave PATH\n"
    "                        an enclave build that holds the chain's ballot key, started just to hand\n"
    "                        it to a new build (--enclave) that lacks it; without it the node tries the\n"
    "                        builds it kept in DIR/enclave/holders (docs/SECRET_BALLOTS.md)\n"
    "  --enclave-info        print this machine's platform attestation address, the enclave's\n"
    "                        measurement and that of the conclave-worker next to conclaved (what a\n"
    "                        genesis \"enclave\" object names), then exit\n"

    "  --help                this text\n"
    "  --version             the version\n"
    "\n"
    "A new --dev chain trusts this machine's platform, this enclave build and the conclave-worker\n"
    "build next to conclaved (their measurements go into its genesis).\n"
    "Once listening, it prints \"conclaved: listening on http://HOST:PORT\".\n";

struct options {
    bool dev;
    const char *datadir;
    const char *genesis_file;
    const char *bind;
    const char *clock;
    const char *enclave;
    const char *handover_enclave;   /* --handover-enclave, or NULL */
    bool no_enclave;
    bool enclave_info;
    bool allow_public_dev;
    unsigned per_address;           /* --rpc-connections-per-address, 0: the default */
    const char *cors;               /* --rpc-cors, or NULL */
    unsigned verify_threads;        /* --verify-threads, 0: the default */
    bool verify_unpinned;           /* --verify-unpinned */
};

static int parse_options(struct options *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "dev", no_argument, NULL, 'd' },        { "datadir", required_argument, NULL, 'D' },
        { "genesis", required_argument, NULL, 'g' }, { "rpc-bind", required_argument, NULL, 'b' },
        { "clock", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },    { "enclave", required_argument, NULL, 'e' },
        { "no-enclave", no_argument, NULL, 'n' }, { "enclave-info", no_argument, NULL, 'i' },
        { "allow-public-dev", no_argument, NULL, 'P' },
        { "rpc-connections-per-address", required_argument, NULL, 'a' },
        { "rpc-cors", required_argument, NULL, 'C' },
        { "verify-threads", required_argument, NULL, 't' },
        { "verify-unpinned", no_argument, NULL, 'u' },
        { "handover-enclave", required_argument, NULL, 'H' },
        { NULL, 0, NULL, 0 },
    };
    *o = (struct options){ .bind = "127.0.0.1:8645" };
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o->dev = true; break;
        case 'D': o->datadir = optarg; break;
        case 'g': o->genesis_file = optarg; break;
        case 'b': o->bind = optarg; break;
        case 'c': o->clock = optarg; break;
        case 'e': o->enclave = optarg; break;
        case 'n': o->no_enclave = true; break;
        case 'H': o->handover_enclave = optarg; break;
        case 'i': o->enclave_info = true; break;
        case 'P': o->allow_public_dev = true; break;
        case 'C': o->cors = optarg; break;
        case 'u': o->verify_unpinned = true; break;
        case 'a': {
            char *end;
            unsigned long n = strtoul(optarg, &end, 10);
            if (*optarg < '0' || *optarg > '9' || *end || n < 1 || n > 256) {
                fprintf(stderr, "conclaved: --rpc-connections-per-address takes 1 to 256, not '%s'\n", optarg);
                return 2;
            }
            o->per_address = (unsigned)n;
            break;
        }
        case 't': {
            char *end;
            unsigned long n = strtoul(optarg, &end, 10);
            if (*optarg < '0' || *optarg > '9' || *end || n < 1 || n > VERIFY_POOL_MAX_THREADS) {
                fprintf(stderr, "conclaved: --verify-threads takes 1 to %u, not '%s'\n", VERIFY_POOL_MAX_THREADS,
                        optarg);
                return 2;
            }
            o->verify_threads = (unsigned)n;
            break;
        }
        case 'h': fputs(usage, stdout); exit(0);
        case 'V': printf("conclaved %s\n", PACKAGE_VERSION); exit(0);
        default: fputs(usage, stderr); return 2;
        }
    }
    if (o->cors && !rpc_cors_list_valid(o->cors)) {
        fprintf(stderr, "conclaved: --rpc-cors takes origins http[s]://HOST[:PORT] (or *) separated by commas, "
                "under %d bytes, not '%s'\n", RPC_CORS_MAX, o->cors);
        return 2;
    }
    if (o->handover_enclave && o->no_enclave) {
        fprintf(stderr, "conclaved: --handover-enclave hands the ballot key to an enclave: not with --no-enclave\n");
        return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "conclaved: unexpected argument '%s'\n%s", argv[optind], usage);
        return 2;
    }
    bool loopback;
    if (rpc_address_loopback(o->bind, &loopback) != RPC_OK) {
        fprintf(stderr, "conclaved: --rpc-bind takes HOST:PORT with a HOST that resolves, not '%s'\n", o->bind);
        return 2;
    }
    if (!loopback && o->dev && !o->allow_public_dev) {
        fprintf(stderr, "conclaved: --dev would serve its admin methods and the well-known funded dev keys on %s, "
                "beyond this machine; refused without --allow-public-dev\n", o->bind);
        return 2;
    }
    if (!loopback)
        fprintf(stderr, "conclaved: warning: JSON-RPC on %s is reachable beyond this machine over plain HTTP "
                "(the admin token travels in clear): put a TLS proxy in front\n", o->bind);
    return 0;
}

/* mkdir -p with mode 0700 for the parts it creates. */
/* Takes the data directory's lock (flock on DIR/LOCK), waiting up to LOCK_WAIT_MS for it: a node
 * killed while it was starting its enclave leaves the lock with the child it forked until that child
 * execs (the descriptor is close-on-exec), so a restart right after a crash may find it held for a
 * moment. Another running conclaved holds it for good and is refused once the wait is over. */
#define LOCK_WAIT_MS 2000
#define LOCK_RETRY_MS 20
static bool lock_datadir(int fd)
{
    struct timespec pause = { .tv_sec = 0, .tv_nsec = LOCK_RETRY_MS * 1000000L };
    for (int waited = 0;; waited += LOCK_RETRY_MS) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return true;
        if (errno != EWOULDBLOCK || waited >= LOCK_WAIT_MS)
            return false;
        nanosleep(&pause, NULL);
    }
}

static int make_dirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* A genesis file mapped read-only and followed by a NUL, so the engine reads it as a string without
 * a copy. Its pages are faulted in as the engine reads them and dropped behind each of its passes
 * (genesis_release), so the node holds about a MiB of a 92 MB file at a time. The file must not
 * shrink while the node starts (SIGBUS). */
typedef struct mapped_text {
    char *text;                 /* the file's bytes then at least one NUL, or NULL */
    size_t map_len;             /* bytes mapped at text */
} mapped_text;

/* Maps the regular file at path into m. Returns: 0; -1 with errno set (EFBIG: over
 * ENG_GENESIS_MAX_BYTES; EINVAL: not a regular file) and m->text NULL. */
static int map_text(mapped_text *m, const char *path)
{
    struct stat st;
    m->text = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = -1;
    if (fstat(fd, &st) != 0)
        goto out;
    if (!S_ISREG(st.st_mode) || st.st_size > ENG_GENESIS_MAX_BYTES) {
        errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
        goto out;
    }
    /* zero pages one byte past the file at least; the file maps over their start, and the rest of its
     * last page reads as zero too */
    size_t len = (size_t)st.st_size, page = (size_t)sysconf(_SC_PAGESIZE);
    size_t map_len = (len / page + 1) * page;
    char *area = mmap(NULL, map_len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        goto out;
    if (len > 0 && mmap(area, len, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED) {
        int saved = errno;
        munmap(area, map_len);
        errno = saved;
        goto out;
    }
    m->text = area;
    m->map_len = map_len;
    rc = 0;
out:
    close(fd);
    return rc;
}

static void unmap_text(mapped_text *m)
{
    if (m->text)
        munmap(m->text, m->map_len);
    m->text = NULL;
}

/* eng_config.genesis_read: the engine is done with the mapped genesis text (a mapped_text). */
static void genesis_read(void *arg)
{
    unmap_text(arg);
}

/* eng_config.genesis_release: the engine is done, for now, with the text before offset. Its file
 * pages there are dropped from the mapping (read again from the file if the engine reads them), so
 * neither a first start of a million accounts (while it checks the file and writes block 0) nor a
 * restart given the file (while it hashes it) holds the 92 MB file. */
static void genesis_release(void *arg, size_t offset)
{
    const mapped_text *m = arg;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (m->text && offset >= page)
        madvise(m->text, offset / page * page, MADV_DONTNEED);
}

/* DIR/name into out (PATH_MAX). The data directory's length was checked at start. */
static void data_path(char *out, const char *datadir, const char *name)
{
    size_t d = strlen(datadir), n = strlen(name);
    memcpy(out, datadir, d);
    out[d] = '/';
    memcpy(out + d + 1, name, n + 1);
}

/* Writes a fresh random admin token to DIR/.cookie (mode 0600): to DIR/.cookie.new, created afresh
 * without following a link, then renamed over .cookie, so that a symlink planted in an existing data
 * directory is replaced rather than its target overwritten. Out: token (hex, NUL-terminated). */
static int write_cookie(const char *datadir, char token[67])
{
    uint8_t secret[32];
    if (getrandom(secret, sizeof secret, 0) != (ssize_t)sizeof secret)
        return -1;
    ledger_hex_encode(token, secret, sizeof secret);
    memset(secret, 0, sizeof secret);
    memmove(token, token + 2, 65); /* the token is the bare hex */
    char path[PATH_MAX], fresh[PATH_MAX];
    data_path(path, datadir, ".cookie");
    data_path(fresh, datadir, ".cookie.new");
    if (unlink(fresh) != 0 && errno != ENOENT)
        return -1;
    int fd = open(fresh, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t len = strlen(token);
    int rc = fchmod(fd, 0600) == 0 && write(fd, token, len) == (ssize_t)len && fsync(fd) == 0 ? 0 : -1;
    close(fd);
    if (rc == 0)
        rc = rename(fresh, path);
    if (rc != 0)
        unlink(fresh);
    return rc;
}

/* Where the enclave's files are, and what the platform and the enclave binary are. */
struct enclave_setup {
    char program[PATH_MAX];
    char secret[PATH_MAX];
    char sealed[PATH_MAX];
    uint8_t platform[20];        /* the platform attestation key's address */
    uint8_t measurement[32];     /* sha256 of the program */
    bool has_worker;             /* conclave-worker lies next to this executable */
    uint8_t worker_measurement[32]; /* sha256 of that conclave-worker */
};

/* Prepares DIR/platform.secret (the simulated CPU key) and DIR/enclave, and measures the program
 * (given, or conclave-enclave next to this executable) and the conclave-worker next to this
 * executable, if there is one. Returns 0, or -1 after saying why. */
static int prepare_enclave(struct enclave_setup *es, const char *datadir, const char *program)
{
    char self[PATH_MAX], worker[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        fprintf(stderr, "conclaved: cannot find its own executable to locate conclave-enclave\n");
        return -1;
    }
    self[len] = '\0';
    *strrchr(self, '/') = '\0';
    if (program)
        snprintf(es->program, sizeof es->program, "%s", program);
    else
        snprintf(es->program, sizeof es->program, "%.4000s/conclave-enclave", self);
    snprintf(worker, sizeof worker, "%.4000s/conclave-worker", self);
    es->has_worker = enc_measure_file(es->worker_measurement, worker) == ST_OK;
    uint8_t secret[ENC_PLATFORM_SECRET_LEN];
    data_path(es->secret, datadir, "platform.secret");
    data_path(es->sealed, datadir, "enclave");
    int rc = enc_platform_secret_ensure(es->secret);
    if (rc == ST_OK)
        rc = enc_platform_secret_read(secret, es->secret);
    if (rc == ST_OK)
        rc = enc_platform_attestation_address(es->platform, secret);
    memset(secret, 0, sizeof secret);
    if (rc != ST_OK) {
        fprintf(stderr, "conclaved: cannot prepare the platform secret %s: %s\n", es->secret, st_str(rc));
        return -1;
    }
    if (mkdir(es->sealed, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "conclaved: cannot create %s: %s\n", es->sealed, strerror(errno));
        return -1;
    }
    if (enc_measure_file(es->measurement, es->program) != ST_OK) {
        fprintf(stderr, "conclaved: cannot read the enclave program %s (--enclave PATH, or --no-enclave)\n", es->program);
        return -1;
    }
    return 0;
}

struct node {
    struct event_base *base;
    eng *engine;
};

/* GET /events: every durable block and its receipts' events, built only while a stream is open. */
static void publish_block(void *server, const cJSON *block)
{
    node_events_publish_block(server, block);
}

/* While a block is open every request goes through the pool, whose gate holds back what is not a
 * tx_send until it closes. */
static bool block_open(void *engine)
{
    return eng_block_open(engine);
}

static bool streams_open(void *server)
{
    return rpc_server_has_streams(server);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct node *n = arg;
    fprintf(stderr, "conclaved: signal %d: writing the pending block and stopping\n", (int)sig);
    if (eng_flush(n->engine) != ST_OK)
        fprintf(stderr, "conclaved: the pending block could not be written\n");
    /* a short grace so the receipts just written reach their clients */
    struct timeval grace = { 0, 200000 };
    event_base_loopexit(n->base, &grace);
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_options(&o, argc, argv);
    if (rc != 0)
        return rc;
    char datadir[PATH_MAX];
    if (o.datadir)
        snprintf(datadir, sizeof datadir, "%s", o.datadir);
    else if (o.dev)
        snprintf(datadir, sizeof datadir, "%s/.conclave/dev", getenv("HOME") ? getenv("HOME") : ".");
    else {
        fprintf(stderr, "conclaved: --datadir DIR is required (or --dev for a development chain)\n");
        return 2;
    }
    if (strlen(datadir) > PATH_MAX - 32) {
        fprintf(stderr, "conclaved: the data directory path is too long\n");
        return 2;
    }
    enum eng_clock_mode clock_mode = o.dev ? ENG_CLOCK_MANUAL : ENG_CLOCK_WALL;
    if (o.clock && eng_clock_mode_parse(&clock_mode, o.clock) != ST_OK) {
        fprintf(stderr, "conclaved: --clock takes wall or manual, not '%s'\n", o.clock);
        return 2;
    }
    if (clock_mode == ENG_CLOCK_MANUAL && !o.dev) {
        fprintf(stderr, "conclaved: the manual clock is for development chains only (--dev)\n");
        return 2;
    }
    char *dev_genesis = NULL;
    mapped_text genesis = { 0 };
    if (o.genesis_file && map_text(&genesis, o.genesis_file) != 0) {
        if (errno == EFBIG)
            fprintf(stderr, "conclaved: the genesis file %s is larger than %ld MiB\n", o.genesis_file,
                    ENG_GENESIS_MAX_BYTES / (1024 * 1024));
        else
            fprintf(stderr, "conclaved: cannot read the genesis file %s: %s\n", o.genesis_file, strerror(errno));
        return 1;
    }

    struct node n = { 0 };
    struct enclave_setup es;
    bool with_enclave = !o.no_enclave;
    rpc_server *server = NULL;
    verify_pool *pool = NULL;
    struct event *sigterm = NULL, *sigint = NULL;
    int lock_fd = -1;
    char path[PATH_MAX], token[67], err[512] = "";
    rc = 1;
    signal(SIGPIPE, SIG_IGN);
    if (make_dirs(datadir) != 0) {
        fprintf(stderr, "conclaved: cannot create the data directory %s: %s\n", datadir, strerror(errno));
        goto out;
    }
    data_path(path, datadir, "LOCK");
    lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0 || !lock_datadir(lock_fd)) {
        fprintf(stderr, "conclaved: the data directory %s is in use by another conclaved\n", datadir);
        goto out;
    }
    if (with_enclave && prepare_enclave(&es, datadir, o.enclave) != 0)
        goto out;
    if (o.enclave_info) {
        char platform[LEDGER_ADDR_STRLEN], measurement[67], worker[67] = "";
        ledger_addr_format(platform, es.platform);
        ledger_hex_encode(measurement, es.measurement, 32);
        if (es.has_worker)
            ledger_hex_encode(worker, es.worker_measurement, 32);
        printf("{\"platform\": \"%s\", \"measurements\": [\"%s\"]%s%s%s}\n", platform, measurement,
               es.has_worker ? ", \"workerMeasurements\": [\"" : "", worker, es.has_worker ? "\"]" : "");
        rc = 0;
        goto out;
    }
    data_path(path, datadir, "conclave.db");
    /* a new dev chain trusts this machine's platform and this enclave build; an existing one keeps
     * the genesis it was made with */
    if (!genesis.text && o.dev
        && !(dev_genesis = eng_genesis_dev_json(with_enclave ? es.platform : NULL, with_enclave ? es.measurement : NULL,
                                                 with_enclave && es.has_worker ? es.worker_measurement : NULL))) {
        fprintf(stderr, "conclaved: out of memory\n");
        goto out;
    }
    /* the engine keeps what it needs of the genesis: the document (up to 256 MiB) goes once it is read */
    eng_config cfg = { .db_path = path, .genesis_json = genesis.text, .default_genesis_json = dev_genesis,
                       .genesis_read = genesis_read, .genesis_release = genesis_release, .genesis_read_arg = &genesis,
                       .clock_mode = clock_mode,
                       .dev = o.dev };
    int opened = eng_open(&n.engine, err, sizeof err, &cfg);
    unmap_text(&genesis);
    if (opened != ST_OK) {
        fprintf(stderr, "conclaved: %s\n", err);
        goto out;
    }
    if (write_cookie(datadir, token) != 0) {
        fprintf(stderr, "conclaved: cannot write %s/.cookie: %s\n", datadir, strerror(errno));
        goto out;
    }
    n.base = rpc_base_new();
    if (!n.base || eng_attach(n.engine, n.base) != ST_OK) {
        fprintf(stderr, "conclaved: cannot set up the event loop\n");
        goto out;
    }
    pool = verify_pool_new(n.base, o.verify_threads ? o.verify_threads : verify_pool_default_threads(),
                           !o.verify_unpinned);
    if (!pool) {
        fprintf(stderr, "conclaved: cannot start the signature verification threads\n");
        goto out;
    }
    node_tx_set_verify_pool(n.engine, pool);
    /* without a working enclave the node still serves; epochs wait until one settles them */
    if (with_enclave && eng_enclave_set_handover(n.engine, o.handover_enclave) != ST_OK) {
        fprintf(stderr, "conclaved: out of memory\n");
        goto out;
    }
    if (with_enclave && eng_enclave_configure(n.engine, es.program, es.secret, es.sealed) != ST_OK)
        fprintf(stderr, "conclaved: running without an enclave for now\n");
    size_t n_methods;
    const rpc_method *methods = node_methods(&n_methods);
    rpc_limits limits;
    rpc_limits_default(&limits);
    if (o.per_address)
        limits.max_client_connections = o.per_address;
    server = rpc_server_new(n.base, methods, n_methods, n.engine, &limits, token, o.dev);
    unsigned port;
    if (server) {
        rpc_server_set_name(server, "conclave");
        rpc_server_set_errors(server, node_rpc_error);
        rpc_server_set_metrics(server, node_metrics_text);
        rpc_server_set_page(server, node_dashboard_page, node_dashboard_page_len);
        rpc_server_set_replay(server, node_events_replay);
        rpc_server_set_offload(server, node_offload_to_pool, pool, NODE_OFFLOAD_MIN_BODY);
        rpc_server_set_offload_hold(server, block_open, n.engine);
        eng_set_block_listener(n.engine, publish_block, streams_open, server);
    }
    if (!server || (o.cors && rpc_server_set_cors(server, o.cors) != RPC_OK)
        || rpc_server_listen(server, o.bind, &port) != RPC_OK) {
        fprintf(stderr, "conclaved: cannot listen on %s\n", o.bind);
        goto out;
    }
    sigterm = evsignal_new(n.base, SIGTERM, on_signal, &n);
    sigint = evsignal_new(n.base, SIGINT, on_signal, &n);
    if (!sigterm || !sigint || evsignal_add(sigterm, NULL) != 0 || evsignal_add(sigint, NULL) != 0) {
        fprintf(stderr, "conclaved: cannot install signal handlers\n");
        goto out;
    }
    ledger_block head;
    if (ledger_block_head(eng_ledger(n.engine), &head) != ST_OK)
        head.height = 0;
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)(strrchr(o.bind, ':') ? strrchr(o.bind, ':') - o.bind : 0), o.bind);
    fprintf(stderr, "conclaved %s: chain %llu at height %llu, data in %s%s\n", PACKAGE_VERSION,
            (unsigned long long)eng_chain_id(n.engine), (unsigned long long)head.height, datadir,
            o.dev ? " (development chain)" : "");
    printf("conclaved: listening on http://%s:%u\n", host, port);
    fflush(stdout);
    event_base_dispatch(n.base);
    rc = 0;
out:
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    /* the bodies still being parsed and the calls being verified reach the engine before it closes
     * and answers them */
    if (n.engine)
        node_tx_set_verify_pool(n.engine, NULL);
    if (server)
        rpc_server_set_offload(server, NULL, NULL, 0); /* and so no body waits on the hold */
    verify_pool_free(pool);
    eng_close(n.engine); /* answers whatever is still queued, while the server still exists */
    rpc_server_free(server);
    if (n.base)
        event_base_free(n.base);
    if (lock_fd >= 0)
        close(lock_fd);
    unmap_text(&genesis);
    free(dev_genesis);
    return rc;
}
