# tests/local.mk: the test suites; one fragment per module folder, each adding its Criterion binaries.
# A folder lists its binaries once, in tests_<folder>_TESTS, for check_PROGRAMS and TESTS; each is
# built from <name>.c (automake's default source). Automake has per-target flags only, so every
# binary keeps its two lines: <target>_CFLAGS = $(TEST_CFLAGS) and <target>_LDADD = $(TEST_LDADD).
TEST_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) -DDEBUG -DTEST_SRCDIR='"$(abs_top_srcdir)"' -DTEST_BUILDDIR='"$(abs_top_builddir)"'
TEST_LDADD = tests/lib/libtesthelp.a $(CORE_LDADD) $(CRITERION_LIBS)
check_LIBRARIES += tests/lib/libtesthelp.a
tests_lib_libtesthelp_a_SOURCES = tests/lib/testhelp.c tests/lib/testhelp.h tests/lib/node.c tests/lib/node.h \
	tests/lib/engine_fixture.c tests/lib/engine_fixture.h tests/lib/rational.c tests/lib/rational.h \
	tests/lib/rpc_loop.c tests/lib/rpc_loop.h tests/lib/alloc_fail.c
tests_lib_libtesthelp_a_CFLAGS = $(TEST_CFLAGS)
EXTRA_DIST += tests/vectors
include tests/json/local.mk
include tests/ledger/local.mk
include tests/engine/local.mk
include tests/rpc/local.mk
include tests/cli/local.mk
include tests/integration/local.mk
include tests/interop/local.mk
include tests/enclave/local.mk
include tests/governance/local.mk
include tests/worker/local.mk
include tests/node/local.mk
