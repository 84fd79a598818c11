# tests/engine/local.mk: the engine tests, one Criterion binary per unit.
tests_engine_TESTS = tests/engine/test_genesis tests/engine/test_genesis_accounts tests/engine/test_engine tests/engine/test_staking \
	tests/engine/test_staking_model tests/engine/test_compute tests/engine/test_startup \
	tests/engine/test_workers tests/engine/test_catchup tests/engine/test_pool_settings \
	tests/engine/test_settlement_inputs tests/engine/test_durability tests/engine/test_read_methods \
	tests/engine/test_ballot_key tests/engine/test_secret_count
check_PROGRAMS += $(tests_engine_TESTS)
TESTS += $(tests_engine_TESTS)
tests_engine_test_genesis_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_genesis_LDADD = $(TEST_LDADD)
tests_engine_test_genesis_accounts_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_genesis_accounts_LDADD = $(TEST_LDADD)
tests_engine_test_engine_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_engine_LDADD = $(TEST_LDADD)
tests_engine_test_staking_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_staking_LDADD = $(TEST_LDADD)
tests_engine_test_staking_model_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_staking_model_LDADD = $(TEST_LDADD)
tests_engine_test_compute_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_compute_LDADD = $(TEST_LDADD)
tests_engine_test_startup_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_startup_LDADD = $(TEST_LDADD)
tests_engine_test_workers_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_workers_LDADD = $(TEST_LDADD)
tests_engine_test_catchup_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_catchup_LDADD = $(TEST_LDADD)
tests_engine_test_pool_settings_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_pool_settings_LDADD = $(TEST_LDADD)
tests_engine_test_settlement_inputs_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_settlement_inputs_LDADD = $(TEST_LDADD)
tests_engine_test_durability_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_durability_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=ledger_sync_wal -Wl,--wrap=ledger_checkpoint
tests_engine_test_durability_LDADD = $(TEST_LDADD)
tests_engine_test_read_methods_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_read_methods_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=ledger_user_balances -Wl,--wrap=ledger_pool_get
tests_engine_test_read_methods_LDADD = $(TEST_LDADD)
tests_engine_test_ballot_key_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_ballot_key_LDADD = $(TEST_LDADD)
tests_engine_test_secret_count_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_secret_count_LDADD = $(TEST_LDADD)
