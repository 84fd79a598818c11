# json/local.mk: the json folder's part of the build: json_text, the printer of cJSON trees that the
# rpc replies and the ledger's receipts share (cJSON and libc only, below both; not in the enclave
# program, which links no cJSON).
libcore_a_SOURCES += json/json_text.h json/json_text.c
