-- 002_staking.sql: stake pools (Phala StakePool/BasePool style): pools with shares, commission and
-- a reward-per-share accumulator; stakers' shares; workers and their bonded stake; unbonding stake
-- cooling down; the FIFO withdraw queue; and checkpoints of shares and stake by block height, so
-- the staked value of any address at any past height can be read exactly (governance votes by it).
-- Amounts and shares are canonical decimal strings; acc, acc_rem and debt are unbounded decimals.
-- A pool's total stake is the balance of its ledger account (kind 4); free stake is that balance
-- less bonded and unbonding.

CREATE TABLE pools (
    id                     INTEGER PRIMARY KEY,
    owner                  BLOB NOT NULL,
    commission_ppm         INTEGER NOT NULL,
    pending_commission_ppm INTEGER,            -- a raise waiting for its notice period
    pending_commission_at  INTEGER,            -- when the raise takes effect (seconds)
    capacity               TEXT NOT NULL,      -- most stake the pool takes
    shares                 TEXT NOT NULL DEFAULT '0',
    bonded                 TEXT NOT NULL DEFAULT '0',
    unbonding              TEXT NOT NULL DEFAULT '0',
    acc                    TEXT NOT NULL DEFAULT '0',  -- rewards per share, scaled by 10^36
    acc_rem                TEXT NOT NULL DEFAULT '0',  -- remainder carried: (reward*10^36) mod shares
    stake                  TEXT NOT NULL DEFAULT '0',  -- copy of the stake account's balance, for sorting
    created_height         INTEGER NOT NULL
) STRICT;

-- debt = shares * acc at the last settlement (unscaled), so pending = (shares*acc - debt) / 10^36.
CREATE TABLE stakes (
    pool    INTEGER NOT NULL REFERENCES pools(id),
    address BLOB NOT NULL,
    shares  TEXT NOT NULL,
    debt    TEXT NOT NULL,
    PRIMARY KEY (pool, address)
) STRICT, WITHOUT ROWID;

CREATE TABLE workers (
    address BLOB PRIMARY KEY,
    pool    INTEGER NOT NULL REFERENCES pools(id),
    bonded  TEXT NOT NULL DEFAULT '0'
) STRICT, WITHOUT ROWID;
CREATE INDEX workers_by_pool ON workers(pool);

CREATE TABLE unbondings (
    id         INTEGER PRIMARY KEY,
    pool       INTEGER NOT NULL REFERENCES pools(id),
    worker     BLOB NOT NULL,
    amount     TEXT NOT NULL,
    release_at INTEGER NOT NULL
) STRICT;
CREATE INDEX unbondings_by_release ON unbondings(release_at, id);

-- One request per staker and pool; seq orders the FIFO queue (a merge moves it to the back).
CREATE TABLE withdrawals (
    pool    INTEGER NOT NULL REFERENCES pools(id),
    address BLOB NOT NULL,
    shares  TEXT NOT NULL,
    since   INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (pool, address)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX withdrawals_fifo ON withdrawals(pool, seq);

CREATE TABLE stake_checkpoints (
    address BLOB NOT NULL,
    pool    INTEGER NOT NULL,
    height  INTEGER NOT NULL,
    shares  TEXT NOT NULL,
    PRIMARY KEY (address, pool, height)
) STRICT, WITHOUT ROWID;

CREATE TABLE pool_checkpoints (
    pool   INTEGER NOT NULL,
    height INTEGER NOT NULL,
    stake  TEXT NOT NULL,
    shares TEXT NOT NULL,
    PRIMARY KEY (pool, height)
) STRICT, WITHOUT ROWID;
