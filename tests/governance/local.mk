# tests/governance/local.mk: the governance tests, one Criterion binary per unit (test_rules runs the
# rules on a ledger of their own, without the engine). test_gov wraps
# ledger_block_commit to lose a block on purpose.
check_PROGRAMS += tests/governance/test_gov
tests_governance_test_gov_SOURCES = tests/governance/test_gov.c
tests_governance_test_gov_CFLAGS = $(TEST_CFLAGS)
tests_governance_test_gov_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=ledger_block_commit
tests_governance_test_gov_LDADD = $(TEST_LDADD)
TESTS += tests/governance/test_gov

check_PROGRAMS += tests/governance/test_gov_model
tests_governance_test_gov_model_SOURCES = tests/governance/test_gov_model.c
tests_governance_test_gov_model_CFLAGS = $(TEST_CFLAGS)
tests_governance_test_gov_model_LDADD = $(TEST_LDADD)
TESTS += tests/governance/test_gov_model

check_PROGRAMS += tests/governance/test_rules
tests_governance_test_rules_SOURCES = tests/governance/test_rules.c
tests_governance_test_rules_CFLAGS = $(TEST_CFLAGS)
tests_governance_test_rules_LDADD = $(TEST_LDADD)
TESTS += tests/governance/test_rules
