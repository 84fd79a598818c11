# tests/worker/local.mk: the worker tests, one Criterion binary per unit (the workload and its score).
tests_worker_TESTS = tests/worker/test_bench
check_PROGRAMS += $(tests_worker_TESTS)
TESTS += $(tests_worker_TESTS)
tests_worker_test_bench_CFLAGS = $(TEST_CFLAGS)
tests_worker_test_bench_LDADD = $(TEST_LDADD)
