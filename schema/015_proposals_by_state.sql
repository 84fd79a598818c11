-- 015_proposals_by_state.sql: proposals by state, then id. The engine asks once a second, while an
-- allowlisted enclave runs, for the oldest poll waiting in Counting (gov_counting_first); without
-- this index that question reads every proposal.

CREATE INDEX proposals_by_state ON proposals(state, id);
