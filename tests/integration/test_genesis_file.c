/* SPDX-License-Identifier: MIT */
/* test_genesis_file.c: conclaved's genesis file on the real binary. A file past the old 64 MiB cap
 * (a small document padded with whitespace inside its accounts array) is read, and the node holds
 * exactly that small document's balances and the same genesis block as the unpadded file (its
 * second account is read again by block 0 after the node dropped the mapped file's pages, once
 * parsed and behind block 0's walk: eng_config.genesis_release); a file past ENG_GENESIS_MAX_BYTES
 * is refused with exit status 1 and no database. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/genesis.h"
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

#define PADDING (70L * 1024 * 1024)

static th_node node;
static char dir[64], genesis_path[128];
static const char *const genesis_options[] = { "--genesis", genesis_path, "--no-enclave", NULL };

static void setup(void)
{
    memset(&node, 0, sizeof node);
    th_temp_dir(dir, sizeof dir, "genesis-file");
}

static void teardown(void)
{
    th_node_cleanup(&node);
    th_rmtree(dir);
}

TestSuite(integration_genesis_file, .init = setup, .fini = teardown, .timeout = 120);

#define ACCOUNT_0 "{\"address\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"balance\":\"7000000000000000000\"}"
#define ACCOUNT_1 "{\"address\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\",\"balance\":\"5\"}"

/* Writes the two-account document to path, with padding bytes of whitespace between its entries. */
static void write_genesis(const char *path, long padding)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "genesis file");
    fputs("{\"chainId\":31337,\"time\":1767225600,\"accounts\":[" ACCOUNT_0 ",", f);
    static char spaces[65536];
    memset(spaces, ' ', sizeof spaces);
    for (long left = padding; left > 0; left -= (long)sizeof spaces)
        fwrite(spaces, 1, left < (long)sizeof spaces ? (size_t)left : sizeof spaces, f);
    fputs(ACCOUNT_1 "]}", f);
    cr_assert_eq(fclose(f), 0, "genesis file written");
}

/* Starts a dev node on a new data directory with genesis_file; returns its node_info genesisHash
 * and asserts the two balances. The caller frees the hash and stops the node. */
static char *start_and_read(const char *genesis_file)
{
    snprintf(genesis_path, sizeof genesis_path, "%s", genesis_file);
    node.options = genesis_options;
    th_node_start(&node, false);
    cJSON *info = th_call(&node, "node_info", NULL);
    char *hash = strdup(th_str(th_get(info, "result"), "genesisHash"));
    cJSON_Delete(info);
    cJSON *a0 = th_call(&node, "ledger_getAccount", "{\"address\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\"}");
    cr_assert_str_eq(th_str(th_get(a0, "result"), "free"), "7000000000000000000", "account 0's genesis balance");
    cJSON_Delete(a0);
    cJSON *a1 = th_call(&node, "ledger_getAccount", "{\"address\":\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\"}");
    cr_assert_str_eq(th_str(th_get(a1, "result"), "free"), "5", "account 1's genesis balance");
    cJSON_Delete(a1);
    return hash;
}

Test(integration_genesis_file, a_file_past_the_old_64_mib_cap_gives_the_small_documents_chain)
{
    char small[128], padded[128];
    snprintf(small, sizeof small, "%s/small.json", dir);
    snprintf(padded, sizeof padded, "%s/padded.json", dir);
    write_genesis(small, 1);
    write_genesis(padded, PADDING);
    char *small_hash = start_and_read(small);
    th_node_cleanup(&node);
    char *padded_hash = start_and_read(padded);
    cr_assert_str_eq(padded_hash, small_hash, "the same genesis block");
    /* a restart given the padded file again is this chain */
    cr_assert_eq(th_node_stop(&node, SIGTERM), 0, "stopped");
    th_node_start(&node, true);
    th_node_stop(&node, SIGTERM);
    free(padded_hash);
    free(small_hash);
}

Test(integration_genesis_file, a_file_past_256_mib_is_refused_and_writes_nothing)
{
    char path[128], datadir[128], db[160];
    snprintf(path, sizeof path, "%s/huge.json", dir);
    snprintf(datadir, sizeof datadir, "%s/data", dir);
    snprintf(db, sizeof db, "%s/conclave.db", datadir);
    /* a sparse file: its size is what is refused, before a byte is read */
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "file");
    cr_assert_eq(ftruncate(fileno(f), ENG_GENESIS_MAX_BYTES + 1), 0, "sized");
    fclose(f);
    const char *argv[] = { TEST_BUILDDIR "/conclaved", "--datadir", datadir, "--no-enclave", "--rpc-bind",
                           "127.0.0.1:0", "--genesis", path, NULL };
    cr_assert_eq(th_run(argv), 1, "exit status 1");
    cr_assert_neq(access(db, F_OK), 0, "no database created");
}
