-- 010_lean_transfers.sql: two indexes that no query reads go, so that each transfer writes two
-- B-tree entries less (issue 12's SQL diet). transfers_by_tx: a transaction's transfers are never
-- looked up (its receipt carries its events). transfers_by_height: the deferred foreign key on
-- transfers.height is checked against blocks' primary key; a child index would only serve
-- deleting blocks, which never happens. The audit reads transfers by debit and credit, which stay.
DROP INDEX transfers_by_tx;
DROP INDEX transfers_by_height;
