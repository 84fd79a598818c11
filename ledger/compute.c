/* SPDX-License-Identifier: MIT */
/* compute.c: rows of heartbeats and payment channels (see compute.h). */
#include "ledger/ledger_int.h"

#include <stdlib.h>
#include <string.h>
#include "ledger/compute.h"

#define CHANNEL_COLUMNS "id, client, worker, deposit, redeemed, paid, close_at, closed, opened_height"

/* A row of CHANNEL_COLUMNS; close_at is NULL while the channel is open. */
static const ledger_column channel_columns[] = {
    LEDGER_COLUMN(INT, ledger_channel, id), LEDGER_COLUMN(BYTES, ledger_channel, client),
    LEDGER_COLUMN(BYTES, ledger_channel, worker), LEDGER_COLUMN(MPZ, ledger_channel, deposit),
    LEDGER_COLUMN(MPZ, ledger_channel, redeemed), LEDGER_COLUMN(MPZ, ledger_channel, paid),
    LEDGER_COLUMN_OPT(INT, ledger_channel, close_at, closing), LEDGER_COLUMN(BOOL, ledger_channel, closed),
    LEDGER_COLUMN(INT, ledger_channel, opened_height), LEDGER_COLUMNS_END
};

void ledger_channel_init(ledger_channel *c)
{
    ledger_columns_init(c, sizeof *c, channel_columns);
}

void ledger_channel_clear(ledger_channel *c)
{
    ledger_columns_clear(c, channel_columns);
}

int ledger_channel_insert(ledger *l, ledger_channel *c)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO channels(" CHANNEL_COLUMNS ") VALUES((SELECT coalesce(max(id), 0) + 1 "
                              "FROM channels), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id";
    return ledger_write_columns(ledger_stmt(l, STMT_CHANNEL_INSERT, sql), c, channel_columns, &c->id);
}

int ledger_channel_get(ledger *l, uint64_t id, ledger_channel *c)
{
    static const char sql[] = "SELECT " CHANNEL_COLUMNS " FROM channels WHERE id = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_CHANNEL_GET, sql, LEDGER_VALUES(ledger_val_int(id)));
    return ledger_read_row(st, c, ledger_read_columns, channel_columns);
}

int ledger_channel_update(ledger *l, const ledger_channel *c)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "UPDATE channels SET client = ?2, worker = ?3, deposit = ?4, redeemed = ?5, paid = ?6, "
                              "close_at = ?7, closed = ?8, opened_height = ?9 WHERE id = ?1";
    return ledger_write_columns(ledger_stmt(l, STMT_CHANNEL_UPDATE, sql), c, channel_columns, NULL);
}

int ledger_channel_due(ledger *l, uint64_t t, uint64_t *ids, unsigned cap, unsigned *n)
{
    static const char sql[] = "SELECT id FROM channels WHERE closed = 0 AND close_at <= ?1 AND redeemed = paid "
                              "ORDER BY id LIMIT ?2";
    sqlite3_stmt *st = ledger_query(l, STMT_CHANNEL_DUE, sql, LEDGER_VALUES(ledger_val_int(t)));
    return ledger_read_ids(st, 2, cap, ids, n, NULL);
}

int ledger_channel_page(ledger *l, enum ledger_channel_filter by, const uint8_t *address, uint64_t pool, uint64_t cursor,
                        unsigned limit, uint64_t *ids, unsigned *n, bool *more)
{
    static const char *const sql[] = {
        [LEDGER_CHANNELS_OF_CLIENT] = "SELECT id FROM channels WHERE client = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        [LEDGER_CHANNELS_OF_WORKER] = "SELECT id FROM channels WHERE worker = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        [LEDGER_CHANNELS_OF_POOL] = "SELECT c.id FROM channels c JOIN workers w ON w.address = c.worker "
                                    "WHERE w.pool = ?1 AND c.id > ?2 ORDER BY c.id LIMIT ?3",
    };
    static const enum ledger_stmt_id ids_of[] = { STMT_CHANNEL_LIST, STMT_CHANNEL_LIST_WORKER, STMT_CHANNEL_LIST_POOL };
    ARG_CHECK((unsigned)by <= LEDGER_CHANNELS_OF_POOL && (by == LEDGER_CHANNELS_OF_POOL || address));
    ledger_value key = by == LEDGER_CHANNELS_OF_POOL ? ledger_val_int(pool) : ledger_val_addr(address);
    sqlite3_stmt *st = ledger_query(l, ids_of[by], sql[by], LEDGER_VALUES(key, ledger_val_int(cursor)));
    return ledger_read_ids(st, 3, limit, ids, n, more);
}

