-- 006_slashes.sql: slashes waiting out the deferral (staking.slashDeferSecs) before they apply, so
-- governance can cancel a wrong one (a slashCancel proposal), as Polkadot defers and cancels
-- slashes. A row is kept after it applies or is canceled, as the record of what happened.
CREATE TABLE slashes (
    id       INTEGER PRIMARY KEY,
    worker   BLOB NOT NULL,
    pool     INTEGER NOT NULL,
    ppm      INTEGER NOT NULL,             -- part of the worker's bond (and unbonding) to burn
    reason   TEXT NOT NULL,
    created  INTEGER NOT NULL,             -- seconds
    due      INTEGER NOT NULL,             -- seconds: applied by the first block at or after it
    state    INTEGER NOT NULL,             -- 0 pending, 1 applied, 2 canceled
    proposal INTEGER                       -- the proposal that canceled it
) STRICT;
CREATE INDEX slashes_due ON slashes(due, id) WHERE state = 0;
