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

check_PROGRAMS += tests/engine/test_staking
tests_engine_test_staking_SOURCES = tests/engine/test_staking.c
tests_engine_test_staking_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_staking_LDADD = $(TEST_LDADD)
TESTS += tests/engine/test_staking

check_PROGRAMS += tests/engine/test_staking_model
tests_engine_test_staking_model_SOURCES = tests/engine/test_staking_model.c
tests_engine_test_staking_model_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_staking_model_LDADD = $(TEST_LDADD)
TESTS += tests/engine/test_staking_model

check_PROGRAMS += tests/engine/test_compute
tests_engine_test_compute_SOURCES = tests/engine/test_compute.c
tests_engine_test_compute_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_compute_LDADD = $(TEST_LDADD)
TESTS += tests/engine/test_compute

check_PROGRAMS += tests/engine/test_startup
tests_engine_test_startup_SOURCES = tests/engine/test_startup.c
tests_engine_test_startup_CFLAGS = $(TEST_CFLAGS)
tests_engine_test_startup_LDADD = $(TEST_LDADD)
TESTS += tests/engine/test_startup