int ledger_heartbeat_put(ledger *l, const uint8_t worker[LEDGER_ADDR_LEN], uint64_t epoch, uint64_t slot,
                         uint32_t score)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO heartbeats(worker, epoch, slot, score) VALUES(?1, ?2, ?3, ?4) "
                              "ON CONFLICT DO NOTHING";
    sqlite3_stmt *st = ledger_query(l, STMT_HEARTBEAT_PUT, sql, LEDGER_VALUES(ledger_val_addr(worker),
        ledger_val_int(epoch), ledger_val_int(slot), ledger_val_int(score)));
    int rc = ledger_step_done(st);
    if (rc == ST_OK && sqlite3_changes(l->db) == 0)
        rc = ST_CONFLICT;
    return rc;
}

/* What ledger_heartbeat_slots fills as it visits rows. */
typedef struct slot_scores {
    uint32_t *scores;
    uint64_t n_slots;
} slot_scores;

static int visit_slot(sqlite3_stmt *st, void *ctx)
{
    slot_scores *s = ctx;
    sqlite3_int64 slot = sqlite3_column_int64(st, 0);
    if (slot >= 0 && (uint64_t)slot < s->n_slots)
        s->scores[slot] = (uint32_t)sqlite3_column_int64(st, 1);
    return ST_OK;
}

int ledger_heartbeat_slots(ledger *l, const uint8_t worker[LEDGER_ADDR_LEN], uint64_t epoch, uint32_t *scores,
                           uint64_t n_slots)
{
    static const char sql[] = "SELECT slot, score FROM heartbeats WHERE worker = ?1 AND epoch = ?2";
    memset(scores, 0, n_slots * sizeof *scores);
    sqlite3_stmt *st =
        ledger_query(l, STMT_HEARTBEAT_SLOTS, sql, LEDGER_VALUES(ledger_val_addr(worker), ledger_val_int(epoch)));
    slot_scores ctx = { scores, n_slots };
    return ledger_each_row(st, visit_slot, &ctx);
}

/* A heartbeat row: epoch, slot, score. */
static const ledger_column heartbeat_columns[] = {
    LEDGER_COLUMN(INT, ledger_heartbeat, epoch), LEDGER_COLUMN(INT, ledger_heartbeat, slot),
    LEDGER_COLUMN(INT, ledger_heartbeat, score), LEDGER_COLUMNS_END
};

int ledger_heartbeat_recent(ledger *l, const uint8_t worker[LEDGER_ADDR_LEN], ledger_heartbeat *out, unsigned cap,
                            unsigned *n)
{
    static const char sql[] = "SELECT epoch, slot, score FROM heartbeats WHERE worker = ?1 "
                              "ORDER BY epoch DESC, slot DESC LIMIT ?2";
    sqlite3_stmt *st = ledger_query(l, STMT_HEARTBEAT_RECENT, sql, LEDGER_VALUES(ledger_val_addr(worker)));
    return ledger_read_rows(st, 2, out, sizeof *out, cap, ledger_read_columns, heartbeat_columns, n, NULL);
}

int ledger_channel_owing(ledger *l, uint64_t after, uint64_t *ids, unsigned cap, unsigned *n)
{
    static const char sql[] = "SELECT id FROM channels WHERE closed = 0 AND redeemed != paid AND id > ?1 "
                              "ORDER BY id LIMIT ?2";
    sqlite3_stmt *st = ledger_query(l, STMT_CHANNEL_OWING, sql, LEDGER_VALUES(ledger_val_int(after)));
    return ledger_read_ids(st, 2, cap, ids, n, NULL);
}

