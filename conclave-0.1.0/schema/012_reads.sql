-- 012_reads.sql: the indexes of the dashboards' reads (issue 14), so that each read seeks and walks
-- a page whatever the size of the tables. An address's votes, newest proposal first (gov_listVotesBy);
-- an address's transactions by position, newest first (ledger_getAccountHistory): it replaces the
-- index on sender alone, which no query read, so a transaction still writes as many index entries.
CREATE INDEX votes_by_voter ON votes(voter, proposal);
DROP INDEX transactions_by_sender;
CREATE INDEX transactions_by_sender_position ON transactions(sender, height, idx);
