# tests/integration/local.mk: the integration tests.
check_PROGRAMS += tests/integration/test_node
tests_integration_test_node_SOURCES = tests/integration/test_node.c
tests_integration_test_node_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_node_LDADD = $(TEST_LDADD)
TESTS += tests/integration/test_node

check_PROGRAMS += tests/integration/test_staking
tests_integration_test_staking_SOURCES = tests/integration/test_staking.c
tests_integration_test_staking_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_staking_LDADD = $(TEST_LDADD)
TESTS += tests/integration/test_staking

TESTS += tests/integration/test_cli.sh
EXTRA_DIST += tests/integration/test_cli.sh tests/integration/lib.sh

check_PROGRAMS += tests/integration/test_settlement
tests_integration_test_settlement_SOURCES = tests/integration/test_settlement.c
tests_integration_test_settlement_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_settlement_LDADD = $(TEST_LDADD)
TESTS += tests/integration/test_settlement

check_PROGRAMS += tests/integration/test_events
tests_integration_test_events_SOURCES = tests/integration/test_events.c
tests_integration_test_events_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_events_LDADD = $(TEST_LDADD)
TESTS += tests/integration/test_events

check_PROGRAMS += tests/integration/test_gov
tests_integration_test_gov_SOURCES = tests/integration/test_gov.c
tests_integration_test_gov_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_gov_LDADD = $(TEST_LDADD)
TESTS += tests/integration/test_gov

check_PROGRAMS += tests/integration/test_startup
tests_integration_test_startup_SOURCES = tests/integration/test_startup.c
tests_integration_test_startup_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_startup_LDADD = $(TEST_LDADD)
TESTS += tests/integration/test_startup

check_PROGRAMS += tests/integration/test_crash
tests_integration_test_crash_SOURCES = tests/integration/test_crash.c
tests_integration_test_crash_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_crash_LDADD = $(TEST_LDADD)
TESTS += tests/integration/test_crash

check_PROGRAMS += tests/integration/test_http_limits
tests_integration_test_http_limits_SOURCES = tests/integration/test_http_limits.c
tests_integration_test_http_limits_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_http_limits_LDADD = $(TEST_LDADD)
TESTS += tests/integration/test_http_limits

check_PROGRAMS += tests/integration/test_exposure
tests_integration_test_exposure_SOURCES = tests/integration/test_exposure.c
tests_integration_test_exposure_CFLAGS = $(TEST_CFLAGS)
tests_integration_test_exposure_LDADD = $(TEST_LDADD)
TESTS += tests/integration/test_exposure
