-- 005_governance.sql: governance. Proposals with their clock (next_change: when the Tick
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
    delegated_power  TEXT NOT NULL DEFAULT '0',  -- carried for delegators, less their overrides
    delegated_weight TEXT NOT NULL DEFAULT '0',
    PRIMARY KEY (proposal, voter)
) STRICT, WITHOUT ROWID;

-- A voter's staked value locked by a conviction vote until `until` (proposal 0: by an Undelegate
-- of a delegation with conviction); the largest active one binds.
CREATE TABLE gov_locks (
    voter    BLOB NOT NULL,
    proposal INTEGER NOT NULL,
    amount   TEXT NOT NULL,
    until    INTEGER NOT NULL,
    PRIMARY KEY (voter, proposal)
) STRICT, WITHOUT ROWID;

-- Delegation: the current one of each delegator, and every change by height (delegate NULL: none
-- from that height on), so the delegation in force at a proposal's snapshot can be read.
CREATE TABLE delegations (
    delegator  BLOB PRIMARY KEY,
    delegate   BLOB NOT NULL,
    conviction INTEGER NOT NULL,
    since      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX delegations_delegate ON delegations(delegate, delegator);

CREATE TABLE delegation_checkpoints (
    delegator  BLOB NOT NULL,
    height     INTEGER NOT NULL,
    delegate   BLOB,
    conviction INTEGER NOT NULL,
    PRIMARY KEY (delegator, height)
) STRICT, WITHOUT ROWID;

-- The shares a delegate's delegators of one conviction hold in a pool, by height: a delegate's
-- delegated power at a snapshot is read from these and the pool checkpoints, never by scanning
-- its delegators.
CREATE TABLE delegated_shares (
    delegate   BLOB NOT NULL,
    pool       INTEGER NOT NULL,
    conviction INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    shares     TEXT NOT NULL,
    PRIMARY KEY (delegate, pool, conviction, height)
) STRICT, WITHOUT ROWID;

-- The (pool, conviction) classes a delegate has ever had delegated shares in: a snapshot read seeks
-- the latest row of each class instead of reading a delegate's whole history.
CREATE TABLE delegated_classes (
    delegate   BLOB NOT NULL,
    pool       INTEGER NOT NULL,
    conviction INTEGER NOT NULL,
    PRIMARY KEY (delegate, pool, conviction)
) STRICT, WITHOUT ROWID;

-- Power and weight taken off a delegate's votes on a proposal by delegators who voted directly.
CREATE TABLE gov_overrides (
    proposal INTEGER NOT NULL REFERENCES proposals(id),
    delegate BLOB NOT NULL,
    power    TEXT NOT NULL,
    weight   TEXT NOT NULL,
    PRIMARY KEY (proposal, delegate)
) STRICT, WITHOUT ROWID;

CREATE TABLE gov_params (
    name     TEXT PRIMARY KEY,
    value    TEXT NOT NULL,
    height   INTEGER NOT NULL,
    proposal INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
