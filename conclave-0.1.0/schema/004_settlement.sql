-- 004_settlement.sql: the enclaves the ledger trusts and the epochs they settled. An enclave is
-- registered from a verified quote whose measurement is on the allowlist (seeded by the genesis,
-- changed by governance). A settlement row holds the canonical inputs and the signed report of one
-- epoch; the primary key makes settling an epoch twice impossible.

CREATE TABLE enclave_allowlist (
    measurement  BLOB PRIMARY KEY,
    added_height INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE enclaves (
    address           BLOB PRIMARY KEY,   -- of the enclave's secp256k1 key: it signs reports
    measurement       BLOB NOT NULL,
    quote             BLOB NOT NULL,
    registered_height INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE settlements (
    epoch      INTEGER PRIMARY KEY,
    height     INTEGER NOT NULL,
    enclave    BLOB NOT NULL,
    input_hash BLOB NOT NULL,
    inputs     BLOB NOT NULL,
    report     BLOB NOT NULL
) STRICT;
