-- 011_polls.sql: polls (issue 13). A Ballot is a vote row whose choice is the JSON text Snapshot
-- writes for the poll's system (NULL for a for/against/abstain Vote); a later ballot replaces it.
-- Each poll keeps its running tally (incremental systems: never recomputed from the ballots), the
-- power and number of the ballots in it, and its scores once counted at the close.
-- Amounts, tallies and scores are canonical decimal strings (tallies: one per choice, then for
-- copeland the n x n pair sums, separated by single spaces).

ALTER TABLE votes ADD COLUMN choice TEXT;

CREATE TABLE polls (
    proposal INTEGER PRIMARY KEY REFERENCES proposals(id),
    system   INTEGER NOT NULL,              -- enum gov_poll_system (governance/poll.h)
    choices  INTEGER NOT NULL,              -- 2..32
    tally    TEXT,                          -- NULL for ranked-choice (counted from the ballots)
    power    TEXT NOT NULL DEFAULT '0',     -- the power of the standing ballots
    ballots  INTEGER NOT NULL DEFAULT 0,    -- how many ballots stand
    scores   TEXT                           -- set once, at the close
) STRICT;
