-- 019_nonces_from_transactions.sql: a sender's next nonce is one more than the nonce of its last
-- stored transaction, which the sender's index now carries, instead of a row of its own in the
-- nonces table: every transaction a sender signs is stored and consumes exactly its nonce, so the
-- two always agreed. A first transaction (a new voter's vote, say) then writes one B-tree leaf less
-- and its admission reads one index (issue 12: ~11k instructions a first vote on the loop).
ALTER TABLE transactions ADD COLUMN nonce INTEGER CHECK (nonce >= 0);
UPDATE transactions SET nonce = CAST(json_extract(body, '$.message.nonce') AS INTEGER) WHERE sender IS NOT NULL;
DROP INDEX transactions_by_sender_position;
CREATE INDEX transactions_by_sender_position ON transactions(sender, position, nonce);
DROP TABLE nonces;
