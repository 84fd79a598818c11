-- 010_lean_transfers.sql: an index that no query reads goes, so that each transfer writes one
-- B-tree entry less (issue 12's SQL diet): a transaction's transfers are never looked up by its
-- hash (its receipt carries its events). transfers_by_height stays: a block's row is written after
-- its transfers, and the deferred foreign key then finds them through it (without it, every block
-- scans the whole table).
DROP INDEX transfers_by_tx;
