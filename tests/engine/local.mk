# tests/engine/local.mk: the engine tests, one Criterion binary per unit.
check_PROGRAMS += tests/engine/test_genesis
tests_engine_test_genesis_SOURCES = tests/engine/test_genesis.c
tests_engine_test_genesis_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_genesis_LDADD = $(TEST_LDADD)
TESTS += tests/engine/test_genesis

check_PROGRAMS += tests/engine/test_engine
tests_engine_test_engine_SOURCES = tests/engine/test_engine.c
tests_engine_test_engine_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_engine_LDADD = $(TEST_LDADD)
TESTS += tests/engine/test_engine
