-- 020_vote_locks.sql: a vote's lock goes into the row that lists the vote under its voter. Before,
-- a first vote wrote three B-trees at random places: the vote (keyed by proposal and voter), its
-- entry in the votes_by_voter index and its lock in gov_locks, both keyed by voter and proposal.
-- Now vote_locks holds one row for each vote, with the part of the voter's power it locks and until
-- when ('0' and 0: it locks nothing), and under proposal 0 the lock an Undelegate with conviction
-- leaves; it serves an address's votes and its locks alike (issue 12: one leaf a first vote less).
CREATE TABLE vote_locks (
    voter    BLOB NOT NULL,
    proposal INTEGER NOT NULL,  -- 0: an undelegation's lock, which is no vote
    amount   TEXT NOT NULL,     -- locked until `until` ('0': nothing)
    until    INTEGER NOT NULL,
    PRIMARY KEY (voter, proposal)
) STRICT, WITHOUT ROWID;
INSERT INTO vote_locks (voter, proposal, amount, until)
    SELECT v.voter, v.proposal, COALESCE(l.amount, '0'), COALESCE(l.until, 0)
    FROM votes v LEFT JOIN gov_locks l ON l.voter = v.voter AND l.proposal = v.proposal;
INSERT INTO vote_locks (voter, proposal, amount, until)
    SELECT voter, proposal, amount, until FROM gov_locks l
    WHERE NOT EXISTS (SELECT 1 FROM votes v WHERE v.proposal = l.proposal AND v.voter = l.voter);
DROP INDEX votes_by_voter;
DROP TABLE gov_locks;
