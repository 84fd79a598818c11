-- 005_governance.sql: governance, phase 1. Proposals with their clock (next_change: when the Tick
-- moves one on; NULL once final), incrementally kept tallies (never recomputed from votes), one
-- vote per voter and proposal (a changed vote replaces it), conviction locks on staked value, and
-- the parameters changed by executed proposals (applied over the genesis at start-up).
-- Amounts and tallies are canonical decimal strings.

CREATE TABLE proposals (
    id             INTEGER PRIMARY KEY,
    proposer       BLOB NOT NULL,
    track          TEXT NOT NULL,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    payload        TEXT NOT NULL,          -- JSON text; '' = text only
    deposit        TEXT NOT NULL,
    state          INTEGER NOT NULL,       -- 0 Pending .. 8 Canceled (governance/gov.h)
    snapshot       INTEGER NOT NULL,       -- block height whose end fixes voting power
    total_power    TEXT NOT NULL,
    created        INTEGER NOT NULL,
    vote_start     INTEGER NOT NULL,
    vote_end       INTEGER NOT NULL,
    eta            INTEGER NOT NULL,
    expires        INTEGER NOT NULL,
    for_weight     TEXT NOT NULL DEFAULT '0',
    against_weight TEXT NOT NULL DEFAULT '0',
    abstain_weight TEXT NOT NULL DEFAULT '0',
    turnout        TEXT NOT NULL DEFAULT '0', -- raw power of all votes (quorum)
    next_change    INTEGER,
    reason         TEXT
) STRICT;
CREATE INDEX proposals_next_change ON proposals(next_change) WHERE next_change IS NOT NULL;

CREATE TABLE votes (
    proposal   INTEGER NOT NULL REFERENCES proposals(id),
    voter      BLOB NOT NULL,
    support    INTEGER NOT NULL,
    conviction INTEGER NOT NULL,
    power      TEXT NOT NULL,
    weight     TEXT NOT NULL,
    PRIMARY KEY (proposal, voter)
) STRICT, WITHOUT ROWID;

-- A voter's staked value locked by a conviction vote until `until`; the largest active one binds.
CREATE TABLE gov_locks (
    voter    BLOB NOT NULL,
    proposal INTEGER NOT NULL REFERENCES proposals(id),
    amount   TEXT NOT NULL,
    until    INTEGER NOT NULL,
    PRIMARY KEY (voter, proposal)
) STRICT, WITHOUT ROWID;

CREATE TABLE gov_params (
    name     TEXT PRIMARY KEY,
    value    TEXT NOT NULL,
    height   INTEGER NOT NULL,
    proposal INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
