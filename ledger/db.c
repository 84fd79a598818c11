/* SPDX-License-Identifier: MIT */
/* db.c: the SQLite connection of the ledger: open with WAL, synchronous=FULL and foreign keys,
 * migrations tracked by PRAGMA user_version (a newer database is refused), the statement cache,
 * node metadata, the block transaction with per-transaction savepoints (or none, for a block applied
 * whole and applied again should a transaction fail), and read transactions (which
 * nest, so that a read request and the helpers it calls share one snapshot and one WAL read lock,
 * and may be kept open for the reads that follow until the connection's next write). */
#include "ledger/ledger_int.h"

#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "schema/schema.h"

unsigned ledger_schema_version(void)
{
    return schema_migration_count;
}

/* The statement of slot, prepared on first use, reset and unbound. */
static sqlite3_stmt *prepare_cached(ledger *l, sqlite3_stmt **slot, const char *sql)
{
    sqlite3_stmt *st = *slot;
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return st;
    }
    if (sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "ledger: cannot prepare statement: %s\n", sqlite3_errmsg(l->db));
        return NULL;
    }
    *slot = st;
    return st;
}

/* A statement of the cache about to run: one that writes first closes a kept read transaction. */
static sqlite3_stmt *handed_out(ledger *l, sqlite3_stmt *st)
{
    if (st && l->read_kept && !sqlite3_stmt_readonly(st))
        ledger_read_release(l);
    return st;
}

sqlite3_stmt *ledger_stmt_prepare(ledger *l, sqlite3_stmt **slot, const char *sql)
{
    return handed_out(l, prepare_cached(l, slot, sql));
}

sqlite3_stmt *ledger_stmt_bind(ledger *l, sqlite3_stmt **slot, const char *sql, const ledger_value *values)
{
    sqlite3_stmt *st = ledger_stmt_prepare(l, slot, sql);
    for (int i = 0; st && values && values[i].kind != LEDGER_VALUE_END; i++) {
        const ledger_value *v = &values[i];
        switch (v->kind) {
        case LEDGER_VALUE_INT:
            sqlite3_bind_int64(st, i + 1, v->i);
            break;
        case LEDGER_VALUE_BLOB:
            sqlite3_bind_blob(st, i + 1, v->p, v->len, SQLITE_STATIC);
            break;
        case LEDGER_VALUE_TEXT:
            sqlite3_bind_text(st, i + 1, v->p, v->len, SQLITE_STATIC);
            break;
        case LEDGER_VALUE_NULL:
        case LEDGER_VALUE_END:
            break;
        }
    }
    return st;
}

sqlite3_stmt *ledger_stmt(ledger *l, enum ledger_stmt_id id, const char *sql)
{
    return ledger_stmt_prepare(l, &l->stmts[id], sql);
}

sqlite3_stmt *ledger_query(ledger *l, enum ledger_stmt_id id, const char *sql, const ledger_value *values)
{
    return ledger_stmt_bind(l, &l->stmts[id], sql, values);
}

sqlite3 *ledger_sqlite(ledger *l)
{
    return l->db;
}

int ledger_bind_mpz(sqlite3_stmt *st, int idx, const mpz_t v)
{
    if (!st)
        return ST_DB;
    /* zero is common (a vote's delegated power and weight): its text without GMP's allocation */
    if (mpz_sgn(v) == 0)
        return sqlite3_bind_text(st, idx, "0", 1, SQLITE_STATIC) == SQLITE_OK ? ST_OK : ST_DB;
    char *text = mpz_get_str(NULL, 10, v);
    if (!text)
        return ST_NOMEM;
    int rc = sqlite3_bind_text(st, idx, text, -1, free) == SQLITE_OK ? ST_OK : ST_DB;
    return rc;
}

int ledger_column_mpz(sqlite3_stmt *st, int col, mpz_t v)
{
    const char *text = (const char *)sqlite3_column_text(st, col);
    return text && mpz_set_str(v, text, 10) == 0 ? ST_OK : ST_DB;
}

int ledger_exec(ledger *l, const char *sql)
{
    char *msg = NULL;
    ledger_read_release(l);
    if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "ledger: %s: %s\n", sql, msg ? msg : "failed");
        sqlite3_free(msg);
        return ST_DB;
    }
    return ST_OK;
}

static int read_user_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return ST_DB;
    int rc = sqlite3_step(st) == SQLITE_ROW ? ST_OK : ST_DB;
    if (rc == ST_OK)
        *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc;
}

