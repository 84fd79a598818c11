# tests/json/local.mk: the json tests: the printer against cJSON's, and its buffer's life (with
# allocation failures injected, hence the --wrap flags).
check_PROGRAMS += tests/json/test_json_text
tests_json_test_json_text_CFLAGS = $(TEST_CFLAGS)
tests_json_test_json_text_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc,--wrap=realloc,--wrap=calloc
tests_json_test_json_text_LDADD = $(TEST_LDADD)
TESTS += tests/json/test_json_text
