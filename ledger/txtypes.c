/* SPDX-License-Identifier: MIT */
/* txtypes.c: the table of every signed transaction type. These member lists are the wire contract
 * with wallets (each one fixes an EIP-712 typeHash): never reorder, rename or retype a member of a
 * shipped type; add a new type instead. Voucher has no nonce: it is signed off-ledger and redeemed
 * inside VoucherRedeem. Heartbeat (epoch, score), whose score the worker claimed itself, was
 * retired for WorkerHeartbeat, which answers the slot's challenge with a measured counter. Each
 * type's typeHash is computed once, at the first digest, for every thread. */
#include "ledger/tx.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* M(type, name): a member, written in Solidity order as in encodeType. */
#define M(type, name) { name, type }

static const ledger_eip712_type types[] = {
    { "Transfer", { M("address", "to"), M("uint256", "amount"), M("uint64", "nonce") }, 3 },
    { "PoolCreate", { M("uint32", "commissionPpm"), M("uint256", "capacity"), M("uint64", "nonce") }, 3 },
    { "PoolSetCommission", { M("uint64", "pool"), M("uint32", "commissionPpm"), M("uint64", "nonce") }, 3 },
    { "PoolSetCapacity", { M("uint64", "pool"), M("uint256", "capacity"), M("uint64", "nonce") }, 3 },
    { "PoolSetDescription", { M("uint64", "pool"), M("string", "description"), M("uint64", "nonce") }, 3 },
    { "PoolAllowContributor", { M("uint64", "pool"), M("address", "contributor"), M("uint64", "nonce") }, 3 },
    { "PoolDisallowContributor", { M("uint64", "pool"), M("address", "contributor"), M("uint64", "nonce") }, 3 },
    { "WorkerRegister",
      { M("bytes", "quote"), M("address", "operator"), M("uint64", "iterations"), M("uint64", "micros"),
        M("uint64", "nonce") }, 5 },
    { "WorkerAdd", { M("uint64", "pool"), M("address", "worker"), M("uint64", "nonce") }, 3 },
    { "WorkerRemove", { M("uint64", "pool"), M("address", "worker"), M("uint64", "nonce") }, 3 },
    { "WorkerBond",
      { M("uint64", "pool"), M("address", "worker"), M("uint256", "amount"), M("uint64", "nonce") }, 4 },
    { "WorkerUnbond",
      { M("uint64", "pool"), M("address", "worker"), M("uint256", "amount"), M("uint64", "nonce") }, 4 },
    { "Contribute", { M("uint64", "pool"), M("uint256", "amount"), M("uint64", "nonce") }, 3 },
    { "Withdraw", { M("uint64", "pool"), M("uint256", "shares"), M("uint64", "nonce") }, 3 },
    { "Claim", { M("uint64", "pool"), M("uint64", "nonce") }, 2 },
    { "WorkerHeartbeat",
      { M("uint64", "epoch"), M("uint32", "slot"), M("bytes32", "challenge"), M("uint64", "iterations"),
        M("uint64", "micros"), M("uint64", "nonce") }, 6 },
    { "ChannelOpen", { M("address", "worker"), M("uint256", "deposit"), M("uint64", "nonce") }, 3 },
    { "ChannelTopUp", { M("uint64", "channel"), M("uint256", "amount"), M("uint64", "nonce") }, 3 },
    { "ChannelClose", { M("uint64", "channel"), M("uint64", "nonce") }, 2 },
    { "Voucher", { M("uint64", "channel"), M("uint256", "cumulative") }, 2 },
    { "VoucherRedeem",
      { M("uint64", "channel"), M("uint256", "cumulative"), M("bytes", "voucherSig"), M("uint64", "nonce") }, 4 },
    { "Propose",
      { M("string", "track"), M("string", "title"), M("string", "body"), M("bytes", "payload"),
        M("uint64", "nonce") }, 5 },
    { "Vote", { M("uint64", "proposal"), M("uint8", "support"), M("uint8", "conviction"), M("uint64", "nonce") }, 4 },
    { "Delegate", { M("address", "to"), M("uint8", "conviction"), M("uint64", "nonce") }, 3 },
    { "Undelegate", { M("uint64", "nonce") }, 1 },
    { "ProposalCancel", { M("uint64", "proposal"), M("uint64", "nonce") }, 2 },
    { "ProposalExecute", { M("uint64", "proposal"), M("uint64", "nonce") }, 2 },
    { "Ballot", { M("uint64", "proposal"), M("string", "choice"), M("uint8", "conviction"), M("uint64", "nonce") }, 4 },
    { "SecretBallot",
      { M("uint64", "proposal"), M("bytes", "ciphertext"), M("uint8", "conviction"), M("uint64", "nonce") }, 4 },
};

#define N_TYPES (sizeof types / sizeof types[0])

static uint8_t type_hashes[N_TYPES][32];
static pthread_once_t type_hashes_once = PTHREAD_ONCE_INIT;

static void hash_types(void)
{
    for (size_t i = 0; i < N_TYPES; i++)
        ledger_eip712_type_hash(type_hashes[i], &types[i]);
}

const uint8_t *ledger_tx_type_hash(const ledger_eip712_type *t)
{
    uintptr_t at = (uintptr_t)t, first = (uintptr_t)types;
    if (at < first || at >= first + sizeof types)
        return NULL;
    pthread_once(&type_hashes_once, hash_types);
    return type_hashes[t - types];
}

const ledger_eip712_type *ledger_tx_types(unsigned *n)
{
    *n = N_TYPES;
    return types;
}

const ledger_eip712_type *ledger_tx_type_find(const char *name)
{
    /* the first letter rules out most types without a call to strcmp (a tx_send looks its type up
     * on a verification thread) */
    for (size_t i = 0; i < N_TYPES; i++)
        if (types[i].name[0] == name[0] && strcmp(types[i].name, name) == 0)
            return &types[i];
    return NULL;
}
