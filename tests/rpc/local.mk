# tests/rpc/local.mk: the rpc tests: the dispatcher without sockets, and the server and client end
# to end over 127.0.0.1 (the server's loop runs in a second thread, hence -pthread); both serve the
# handlers of test_methods.c (the JSON printer's own tests are in tests/json).
check_PROGRAMS += tests/rpc/test_dispatch
tests_rpc_test_dispatch_SOURCES = tests/rpc/test_dispatch.c tests/rpc/test_methods.c tests/rpc/test_methods.h
tests_rpc_test_dispatch_CFLAGS = $(TEST_CFLAGS)
tests_rpc_test_dispatch_LDADD = $(TEST_LDADD)
TESTS += tests/rpc/test_dispatch

check_PROGRAMS += tests/rpc/test_http
tests_rpc_test_http_SOURCES = tests/rpc/test_http.c tests/rpc/test_methods.c tests/rpc/test_methods.h
tests_rpc_test_http_CFLAGS = $(TEST_CFLAGS) -pthread
tests_rpc_test_http_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_rpc_test_http_LDADD = $(TEST_LDADD)
TESTS += tests/rpc/test_http

check_PROGRAMS += tests/rpc/test_discover
tests_rpc_test_discover_SOURCES = tests/rpc/test_discover.c tests/rpc/test_methods.c tests/rpc/test_methods.h
tests_rpc_test_discover_CFLAGS = $(TEST_CFLAGS)
tests_rpc_test_discover_LDADD = $(TEST_LDADD)
TESTS += tests/rpc/test_discover
