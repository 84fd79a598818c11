-- 003_compute.sql: what compute providers and their clients write between settlements: worker
-- heartbeats (one per heartbeat slot of an epoch, with the performance score), each worker's
-- confidence level, and client -> worker payment channels with what their vouchers redeemed.
-- A channel's deposit is the part of the client's escrow account it still holds.

ALTER TABLE workers ADD COLUMN conf_level INTEGER NOT NULL DEFAULT 1;  -- 1..5, Phala's confidence

CREATE TABLE heartbeats (
    worker BLOB NOT NULL,
    epoch  INTEGER NOT NULL,
    slot   INTEGER NOT NULL,     -- (time - epoch start) / heartbeatSecs
    score  INTEGER NOT NULL,
    PRIMARY KEY (worker, epoch, slot)
) STRICT, WITHOUT ROWID;

CREATE TABLE channels (
    id         INTEGER PRIMARY KEY,
    client     BLOB NOT NULL,
    worker     BLOB NOT NULL,
    deposit    TEXT NOT NULL,             -- escrow still held for this channel
    redeemed   TEXT NOT NULL DEFAULT '0', -- highest cumulative voucher redeemed by the worker
    paid       TEXT NOT NULL DEFAULT '0', -- settled out of the deposit (payments and fees)
    close_at   INTEGER,                   -- end of the challenge period once the client closed it
    closed     INTEGER NOT NULL DEFAULT 0,
    opened_height INTEGER NOT NULL
) STRICT;
CREATE INDEX channels_by_client ON channels(client);
CREATE INDEX channels_by_worker ON channels(worker);
