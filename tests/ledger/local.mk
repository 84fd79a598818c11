# tests/ledger/local.mk: the ledger tests, one Criterion binary per unit.
check_PROGRAMS += tests/ledger/test_amount
tests_ledger_test_amount_SOURCES = tests/ledger/test_amount.c
tests_ledger_test_amount_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_amount_LDADD = $(TEST_LDADD)
TESTS += tests/ledger/test_amount

check_PROGRAMS += tests/ledger/test_hash
tests_ledger_test_hash_SOURCES = tests/ledger/test_hash.c
tests_ledger_test_hash_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_hash_LDADD = $(TEST_LDADD)
TESTS += tests/ledger/test_hash

check_PROGRAMS += tests/ledger/test_hex
tests_ledger_test_hex_SOURCES = tests/ledger/test_hex.c
tests_ledger_test_hex_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_hex_LDADD = $(TEST_LDADD)
TESTS += tests/ledger/test_hex

check_PROGRAMS += tests/ledger/test_sig
tests_ledger_test_sig_SOURCES = tests/ledger/test_sig.c
tests_ledger_test_sig_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_sig_LDADD = $(TEST_LDADD)
TESTS += tests/ledger/test_sig

check_PROGRAMS += tests/ledger/test_eip712
tests_ledger_test_eip712_SOURCES = tests/ledger/test_eip712.c
tests_ledger_test_eip712_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_eip712_LDADD = $(TEST_LDADD)
TESTS += tests/ledger/test_eip712

check_PROGRAMS += tests/ledger/test_tx
tests_ledger_test_tx_SOURCES = tests/ledger/test_tx.c
tests_ledger_test_tx_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_tx_LDADD = $(TEST_LDADD)
TESTS += tests/ledger/test_tx

check_PROGRAMS += tests/ledger/test_books
tests_ledger_test_books_SOURCES = tests/ledger/test_books.c
tests_ledger_test_books_CFLAGS = $(TEST_CFLAGS)
tests_ledger_test_books_LDADD = $(TEST_LDADD)
TESTS += tests/ledger/test_books