/* The statements of one allowlist: its table and its cache slots. */
typedef struct allowlist_sql {
    const char *add, *remove, *has;
    enum ledger_stmt_id add_id, remove_id, has_id;
} allowlist_sql;

#define ALLOWLIST_SQL(table, prefix)                                                                        \
    { "INSERT INTO " table "(measurement, added_height) VALUES(?1, ?2) ON CONFLICT DO NOTHING",            \
      "DELETE FROM " table " WHERE measurement = ?1", "SELECT 1 FROM " table " WHERE measurement = ?1",    \
      prefix##_ADD, prefix##_REMOVE, prefix##_HAS }

static const allowlist_sql allowlists[] = {
    [LEDGER_RUNTIME_ENCLAVE] = ALLOWLIST_SQL("enclave_allowlist", STMT_ALLOW),
    [LEDGER_RUNTIME_WORKER] = ALLOWLIST_SQL("worker_allowlist", STMT_WALLOW),
};

int ledger_allowlist_add(ledger *l, enum ledger_runtime list, const uint8_t measurement[LEDGER_HASH_LEN])
{
    ARG_CHECK(l->in_block && (unsigned)list <= LEDGER_RUNTIME_WORKER);
    sqlite3_stmt *st = ledger_query(l, allowlists[list].add_id, allowlists[list].add, LEDGER_VALUES(
        ledger_val_hash(measurement), ledger_val_int(l->height)));
    return ledger_step_done(st);
}

int ledger_allowlist_remove(ledger *l, enum ledger_runtime list, const uint8_t measurement[LEDGER_HASH_LEN])
{
    ARG_CHECK(l->in_block && (unsigned)list <= LEDGER_RUNTIME_WORKER);
    sqlite3_stmt *st = ledger_query(l, allowlists[list].remove_id, allowlists[list].remove, LEDGER_VALUES(
        ledger_val_hash(measurement)));
    return ledger_step_done(st);
}

int ledger_allowlist_has(ledger *l, enum ledger_runtime list, const uint8_t measurement[LEDGER_HASH_LEN], bool *has)
{
    ARG_CHECK((unsigned)list <= LEDGER_RUNTIME_WORKER);
    sqlite3_stmt *st = ledger_query(l, allowlists[list].has_id, allowlists[list].has, LEDGER_VALUES(
        ledger_val_hash(measurement)));
    return ledger_step_exists(st, has);
}

int ledger_worker_reg_put(ledger *l, const ledger_worker_reg *r, const uint8_t *quote, size_t quote_len)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT OR REPLACE INTO worker_registrations(address, operator, measurement, score, "
                              "conf_level, quote, registered_height) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    sqlite3_stmt *st = ledger_query(l, STMT_WREG_PUT, sql, LEDGER_VALUES(ledger_val_addr(r->address),
        ledger_val_addr(r->operator_), ledger_val_hash(r->measurement), ledger_val_int(r->score),
        ledger_val_int(r->conf_level), ledger_val_blob(quote, quote_len), ledger_val_int(l->height)));
    return ledger_step_done(st);
}

/* A registration row: address, operator, measurement, score, conf_level, registered_height. */
static const ledger_column worker_reg_columns[] = {
    LEDGER_COLUMN(BYTES, ledger_worker_reg, address), LEDGER_COLUMN(BYTES, ledger_worker_reg, operator_),
    LEDGER_COLUMN(BYTES, ledger_worker_reg, measurement), LEDGER_COLUMN(INT, ledger_worker_reg, score),
    LEDGER_COLUMN(INT, ledger_worker_reg, conf_level), LEDGER_COLUMN(INT, ledger_worker_reg, height),
    LEDGER_COLUMNS_END
};

