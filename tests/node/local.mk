# tests/node/local.mk: the tests of conclaved's own modules: the verification pool (its worker
# threads hand results back to a libevent loop in submission order, hence -pthread).
tests_node_TESTS = tests/node/test_verify_pool
check_PROGRAMS += $(tests_node_TESTS)
TESTS += $(tests_node_TESTS)
tests_node_test_verify_pool_CFLAGS = $(TEST_CFLAGS) -pthread
tests_node_test_verify_pool_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_node_test_verify_pool_LDADD = $(TEST_LDADD)