static int migrate(sqlite3 *db, char *err, size_t errlen)
{
    int version;
    if (read_user_version(db, &version) != ST_OK) {
        snprintf(err, errlen, "cannot read the schema version: %s", sqlite3_errmsg(db));
        return ST_DB;
    }
    if ((unsigned)version > schema_migration_count) {
        snprintf(err, errlen, "the database has schema version %d but this build knows only up to %u: "
                 "it was written by a newer conclave; upgrade conclave", version, schema_migration_count);
        return ST_VERSION;
    }
    for (unsigned i = (unsigned)version; i < schema_migration_count; i++) {
        char pragma[48], *msg = NULL;
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %u", i + 1);
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK
            || sqlite3_exec(db, schema_migrations[i], NULL, NULL, &msg) != SQLITE_OK
            || sqlite3_exec(db, pragma, NULL, NULL, &msg) != SQLITE_OK
            || sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "migration %u failed: %s", i + 1, msg ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return ST_DB;
        }
    }
    return ST_OK;
}

/* Before SQLite's first use in the process: no memory statistics, which nothing reads, and which
 * cost every sqlite3_malloc and sqlite3_free a global mutex (some 4k instructions a transfer). Once
 * SQLite runs, sqlite3_config refuses (SQLITE_MISUSE) and changes nothing: it stays as it was. */
static void configure_sqlite(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Opens path with flags; readonly handles check the schema version instead of migrating. */
static int open_with(ledger **out, char *err, size_t errlen, const char *path, bool readonly)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, configure_sqlite);
    *out = NULL;
    ledger *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return ST_NOMEM;
    }
    int rc = ST_DB;
    int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &l->db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path, l->db ? sqlite3_errmsg(l->db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(l->db, 5000);
    char *msg = NULL;
    const char *pragmas = readonly ? "PRAGMA foreign_keys=ON;"
                                   : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                                     "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;";
    if (sqlite3_exec(l->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "cannot configure %s: %s", path, msg ? msg : "failed");
        sqlite3_free(msg);
        goto out;
    }
    if (ledger_sql_functions_register(l->db) != ST_OK) {
        snprintf(err, errlen, "cannot register the u256 SQL functions");
        goto out;
    }
    if (!readonly)
        rc = migrate(l->db, err, errlen);
    else {
        int version;
        rc = read_user_version(l->db, &version);
        if (rc != ST_OK)
            snprintf(err, errlen, "cannot read the schema version of %s: %s", path, sqlite3_errmsg(l->db));
        else if ((unsigned)version != schema_migration_count) {
            snprintf(err, errlen, "%s has schema version %d, this build %u: %s", path, version, schema_migration_count,
                     (unsigned)version > schema_migration_count ? "upgrade conclave"
                                                                : "start conclaved on it once to migrate it");
            rc = (unsigned)version > schema_migration_count ? ST_VERSION : ST_CONFLICT;
        }
    }
    if (rc != ST_OK)
        goto out;
    *out = l;
    return ST_OK;
out:
    ledger_close(l);
    return rc;
}

int ledger_open(ledger **out, char *err, size_t errlen, const char *path)
{
    return open_with(out, err, errlen, path, false);
}

int ledger_open_readonly(ledger **out, char *err, size_t errlen, const char *path)
{
    return open_with(out, err, errlen, path, true);
}

