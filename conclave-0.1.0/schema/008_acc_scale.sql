-- 008_acc_scale.sql: the reward accumulator's scale grows from 10^36 to 10^78 (above 2^256, so
-- above any pool's total shares: the carried remainder is then worth less than one base unit).
-- acc, acc_rem and debt are decimal text, so multiplying by 10^42 appends 42 zeros; every pending
-- reward, floor((shares*acc - debt) / scale), is unchanged by it.
UPDATE pools SET acc = acc || '000000000000000000000000000000000000000000' WHERE acc <> '0';
UPDATE pools SET acc_rem = acc_rem || '000000000000000000000000000000000000000000' WHERE acc_rem <> '0';
UPDATE stakes SET debt = debt || '000000000000000000000000000000000000000000' WHERE debt <> '0';
