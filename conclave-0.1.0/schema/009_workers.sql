-- 009_workers.sql: workers that prove themselves, and the settings of their pools (at the end).
-- A worker runtime registers its sealed key from a quote whose measurement is on the
-- worker-runtime allowlist (seeded by the genesis, changed by governance, apart from the enclaves'
-- list), with its benchmark score P, the confidence level of
-- its attestation and the operator (pool owner) it agrees to serve. In a pool, a worker carries its
-- value promise V (Phala's economics, a fixed number: V / 10^36) that each settlement evolves, and
-- the time from which its heartbeat slots count. A heartbeat's score is now its instant
-- performance, derived from its iteration counter and capped at 1.2 P.

CREATE TABLE worker_allowlist (
    measurement  BLOB PRIMARY KEY,
    added_height INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE worker_registrations (
    address           BLOB PRIMARY KEY,   -- of the worker's sealed key: it signs its heartbeats
    operator          BLOB NOT NULL,      -- the pool owner it agreed to serve
    measurement       BLOB NOT NULL,
    score             INTEGER NOT NULL,   -- benchmark P
    conf_level        INTEGER NOT NULL,   -- 1..5, from the attestation
    quote             BLOB NOT NULL,
    registered_height INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

ALTER TABLE workers ADD COLUMN score INTEGER NOT NULL DEFAULT 0;        -- P, from the registration
ALTER TABLE workers ADD COLUMN value TEXT NOT NULL DEFAULT '0';         -- V * 10^36
ALTER TABLE workers ADD COLUMN started INTEGER NOT NULL DEFAULT 0;      -- V set by a settlement
ALTER TABLE workers ADD COLUMN judged_from INTEGER NOT NULL DEFAULT 0;  -- slots starting before it don't count

-- Pool settings an owner changes: a description, and a contributor allowlist (empty: anyone may
-- contribute; otherwise only the listed addresses and the owner).
ALTER TABLE pools ADD COLUMN description TEXT NOT NULL DEFAULT '';

CREATE TABLE pool_contributors (
    pool    INTEGER NOT NULL REFERENCES pools(id),
    address BLOB NOT NULL,
    PRIMARY KEY (pool, address)
) STRICT, WITHOUT ROWID;
