-- 014_secret_counts.sql: the count of secret polls (issue 13). Each enclave's ballot key, and its
-- identity's signature over it (docs/SECRET_BALLOTS.md), recorded by an EnclaveBallotKey system
-- transaction once its signature recovers to the enclave. Each counted secret poll keeps the
-- enclave's signed report as it landed (SecretPollCount): the scores go to polls.scores as an open
-- poll's, and anyone can check the report against the ballots.

ALTER TABLE enclaves ADD COLUMN ballot_key BLOB;
ALTER TABLE enclaves ADD COLUMN ballot_key_sig BLOB;

CREATE TABLE secret_counts (
    proposal    INTEGER PRIMARY KEY REFERENCES proposals(id),
    enclave     BLOB NOT NULL,      -- the address that signed the report
    measurement BLOB NOT NULL,      -- the counting enclave's, as the report names it
    report      BLOB NOT NULL,      -- the report's bytes (docs/SECRET_BALLOTS.md)
    signature   BLOB NOT NULL,      -- r || s || v over keccak256("conclave poll count v1" || report)
    height      INTEGER NOT NULL    -- the block that applied it
) STRICT;
