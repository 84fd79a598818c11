-- 018_blocks_transfers_end.sql: each block's row holds transfers_end, the largest transfer id at or
-- below it (0: none yet), so that the first transfer after a height (ledger_getSupply at a height,
-- the history's bounds) is found by the transfers' own key, and transfers_by_height goes: each
-- transfer writes one index entry less (issue 12: ~4k instructions a transfer). Transfer ids grow
-- with height, as rows are only appended in the order blocks apply (ledger/reads.c); the audit
-- checks every block's range. Filled from the index before it is dropped.

ALTER TABLE blocks ADD COLUMN transfers_end INTEGER NOT NULL DEFAULT 0;
UPDATE blocks SET transfers_end = e.running_end
    FROM (SELECT height, max(coalesce((SELECT max(id) FROM transfers t WHERE t.height = b.height), 0))
                             OVER (ORDER BY height) AS running_end
          FROM blocks b) AS e
    WHERE e.height = blocks.height;
DROP INDEX transfers_by_height;