int ledger_worker_reg_get(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], ledger_worker_reg *r)
{
    static const char sql[] = "SELECT address, operator, measurement, score, conf_level, registered_height "
                              "FROM worker_registrations WHERE address = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_WREG_GET, sql, LEDGER_VALUES(ledger_val_addr(address)));
    return ledger_read_row(st, r, ledger_read_columns, worker_reg_columns);
}

/* A copy of blob column col (one byte allocated for an empty one); NULL when out of memory. */
static uint8_t *copy_blob(sqlite3_stmt *st, int col, size_t *len)
{
    *len = (size_t)sqlite3_column_bytes(st, col);
    uint8_t *out = malloc(*len ? *len : 1);
    if (out && *len)
        memcpy(out, sqlite3_column_blob(st, col), *len);
    return out;
}

int ledger_enclave_put(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], const uint8_t measurement[LEDGER_HASH_LEN],
                       const uint8_t *quote, size_t quote_len)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO enclaves(address, measurement, quote, registered_height) VALUES(?1, ?2, ?3, ?4) "
                              "ON CONFLICT(address) DO UPDATE SET measurement = excluded.measurement, "
                              "quote = excluded.quote, registered_height = excluded.registered_height";
    sqlite3_stmt *st = ledger_query(l, STMT_ENCLAVE_PUT, sql, LEDGER_VALUES(ledger_val_addr(address),
        ledger_val_hash(measurement), ledger_val_blob(quote, quote_len), ledger_val_int(l->height)));
    return ledger_step_done(st);
}

/* Where ledger_enclave_get puts the columns it was asked for (NULL: not wanted). */
struct enclave_out {
    uint8_t *measurement;
    uint8_t **quote;
    size_t *quote_len;
    uint64_t *height;
};

static int read_enclave(sqlite3_stmt *st, void *row, const void *ctx)
{
    (void)ctx;
    const struct enclave_out *o = row;
    if (sqlite3_column_bytes(st, 0) != LEDGER_HASH_LEN)
        return ST_DB;
    if (o->measurement)
        memcpy(o->measurement, sqlite3_column_blob(st, 0), LEDGER_HASH_LEN);
    if (o->height)
        *o->height = (uint64_t)sqlite3_column_int64(st, 2);
    if (o->quote && o->quote_len && !(*o->quote = copy_blob(st, 1, o->quote_len)))
        return ST_NOMEM;
    return ST_OK;
}

int ledger_enclave_get(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint8_t *measurement, uint8_t **quote,
                       size_t *quote_len, uint64_t *height)
{
    static const char sql[] = "SELECT measurement, quote, registered_height FROM enclaves WHERE address = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_ENCLAVE_GET, sql, LEDGER_VALUES(ledger_val_addr(address)));
    struct enclave_out o = { measurement, quote, quote_len, height };
    return ledger_read_row(st, &o, read_enclave, NULL);
}

int ledger_enclave_latest(ledger *l, uint8_t address[LEDGER_ADDR_LEN])
{
    static const char sql[] = "SELECT address FROM enclaves ORDER BY registered_height DESC, address LIMIT 1";
    return ledger_read_row(ledger_query(l, STMT_ENCLAVE_LATEST, sql, NULL), address, ledger_read_address, NULL);
}

int ledger_enclave_set_ballot_key(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], const uint8_t key[33],
                                  const uint8_t sig[65])
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "UPDATE enclaves SET ballot_key = ?1, ballot_key_sig = ?2 WHERE address = ?3";
    sqlite3_stmt *st = ledger_query(l, STMT_ENCLAVE_SET_BALLOT_KEY, sql, LEDGER_VALUES(ledger_val_blob(key, 33),
        ledger_val_blob(sig, 65), ledger_val_addr(address)));
    int rc = ledger_step_done(st);
    return rc == ST_OK && sqlite3_changes(l->db) == 0 ? ST_NOTFOUND : rc;
}

/* Where ledger_enclave_ballot_key puts the key and its signature. */
struct ballot_key_out {
    uint8_t *key, *sig;
};

