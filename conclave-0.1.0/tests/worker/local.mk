# tests/worker/local.mk: the worker tests, one Criterion binary per unit: the workload and its score
# (test_bench), and the protocol with a scripted node on 127.0.0.1 (test_node: the node's loop runs
# in a second thread, hence -pthread).
tests_worker_TESTS = tests/worker/test_bench tests/worker/test_node
check_PROGRAMS += $(tests_worker_TESTS)
TESTS += $(tests_worker_TESTS)
tests_worker_test_bench_CFLAGS = $(TEST_CFLAGS)
tests_worker_test_bench_LDADD = $(TEST_LDADD)
tests_worker_test_node_CFLAGS = $(TEST_CFLAGS) -pthread
tests_worker_test_node_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_worker_test_node_LDADD = $(TEST_LDADD)
