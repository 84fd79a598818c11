/* SPDX-License-Identifier: MIT */
/* bench_read_costs.c: `make bench`, the dashboards' reads (ledger/reads.c, issue 14): each timed on a
 * ledger of 20,000 blocks beside one of 1,000,000 (100,000 with --quick), each block one transfer
 * between two of 1,000 addresses (and every 100th a mint to the treasury), with 1,000 settled
 * epochs (20 on the small one) and as many votes as blocks (1,000 voters a proposal). The small
 * one is the least that fills every page of 20 the reads ask for, so both answer as many rows. The
 * rows are written with SQL straight into the database, not through the engine: the reads only need
 * their shape. Every read must cost about the same on both: each seeks an index and walks a page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/benchlib.h"
#include "ledger/reads.h"
#include "ledger/sqlstore.h"

#define ADDRESSES 1000
#define REPEAT 300

/* The 20-byte address i as the SQL below writes it: printf('%020d', i). */
static void address_of(uint8_t out[20], unsigned i)
{
    char text[21];
    snprintf(text, sizeof text, "%020u", i);
    memcpy(out, text, 20);
}

/* Fills a new ledger at path with blocks 0..n-1 and the rows above. */
static ledger *build(const char *path, unsigned long n, unsigned long epochs)
{
    char err[256];
    ledger *l;
    if (ledger_open(&l, err, sizeof err, path) != ST_OK)
        bench_die(err);
    sqlite3 *db = ledger_sqlite(l);
    char *sql = sqlite3_mprintf(
        "BEGIN;"
        "INSERT INTO accounts(id, kind, owner, pool) VALUES(1, 7, zeroblob(20), 0), (2, 8, zeroblob(20), 0),"
        " (3, 9, zeroblob(20), 0);"
        "WITH RECURSIVE a(i) AS (VALUES(0) UNION ALL SELECT i + 1 FROM a WHERE i + 1 < %d)"
        " INSERT INTO accounts(id, kind, owner, pool) SELECT 10 + i, 1, CAST(printf('%%020d', i) AS BLOB), 0 FROM a;"
        "WITH RECURSIVE b(h) AS (VALUES(0) UNION ALL SELECT h + 1 FROM b WHERE h + 1 < %lu)"
        " INSERT INTO blocks(height, hash, parent, time, tx_root, tx_count)"
        " SELECT h, CAST(printf('b%%031d', h) AS BLOB), zeroblob(32), h, zeroblob(32), 1 FROM b;"
        "INSERT INTO transactions(position, hash, sender, type, body, status, events)"
        " SELECT height * 4294967296, CAST(printf('t%%031d', height) AS BLOB), CAST(printf('%%020d', height %% %d) AS BLOB),"
        " 'Transfer', '{}', 1, '[{\"type\":\"Transfer\"}]' FROM blocks;"
        "INSERT INTO transfers(height, tx, debit, credit, amount, code)"
        " SELECT height, tx, debit, credit, '1', code FROM ("
        "  SELECT height, CAST(printf('t%%031d', height) AS BLOB) AS tx, 10 + height %% %d AS debit,"
        "   10 + (height + 1) %% %d AS credit, 'transfer' AS code, 1 AS k FROM blocks"
        "  UNION ALL SELECT height, CAST(printf('t%%031d', height) AS BLOB), 2, 1, 'emission', 0 FROM blocks"
        "   WHERE height %% 100 = 0)"
        " ORDER BY height, k;"
        "UPDATE blocks SET transfers_end = e.te FROM (SELECT b.height, max(coalesce(g.m, 0)) OVER (ORDER BY b.height)"
        " AS te FROM blocks b LEFT JOIN (SELECT height, max(id) AS m FROM transfers GROUP BY height) g"
        " ON g.height = b.height) AS e WHERE e.height = blocks.height;"
        "WITH RECURSIVE p(i) AS (VALUES(1) UNION ALL SELECT i + 1 FROM p WHERE i < %lu)"
        " INSERT INTO proposals(id, proposer, track, title, body, payload, deposit, state, snapshot, total_power,"
        " created, vote_start, vote_end, eta, expires) SELECT i, zeroblob(20), 'root', 't', 'b', '', '0', 1, 0, '0',"
        " 0, 0, 0, 0, 0 FROM p;"
        "WITH RECURSIVE v(i) AS (VALUES(0) UNION ALL SELECT i + 1 FROM v WHERE i + 1 < %lu)"
        " INSERT INTO votes(proposal, voter, support, conviction, power, weight)"
        " SELECT 1 + i / %d, CAST(printf('%%020d', i %% %d) AS BLOB), 1, 0, '1', '1' FROM v;"
        "WITH RECURSIVE e(i) AS (VALUES(0) UNION ALL SELECT i + 1 FROM e WHERE i + 1 < %lu)"
        " INSERT INTO settlements(epoch, height, enclave, input_hash, inputs, report)"
        " SELECT i, i * (%lu / %lu), zeroblob(20), zeroblob(32), x'00', x'00' FROM e;"
        "COMMIT;",
        ADDRESSES, n, ADDRESSES, ADDRESSES, ADDRESSES, (n + ADDRESSES - 1) / ADDRESSES, n, ADDRESSES, ADDRESSES, epochs, n,
        epochs);
    char *msg = NULL;
    if (!sql || sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        bench_die(msg ? msg : "out of memory");
    sqlite3_free(sql);
    return l;
}

/* One read, run once; fails the benchmark if it fails. */
typedef void (*read_fn)(ledger *l, unsigned long n);

static void check(int rc, const char *what)
{
    if (rc != ST_OK)
        bench_die(what);
}

static void read_supply(ledger *l, unsigned long n)
{
    mpz_t v;
    mpz_init(v);
    check(ledger_system_balance_at(l, LEDGER_TREASURY, n > 150 ? n - 150 : 0, v), "supply");
    mpz_clear(v);
}

static void read_history(ledger *l, unsigned long n)
{
    (void)n;
    uint8_t a[20];
    address_of(a, 7);
    ledger_position page[20];
    unsigned got;
    bool more;
    check(ledger_history_page(l, a, false, 0, 0, 20, page, &got, &more), "history");
}

static void read_history_deep(ledger *l, unsigned long n)
{
    uint8_t a[20];
    address_of(a, 7);
    ledger_position page[20];
    unsigned got;
    bool more;
    check(ledger_history_page(l, a, true, n / 2, 0, 20, page, &got, &more), "history at a cursor");
}

static void read_votes(ledger *l, unsigned long n)
{
    uint8_t a[20];
    address_of(a, 7);
    uint64_t ids[20];
    unsigned got;
    bool more;
    check(ledger_votes_by_page(l, a, true, n / ADDRESSES / 2 + 1, 20, ids, &got, &more), "votes by");
}

static void read_epochs(ledger *l, unsigned long n)
{
    (void)n;
    uint64_t ids[20];
    unsigned got;
    bool more;
    check(ledger_settlement_page(l, false, 0, 20, ids, &got, &more), "epochs");
}

static int count(void *arg, const char *events)
{
    (void)events;
    ++*(unsigned *)arg;
    return ST_OK;
}

static void read_block_events(ledger *l, unsigned long n)
{
    unsigned got = 0;
    check(ledger_block_events_of(l, n / 2, "Transfer", count, &got), "block events");
}

/* Median microseconds of REPEAT runs of fn. */
static double time_us(read_fn fn, ledger *l, unsigned long n)
{
    static double runs[REPEAT];
    fn(l, n); /* prepares the statement */
    for (unsigned i = 0; i < REPEAT; i++) {
        double t = bench_now();
        fn(l, n);
        runs[i] = (bench_now() - t) * 1e6;
    }
    for (unsigned i = 1; i < REPEAT; i++) /* insertion sort: small */
        for (unsigned j = i; j > 0 && runs[j - 1] > runs[j]; j--) {
            double t = runs[j];
            runs[j] = runs[j - 1];
            runs[j - 1] = t;
        }
    return runs[REPEAT / 2];
}

int main(int argc, char **argv)
{
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    unsigned long many = quick ? 100000 : 1000000, few = 20000;
    char dir[] = "/tmp/bench-reads-XXXXXX", small_path[64], large_path[64];
    if (!mkdtemp(dir))
        bench_die("mkdtemp");
    snprintf(small_path, sizeof small_path, "%s/small.db", dir);
    snprintf(large_path, sizeof large_path, "%s/large.db", dir);
    bench_print_machine();
    ledger *small = build(small_path, few, 20);
    double t = bench_now();
    ledger *large = build(large_path, many, 1000);
    printf("the dashboards' reads, pages of 20: a ledger of %lu blocks (written in %.1f s) beside one of %lu\n", many,
           bench_now() - t, few);
    static const struct {
        const char *name;
        read_fn fn;
    } reads[] = {
        { "ledger_getSupply, 150 blocks back", read_supply },
        { "ledger_getAccountHistory, page 1", read_history },
        { "ledger_getAccountHistory, mid-chain", read_history_deep },
        { "gov_listVotesBy, mid-list", read_votes },
        { "settlement_listEpochs, page 1", read_epochs },
        { "a block's Settlement events", read_block_events },
    };
    printf("%-38s %11lu blk %11lu blk %7s\n", "read (median of 300)", few, many, "ratio");
    int worse = 0;
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        double a = time_us(reads[i].fn, small, few), b = time_us(reads[i].fn, large, many);
        printf("%-38s %11.1f us %11.1f us %6.1fx\n", reads[i].name, a, b, b / a);
        if (b > 4 * a + 20)
            worse++;
    }
    if (worse)
        printf("NOTE: %d read(s) cost more than 4x on the large ledger: not a page's cost\n", worse);
    ledger_close(small);
    ledger_close(large);
    bench_remove_dir(dir);
    return 0;
}
