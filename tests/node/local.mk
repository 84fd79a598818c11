# tests/node/local.mk: the units of conclaved's node/ folder driven without a socket.
tests_node_TESTS = tests/node/test_event_replay tests/node/test_verify_pool tests/node/test_receipt
check_PROGRAMS += $(tests_node_TESTS)
TESTS += $(tests_node_TESTS)
tests_node_test_event_replay_CFLAGS = $(TEST_CFLAGS)
tests_node_test_event_replay_LDADD = $(TEST_LDADD)
tests_node_test_receipt_CFLAGS = $(TEST_CFLAGS)
tests_node_test_receipt_LDADD = $(TEST_LDADD)
# the verification pool's threads hand results back to a libevent loop, hence -pthread
tests_node_test_verify_pool_CFLAGS = $(TEST_CFLAGS) -pthread
tests_node_test_verify_pool_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_node_test_verify_pool_LDADD = $(TEST_LDADD)
