# tests/governance/local.mk: the governance tests, one Criterion binary per unit (test_rules runs the
# rules on a ledger of their own, without the engine). test_gov wraps
# ledger_block_commit to lose a block on purpose.
tests_governance_TESTS = tests/governance/test_gov tests/governance/test_gov_model \
	tests/governance/test_rules tests/governance/test_poll tests/governance/test_ballots tests/governance/test_secret
check_PROGRAMS += $(tests_governance_TESTS)
TESTS += $(tests_governance_TESTS)
tests_governance_test_gov_CFLAGS = $(TEST_CFLAGS)
tests_governance_test_gov_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=ledger_block_commit
tests_governance_test_gov_LDADD = $(TEST_LDADD)
tests_governance_test_gov_model_CFLAGS = $(TEST_CFLAGS)
tests_governance_test_gov_model_LDADD = $(TEST_LDADD)
tests_governance_test_rules_CFLAGS = $(TEST_CFLAGS)
tests_governance_test_rules_LDADD = $(TEST_LDADD)
tests_governance_test_poll_CFLAGS = $(TEST_CFLAGS)
tests_governance_test_poll_LDADD = $(TEST_LDADD)
tests_governance_test_ballots_CFLAGS = $(TEST_CFLAGS)
tests_governance_test_ballots_LDADD = $(TEST_LDADD)
tests_governance_test_secret_CFLAGS = $(TEST_CFLAGS)
tests_governance_test_secret_LDADD = $(TEST_LDADD)
