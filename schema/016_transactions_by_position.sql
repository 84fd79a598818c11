-- 016_transactions_by_position.sql: a transaction's row is keyed by its position in the chain,
-- height * 2^32 + index in block, so that one INSERT writes the table's B-tree (an append), the hash
-- index and the sender's index: the UNIQUE(height, idx) index and the deferred foreign key on height
-- go (issue 12: ~4k instructions a transaction). A block's transactions are the key range of its
-- height; ledger_block_put checks that the open block stored as many as its row counts, and the
-- audit that every stored transaction is one of a block's. The table is rebuilt in position order.

CREATE TABLE transactions_keyed (
    position INTEGER PRIMARY KEY CHECK (position >= 0),
    hash     BLOB NOT NULL UNIQUE,
    sender   BLOB,
    type     TEXT NOT NULL,
    body     TEXT NOT NULL,
    status   INTEGER NOT NULL,
    error    TEXT,
    events   TEXT NOT NULL
) STRICT;
INSERT INTO transactions_keyed(position, hash, sender, type, body, status, error, events)
    SELECT height * 4294967296 + idx, hash, sender, type, body, status, error, events FROM transactions
    ORDER BY height, idx;
DROP TABLE transactions;
ALTER TABLE transactions_keyed RENAME TO transactions;
CREATE INDEX transactions_by_sender_position ON transactions(sender, position);
