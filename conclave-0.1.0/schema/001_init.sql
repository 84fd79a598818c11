-- 001_init.sql: the ledger's first shape: node metadata, double-entry accounts and transfers,
-- account nonces, blocks with their hash chain, and the transactions with their receipts.
-- Amounts are canonical decimal strings of u256 values; hashes and addresses are BLOBs.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- One row per ledger account. kind: 1 free, 2 escrow, 3 claimable (per user address),
-- 4 pool stake, 5 pool rewards, 6 pool commission (per pool), 7 treasury, 8 issuance, 9 fees.
-- balance = credits - debits; only issuance may go below zero.
CREATE TABLE accounts (
    id      INTEGER PRIMARY KEY,
    kind    INTEGER NOT NULL,
    owner   BLOB NOT NULL,
    pool    INTEGER NOT NULL,
    debits  TEXT NOT NULL DEFAULT '0',
    credits TEXT NOT NULL DEFAULT '0',
    UNIQUE (kind, owner, pool)
) STRICT;

-- Every movement of value: debit one account, credit another.
CREATE TABLE transfers (
    id     INTEGER PRIMARY KEY,
    height INTEGER NOT NULL REFERENCES blocks(height) DEFERRABLE INITIALLY DEFERRED,
    tx     BLOB NOT NULL,
    debit  INTEGER NOT NULL REFERENCES accounts(id),
    credit INTEGER NOT NULL REFERENCES accounts(id),
    amount TEXT NOT NULL,
    code   TEXT NOT NULL
) STRICT;
CREATE INDEX transfers_by_tx ON transfers(tx);
CREATE INDEX transfers_by_height ON transfers(height);  -- the deferred foreign key is checked per block
CREATE INDEX transfers_by_debit ON transfers(debit);
CREATE INDEX transfers_by_credit ON transfers(credit);

CREATE TABLE nonces (
    address BLOB PRIMARY KEY,
    nonce   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- hash = sha256(height u64be || time u64be || parent || tx_root), tx_root = sha256(tx hashes).
CREATE TABLE blocks (
    height   INTEGER PRIMARY KEY,
    hash     BLOB NOT NULL UNIQUE,
    parent   BLOB NOT NULL,
    time     INTEGER NOT NULL,
    tx_root  BLOB NOT NULL,
    tx_count INTEGER NOT NULL
) STRICT;

-- body is the transaction's canonical JSON form; sender is NULL for system transactions
-- (genesis, dev mint). status: 1 success, 0 failed (a failed one changed nothing but its nonce).
CREATE TABLE transactions (
    hash   BLOB PRIMARY KEY,
    height INTEGER NOT NULL REFERENCES blocks(height) DEFERRABLE INITIALLY DEFERRED,
    idx    INTEGER NOT NULL,
    sender BLOB,
    type   TEXT NOT NULL,
    body   TEXT NOT NULL,
    status INTEGER NOT NULL,
    error  TEXT,
    events TEXT NOT NULL,
    UNIQUE (height, idx)
) STRICT;
CREATE INDEX transactions_by_sender ON transactions(sender);
