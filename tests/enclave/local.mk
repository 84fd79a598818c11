# tests/enclave/local.mk: the enclave tests, one Criterion binary per unit. test_seal compiles the
# enclave-only seal.c itself (it is not in libcore); test_proto, test_settle and test_count_unit
# wrap malloc, realloc and calloc to inject failures (th_alloc_fail_at); test_process, test_settle,
# test_ballot_key, test_count and test_handover spawn the built conclave-enclave.
tests_enclave_TESTS = tests/enclave/test_proto tests/enclave/test_quote tests/enclave/test_platform \
	tests/enclave/test_seal tests/enclave/test_process tests/enclave/test_settle \
	tests/enclave/test_economics tests/enclave/test_settle_model tests/enclave/test_ballot_key \
	tests/enclave/test_count tests/enclave/test_count_report tests/enclave/test_handover \
	tests/enclave/test_count_unit tests/enclave/test_holders
check_PROGRAMS += $(tests_enclave_TESTS)
TESTS += $(tests_enclave_TESTS)
tests_enclave_test_proto_CFLAGS = $(TEST_CFLAGS)
tests_enclave_test_proto_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc,--wrap=realloc,--wrap=calloc
tests_enclave_test_proto_LDADD = $(TEST_LDADD)
tests_enclave_test_quote_CFLAGS = $(TEST_CFLAGS)
tests_enclave_test_quote_LDADD = $(TEST_LDADD)
tests_enclave_test_platform_CFLAGS = $(TEST_CFLAGS)
tests_enclave_test_platform_LDADD = $(TEST_LDADD)
tests_enclave_test_seal_SOURCES = tests/enclave/test_seal.c enclave/seal.c enclave/seal.h
tests_enclave_test_seal_CFLAGS = $(TEST_CFLAGS)
tests_enclave_test_seal_LDADD = $(TEST_LDADD)
tests_enclave_test_process_CFLAGS = $(TEST_CFLAGS)
tests_enclave_test_process_LDADD = $(TEST_LDADD)
tests_enclave_test_settle_CFLAGS = $(TEST_CFLAGS)
tests_enclave_test_settle_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc,--wrap=realloc,--wrap=calloc
tests_enclave_test_settle_LDADD = $(TEST_LDADD)
tests_enclave_test_economics_CFLAGS = $(TEST_CFLAGS)
tests_enclave_test_economics_LDADD = $(TEST_LDADD)
tests_enclave_test_settle_model_CFLAGS = $(TEST_CFLAGS)
tests_enclave_test_settle_model_LDADD = $(TEST_LDADD)
tests_enclave_test_ballot_key_CFLAGS = $(TEST_CFLAGS)
tests_enclave_test_ballot_key_LDADD = $(TEST_LDADD)
tests_enclave_test_count_CFLAGS = $(TEST_CFLAGS)
tests_enclave_test_count_LDADD = $(TEST_LDADD)
tests_enclave_test_count_report_CFLAGS = $(TEST_CFLAGS)
tests_enclave_test_count_report_LDADD = $(TEST_LDADD)
tests_enclave_test_handover_CFLAGS = $(TEST_CFLAGS)
tests_enclave_test_handover_LDADD = $(TEST_LDADD)
tests_enclave_test_count_unit_CFLAGS = $(TEST_CFLAGS)
tests_enclave_test_count_unit_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc,--wrap=realloc,--wrap=calloc
tests_enclave_test_count_unit_LDADD = $(TEST_LDADD)
tests_enclave_test_holders_CFLAGS = $(TEST_CFLAGS)
tests_enclave_test_holders_LDADD = $(TEST_LDADD)
