# tests/node/local.mk: the units of conclaved's node/ folder driven without a socket.
tests_node_TESTS = tests/node/test_event_replay
check_PROGRAMS += $(tests_node_TESTS)
TESTS += $(tests_node_TESTS)
tests_node_test_event_replay_CFLAGS = $(TEST_CFLAGS)
tests_node_test_event_replay_LDADD = $(TEST_LDADD)
