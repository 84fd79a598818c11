# tests/ledger/local.mk: the ledger tests, one Criterion binary per unit.
tests_ledger_TESTS = tests/ledger/test_amount tests/ledger/test_hash tests/ledger/test_hex \
	tests/ledger/test_sig tests/ledger/test_eip712 tests/ledger/test_tx tests/ledger/test_books \
	tests/ledger/test_read tests/ledger/test_reads
check_PROGRAMS += $(tests_ledger_TESTS)
TESTS += $(tests_ledger_TESTS)
tests_ledger_test_amount_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_amount_LDADD = $(TEST_LDADD)
tests_ledger_test_hash_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_hash_LDADD = $(TEST_LDADD)
tests_ledger_test_hex_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_hex_LDADD = $(TEST_LDADD)
tests_ledger_test_sig_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_sig_LDADD = $(TEST_LDADD)
tests_ledger_test_eip712_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_eip712_LDADD = $(TEST_LDADD)
tests_ledger_test_tx_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_tx_LDADD = $(TEST_LDADD)
tests_ledger_test_books_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_books_LDADD = $(TEST_LDADD)
tests_ledger_test_read_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_read_LDADD = $(TEST_LDADD)
tests_ledger_test_reads_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_reads_LDADD = $(TEST_LDADD)
