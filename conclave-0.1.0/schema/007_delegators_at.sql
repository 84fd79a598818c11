-- 007_delegators_at.sql: a delegate's delegators at a snapshot are read from the delegation
-- checkpoints (each delegator's own power, floored per account), so the per-(pool, conviction)
-- sums of delegated shares go: they were floored once per class and let a delegate carry base
-- units none of its delegators had.

CREATE INDEX delegation_checkpoints_delegate ON delegation_checkpoints(delegate, delegator, height);

DROP TABLE delegated_shares;
DROP TABLE delegated_classes;
