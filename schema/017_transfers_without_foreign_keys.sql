-- 017_transfers_without_foreign_keys.sql: a transfer's row without its three foreign keys (issue 12:
-- ~5-7k instructions a transfer). Each insert looked its debit and credit accounts up, and its
-- height's block (deferred: the block's row then scanned its transfers). The ledger writes a
-- transfer only between accounts it has just loaded or created, inside a block that commits only
-- with its row (ledger_block_commit), and the audit checks both: every transfer's accounts exist and
-- no transfer lies beyond the newest block. The table is rebuilt with its rows and ids, then its
-- indexes (transfers_by_height stays: ledger_getSupply and the history's bounds read it).

CREATE TABLE transfers_unchained (
    id     INTEGER PRIMARY KEY,
    height INTEGER NOT NULL,
    tx     BLOB NOT NULL,
    debit  INTEGER NOT NULL,
    credit INTEGER NOT NULL,
    amount TEXT NOT NULL,
    code   TEXT NOT NULL
) STRICT;
INSERT INTO transfers_unchained(id, height, tx, debit, credit, amount, code)
    SELECT id, height, tx, debit, credit, amount, code FROM transfers ORDER BY id;
DROP TABLE transfers;
ALTER TABLE transfers_unchained RENAME TO transfers;
CREATE INDEX transfers_by_height ON transfers(height);
CREATE INDEX transfers_by_debit ON transfers(debit);
CREATE INDEX transfers_by_credit ON transfers(credit);
