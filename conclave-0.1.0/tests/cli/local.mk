# tests/cli/local.mk: the cli tests: key files and cookies (keys.c), command-line words (args.c),
# the client side of secret ballots (secret.c).
tests_cli_TESTS = tests/cli/test_keys tests/cli/test_args tests/cli/test_secret
check_PROGRAMS += $(tests_cli_TESTS)
TESTS += $(tests_cli_TESTS)
tests_cli_test_keys_CFLAGS = $(TEST_CFLAGS)
tests_cli_test_keys_LDADD = $(TEST_LDADD)
tests_cli_test_args_CFLAGS = $(TEST_CFLAGS)
tests_cli_test_args_LDADD = $(TEST_LDADD)
tests_cli_test_secret_CFLAGS = $(TEST_CFLAGS)
tests_cli_test_secret_LDADD = $(TEST_LDADD)
