# tests/cli/local.mk: the cli tests: key files and cookies (keys.c), command-line words (args.c).
check_PROGRAMS += tests/cli/test_keys
tests_cli_test_keys_SOURCES = tests/cli/test_keys.c
tests_cli_test_keys_CFLAGS = $(TEST_CFLAGS)
tests_cli_test_keys_LDADD = $(TEST_LDADD)
TESTS += tests/cli/test_keys

check_PROGRAMS += tests/cli/test_args
tests_cli_test_args_SOURCES = tests/cli/test_args.c
tests_cli_test_args_CFLAGS = $(TEST_CFLAGS)
tests_cli_test_args_LDADD = $(TEST_LDADD)
TESTS += tests/cli/test_args
