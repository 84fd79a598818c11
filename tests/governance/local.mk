# tests/governance/local.mk: the governance tests, one Criterion binary per unit.
check_PROGRAMS += tests/governance/test_gov
tests_governance_test_gov_SOURCES = tests/governance/test_gov.c
tests_governance_test_gov_CFLAGS = $(TEST_CFLAGS)
tests_governance_test_gov_LDADD = $(TEST_LDADD)
TESTS += tests/governance/test_gov
