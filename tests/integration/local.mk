# tests/integration/local.mk: the integration tests.
tests_integration_TESTS = tests/integration/test_node tests/integration/test_staking \
	tests/integration/test_settlement tests/integration/test_events tests/integration/test_gov \
	tests/integration/test_startup tests/integration/test_genesis_file tests/integration/test_crash tests/integration/test_http_limits \
	tests/integration/test_exposure tests/integration/test_worker tests/integration/test_compute_reads \
	tests/integration/test_cors tests/integration/test_event_resume \
	tests/integration/test_metrics tests/integration/test_polls \
	tests/integration/test_tx_order tests/integration/test_reads tests/integration/test_secret_polls \
	tests/integration/test_secret_count tests/integration/test_secret_upgrade
check_PROGRAMS += $(tests_integration_TESTS)
TESTS += $(tests_integration_TESTS)
tests_integration_test_node_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_node_LDADD = $(TEST_LDADD)
tests_integration_test_staking_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_staking_LDADD = $(TEST_LDADD)
tests_integration_test_settlement_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_settlement_LDADD = $(TEST_LDADD)
tests_integration_test_events_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_events_LDADD = $(TEST_LDADD)
tests_integration_test_gov_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_gov_LDADD = $(TEST_LDADD)
tests_integration_test_startup_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_startup_LDADD = $(TEST_LDADD)
tests_integration_test_genesis_file_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_genesis_file_LDADD = $(TEST_LDADD)
tests_integration_test_crash_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_crash_LDADD = $(TEST_LDADD)
tests_integration_test_http_limits_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_http_limits_LDADD = $(TEST_LDADD)
tests_integration_test_exposure_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_exposure_LDADD = $(TEST_LDADD)
tests_integration_test_worker_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_worker_LDADD = $(TEST_LDADD)
tests_integration_test_compute_reads_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_compute_reads_LDADD = $(TEST_LDADD)
tests_integration_test_tx_order_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_tx_order_LDADD = $(TEST_LDADD)

TESTS += tests/integration/test_cli.sh tests/integration/test_cli_secret.sh
EXTRA_DIST += tests/integration/test_cli.sh tests/integration/test_cli_secret.sh tests/integration/lib.sh
tests_integration_test_cors_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_cors_LDADD = $(TEST_LDADD)
tests_integration_test_event_resume_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_event_resume_LDADD = $(TEST_LDADD)
tests_integration_test_metrics_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_metrics_LDADD = $(TEST_LDADD)
tests_integration_test_polls_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_polls_LDADD = $(TEST_LDADD)
tests_integration_test_reads_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_reads_LDADD = $(TEST_LDADD)
tests_integration_test_secret_polls_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_secret_polls_LDADD = $(TEST_LDADD)
tests_integration_test_secret_count_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_secret_count_LDADD = $(TEST_LDADD)
tests_integration_test_secret_upgrade_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_secret_upgrade_LDADD = $(TEST_LDADD)