void ledger_close(ledger *l)
{
    if (!l)
        return;
    ledger_read_release(l);
    ledger_nonces_forget(l);
    ledger_memo_forget(l);
    ledger_pool_memo_clear(l);
    for (int i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(l->stmts[i]);
    sqlite3_close(l->db);
    free(l);
}

int ledger_meta_get(ledger *l, const char *key, char **value)
{
    static const char sql[] = "SELECT value FROM meta WHERE key = ?1";
    return ledger_step_text(ledger_query(l, STMT_META_GET, sql, LEDGER_VALUES(ledger_val_text(key))), value);
}

int ledger_meta_set(ledger *l, const char *key, const char *value)
{
    return ledger_meta_set_len(l, key, value, strlen(value));
}

int ledger_meta_set_len(ledger *l, const char *key, const char *value, size_t len)
{
    static const char sql[] = "INSERT INTO meta(key, value) VALUES(?1, ?2) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
    ARG_CHECK(len <= INT_MAX);
    ledger_value text = ledger_val_text(value);
    text.len = (int)len;
    return ledger_step_done(ledger_query(l, STMT_META_SET, sql, LEDGER_VALUES(ledger_val_text(key), text)));
}

int ledger_defer_sync(ledger *l, int *wal_fd)
{
    ARG_CHECK(!l->in_block);
    *wal_fd = -1;
    char *mode = NULL;
    int rc = ledger_step_text(ledger_query(l, STMT_JOURNAL_MODE, "PRAGMA journal_mode", NULL), &mode);
    bool wal = rc == ST_OK && strcmp(mode, "wal") == 0;
    free(mode);
    if (rc != ST_OK)
        return rc;
    if (!wal)
        return ST_INVALID;
    const char *path = sqlite3_filename_wal(sqlite3_db_filename(l->db, "main"));
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        return ST_IO;
    if (ledger_exec(l, "PRAGMA synchronous=NORMAL") != ST_OK) {
        close(fd);
        return ST_DB;
    }
    *wal_fd = fd;
    return ST_OK;
}

int ledger_sync_wal(int wal_fd)
{
    return fdatasync(wal_fd) == 0 ? ST_OK : ST_IO;
}

/* Runs one of the transaction-control statements, prepared once (sqlite3_exec would parse it again
 * at every block and every transaction). Returns: ST_OK or ST_DB. */
static int control(ledger *l, enum ledger_stmt_id id, const char *sql)
{
    return ledger_step_done(ledger_query(l, id, sql, NULL));
}

/* Tells every registered block cache that a savepoint began, or ended (kept or rolled back). */
static void caches_savepoint(ledger *l, bool inner)
{
    for (unsigned i = 0; i < l->n_caches; i++)
        l->caches[i].savepoint(l->caches[i].ctx, inner);
}

static void caches_savepoint_end(ledger *l, bool inner, bool keep)
{
    for (unsigned i = 0; i < l->n_caches; i++)
        l->caches[i].savepoint_end(l->caches[i].ctx, inner, keep);
}

/* Writes what the block caches hold (before the COMMIT). Returns: ST_OK or the first failure. */
static int caches_write(ledger *l)
{
    int rc = ST_OK;
    for (unsigned i = 0; i < l->n_caches && rc == ST_OK; i++)
        rc = l->caches[i].write(l->caches[i].ctx);
    return rc;
}

static void caches_forget(ledger *l)
{
    for (unsigned i = 0; i < l->n_caches; i++)
        l->caches[i].forget(l->caches[i].ctx);
}

struct ledger_checkpointer {
    sqlite3 *db;
};

/* The write-ahead log hook of l's connection while a checkpointer works for it: notes the frames
 * the log holds after each commit (in place of the automatic checkpoint's hook). */
static int note_wal_frames(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    ((ledger *)arg)->wal_frames = frames > 0 ? (unsigned)frames : 0;
    return SQLITE_OK;
}

unsigned ledger_wal_frames(const ledger *l)
{
    return l->wal_frames;
}

int ledger_checkpointer_open(ledger *l, ledger_checkpointer **out)
{
    ARG_CHECK(!l->in_block);
    *out = NULL;
    ledger_checkpointer *c = calloc(1, sizeof *c);
    if (!c)
        return ST_NOMEM;
    const char *path = sqlite3_db_filename(l->db, "main");
    if (!path || sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK
        || sqlite3_exec(c->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK
        || ledger_exec(l, "PRAGMA wal_autocheckpoint=0") != ST_OK) {
        sqlite3_close(c->db);
        free(c);
        return ST_DB;
    }
    sqlite3_wal_hook(l->db, note_wal_frames, l);
    *out = c;
    return ST_OK;
}

int ledger_checkpoint(ledger_checkpointer *c, int *frames_left)
{
    int in_log = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &in_log, &copied);
    if (frames_left)
        *frames_left = in_log - copied;
    return rc == SQLITE_OK || rc == SQLITE_BUSY ? ST_OK : ST_DB;
}

void ledger_checkpointer_close(ledger *l, ledger_checkpointer *c)
{
    if (!c)
        return;
    sqlite3_close(c->db);
    free(c);
    l->wal_frames = 0;
    if (ledger_exec(l, "PRAGMA wal_autocheckpoint=1000") != ST_OK)
        fprintf(stderr, "ledger: cannot turn automatic checkpoints back on\n");
}

int ledger_block_begin(ledger *l, uint64_t height)
{
    ARG_CHECK(!l->in_block && l->read_depth == 0 && height <= LEDGER_POSITION_HEIGHT_MAX);
    ledger_read_release(l);
    if (control(l, STMT_BLOCK_BEGIN, "BEGIN IMMEDIATE") != ST_OK)
        return ST_DB;
    l->in_block = true;
    l->height = height;
    l->block_txrecs = 0;
    l->block_moved = false;
    l->block_row_put = false;
    return ST_OK;
}

int ledger_block_commit(ledger *l)
{
    /* stored transactions and transfers need their block's row: no foreign key checks it since
     * schemas 016 and 017 */
    ARG_CHECK(l->in_block && !l->in_tx && (l->block_row_put || (l->block_txrecs == 0 && !l->block_moved)));
    if (caches_write(l) != ST_OK || ledger_memo_write(l) != ST_OK
        || control(l, STMT_COMMIT, "COMMIT") != ST_OK) {
        ledger_block_abort(l);
        return ST_DB;
    }
    ledger_nonces_forget(l);
    ledger_memo_forget(l);
    caches_forget(l);
    l->in_block = false;
    return ST_OK;
}

void ledger_block_abort(ledger *l)
{
    if (!l->in_block)
        return;
    sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
    ledger_nonces_forget(l);
    ledger_memo_forget(l);
    caches_forget(l);
    l->in_block = false;
    l->in_tx = false;
}

int ledger_read_begin(ledger *l)
{
    ARG_CHECK(!l->in_block);
    if (l->read_depth == 0 && !l->read_kept && control(l, STMT_READ_BEGIN, "BEGIN") != ST_OK)
        return ST_DB;
    l->read_kept = false;
    l->read_depth++;
    return ST_OK;
}

/* Ends the read transaction. */
static void read_close(ledger *l)
{
    if (control(l, STMT_COMMIT, "COMMIT") != ST_OK)
        sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}

void ledger_read_end(ledger *l)
{
    if (l->read_depth == 0) {
        fprintf(stderr, "ledger: illegal call: ledger_read_end without a read transaction\n");
        return;
    }
    if (--l->read_depth > 0)
        return;
    if (l->read_keep)
        l->read_kept = true;
    else
        read_close(l);
}

void ledger_read_keep(ledger *l)
{
    l->read_keep = true;
}

void ledger_read_release(ledger *l)
{
    l->read_keep = false;
    if (l->read_kept) {
        l->read_kept = false; /* before the COMMIT, which comes through handed_out too */
        read_close(l);
    }
}

bool ledger_in_block(const ledger *l)
{
    return l->in_block;
}

int ledger_add_block_cache(ledger *l, const ledger_block_cache *c)
{
    ARG_CHECK(!l->in_block);
    if (l->n_caches == LEDGER_MAX_BLOCK_CACHES)
        return ST_LIMIT;
    l->caches[l->n_caches++] = *c;
    return ST_OK;
}

void ledger_remove_block_cache(ledger *l, const void *ctx)
{
    for (unsigned i = 0; i < l->n_caches; i++)
        if (l->caches[i].ctx == ctx) {
            l->caches[i] = l->caches[--l->n_caches];
            return;
        }
}

bool ledger_reading(const ledger *l)
{
    return l->read_depth > 0;
}

int ledger_tx_begin(ledger *l, const uint8_t txhash[LEDGER_HASH_LEN])
{
    ARG_CHECK(l->in_block && !l->in_tx);
    if (control(l, STMT_TX_SAVEPOINT, "SAVEPOINT tx") != ST_OK)
        return ST_DB;
    ledger_memo_savepoint(l, false);
    caches_savepoint(l, false);
    memcpy(l->txhash, txhash, LEDGER_HASH_LEN);
    l->in_tx = true;
    l->tx_guarded = true;
    return ST_OK;
}

int ledger_tx_begin_unguarded(ledger *l, const uint8_t txhash[LEDGER_HASH_LEN])
{
    ARG_CHECK(l->in_block && !l->in_tx);
    memcpy(l->txhash, txhash, LEDGER_HASH_LEN);
    l->in_tx = true;
    l->tx_guarded = false;
    return ST_OK;
}

int ledger_tx_end(ledger *l, bool keep)
{
    ARG_CHECK(l->in_tx);
    ARG_CHECK(keep || l->tx_guarded);
    l->in_tx = false;
    if (!l->tx_guarded)
        return ST_OK;
    ledger_memo_savepoint_end(l, false, keep);
    caches_savepoint_end(l, false, keep);
    if (!keep && control(l, STMT_TX_ROLLBACK, "ROLLBACK TO tx") != ST_OK)
        return ST_DB;
    return control(l, STMT_TX_RELEASE, "RELEASE tx");
}

int ledger_inner_begin(ledger *l)
{
    ARG_CHECK(l->in_tx);
    if (control(l, STMT_INNER_SAVEPOINT, "SAVEPOINT inner") != ST_OK)
        return ST_DB;
    ledger_memo_savepoint(l, true);
    caches_savepoint(l, true);
    return ST_OK;
}

int ledger_inner_end(ledger *l, bool keep)
{
    ARG_CHECK(l->in_tx);
    ledger_memo_savepoint_end(l, true, keep);
    caches_savepoint_end(l, true, keep);
    if (!keep && control(l, STMT_INNER_ROLLBACK, "ROLLBACK TO inner") != ST_OK)
        return ST_DB;
    return control(l, STMT_INNER_RELEASE, "RELEASE inner");
}
