-- 013_secret_ballots.sql: secret polls (issue 13). A SecretBallot is a vote row whose ciphertext is
-- the choice encrypted to the enclaves' ballot key (docs/SECRET_BALLOTS.md); the ledger never holds
-- its plaintext. A secret poll keeps no running tally (only the power and number of its ballots);
-- at its close it is Counting, and ballots_hash fixes the standing ballots the enclave must count:
-- sha256 over, in voter order, voter (20) || weight (32 BE) || sha256(ciphertext) (32).

ALTER TABLE votes ADD COLUMN ciphertext BLOB;
ALTER TABLE polls ADD COLUMN secret INTEGER NOT NULL DEFAULT 0;
ALTER TABLE polls ADD COLUMN ballots_hash BLOB;