static int read_ballot_key(sqlite3_stmt *st, void *row, const void *ctx)
{
    (void)ctx;
    const struct ballot_key_out *o = row;
    if (sqlite3_column_type(st, 0) == SQLITE_NULL)
        return ST_NOTFOUND;
    if (!ledger_column_fixed(st, 0, o->key, 33) || !ledger_column_fixed(st, 1, o->sig, 65))
        return ST_DB;
    return ST_OK;
}

int ledger_enclave_ballot_key(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint8_t key[33], uint8_t sig[65])
{
    static const char sql[] = "SELECT ballot_key, ballot_key_sig FROM enclaves WHERE address = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_ENCLAVE_BALLOT_KEY, sql, LEDGER_VALUES(ledger_val_addr(address)));
    struct ballot_key_out o = { key, sig };
    return ledger_read_row(st, &o, read_ballot_key, NULL);
}

/* Where ledger_chain_ballot_key puts the key and its holder (NULL: not wanted). */
struct chain_key_out {
    uint8_t *key, *holder;
};

static int read_chain_key(sqlite3_stmt *st, void *row, const void *ctx)
{
    (void)ctx;
    const struct chain_key_out *o = row;
    if (!ledger_column_fixed(st, 0, o->key, 33))
        return ST_DB;
    if (o->holder && !ledger_column_fixed(st, 1, o->holder, LEDGER_ADDR_LEN))
        return ST_DB;
    return ST_OK;
}

int ledger_chain_ballot_key(ledger *l, uint8_t key[33], uint8_t *holder)
{
    static const char sql[] = "SELECT ballot_key, address FROM enclaves WHERE ballot_key IS NOT NULL "
                              "ORDER BY registered_height, address LIMIT 1";
    struct chain_key_out o = { key, holder };
    return ledger_read_row(ledger_query(l, STMT_CHAIN_BALLOT_KEY, sql, NULL), &o, read_chain_key, NULL);
}

int ledger_settlement_put(ledger *l, const ledger_settlement *s)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO settlements(epoch, height, enclave, input_hash, inputs, report) "
                              "VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
    sqlite3_stmt *st = ledger_query(l, STMT_SETTLEMENT_PUT, sql, LEDGER_VALUES(ledger_val_int(s->epoch),
        ledger_val_int(l->height), ledger_val_addr(s->enclave), ledger_val_hash(s->input_hash),
        ledger_val_blob(s->inputs, s->inputs_len), ledger_val_blob(s->report, s->report_len)));
    return ledger_step_unique(st);
}

/* A settlement row of the epoch *ctx. */
static int read_settlement(sqlite3_stmt *st, void *row, const void *ctx)
{
    ledger_settlement *s = row;
    if (!ledger_column_fixed(st, 1, s->enclave, LEDGER_ADDR_LEN) || !ledger_column_fixed(st, 2, s->input_hash, LEDGER_HASH_LEN))
        return ST_DB;
    s->epoch = *(const uint64_t *)ctx;
    s->height = (uint64_t)sqlite3_column_int64(st, 0);
    s->inputs = copy_blob(st, 3, &s->inputs_len);
    s->report = copy_blob(st, 4, &s->report_len);
    return s->inputs && s->report ? ST_OK : ST_NOMEM;
}

int ledger_settlement_get(ledger *l, uint64_t epoch, ledger_settlement *s)
{
    static const char sql[] = "SELECT height, enclave, input_hash, inputs, report FROM settlements WHERE epoch = ?1";
    memset(s, 0, sizeof *s);
    sqlite3_stmt *st = ledger_query(l, STMT_SETTLEMENT_GET, sql, LEDGER_VALUES(ledger_val_int(epoch)));
    int rc = ledger_read_row(st, s, read_settlement, &epoch);
    if (rc != ST_OK)
        ledger_settlement_clear(s);
    return rc;
}

void ledger_settlement_clear(ledger_settlement *s)
{
    if (!s)
        return;
    free(s->inputs);
    free(s->report);
    memset(s, 0, sizeof *s);
}
