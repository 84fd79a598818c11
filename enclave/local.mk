# enclave/local.mk: the enclave folder's part of the build. The host side (spawning, frames, quote
# verification, the platform's host calls) and settlement (which conclaved and the CLI recompute and
# check) go into libcore for conclaved; the enclave program needs settlement's forms and formula but
# not the host's checks (settle_check.c). The conclave-enclave program links only the pure ledger
# helpers, governance's pure poll counting, and libsecp256k1, GMP, nettle and libseccomp (STYLE rule
# 3): no sqlite, libevent or cJSON.
libcore_a_SOURCES += enclave/enclave.h enclave/host.c \
	enclave/proto.h enclave/proto.c enclave/quote.h enclave/quote.c \
	enclave/platform.h enclave/platform.c enclave/settle.h enclave/settle.c \
	enclave/settle_int.h enclave/settle_compute.c enclave/settle_check.c
bin_PROGRAMS += conclave-enclave
conclave_enclave_SOURCES = enclave/main.c enclave/seal.h enclave/seal.c enclave/durable_file.h enclave/durable_file.c \
	enclave/proto.h enclave/proto.c enclave/quote.h enclave/quote.c \
	enclave/platform.h enclave/platform.c enclave/enclave.h enclave/settle.h enclave/settle.c \
	enclave/settle_int.h enclave/settle_compute.c \
	ledger/status.c ledger/status.h ledger/amount.c ledger/amount.h ledger/hash.c ledger/hash.h \
	ledger/hex.c ledger/hex.h ledger/sig.c ledger/sig.h ledger/ballot_box.c ledger/ballot_box.h
libcore_a_SOURCES += enclave/economics.h enclave/economics.c
conclave_enclave_SOURCES += enclave/economics.h enclave/economics.c
# Secret ballots: the count report's forms (pure, for the node and the CLI too) and the count itself,
# which opens ballots (ledger/ballot_box.c) and counts them with the open polls' code (governance/poll.c,
# pure: GMP only). The count is in libcore as well, for its unit tests and the host's blocking helper.
libcore_a_SOURCES += enclave/count_report.h enclave/count_report.c enclave/count.h enclave/count.c enclave/count_job.c
conclave_enclave_SOURCES += enclave/count_report.h enclave/count_report.c enclave/count.h enclave/count.c \
	governance/poll.h governance/poll.c
conclave_enclave_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS)
conclave_enclave_LDADD = $(SECP256K1_LIBS) $(GMP_LIBS) $(NETTLE_LIBS) $(SECCOMP_LIBS)
# The ballot key's handover: the enclave's side (with the secrets: enclave only) and the host's.
libcore_a_SOURCES += enclave/handover.h enclave/handover_host.c enclave/holders.c enclave/durable_file.h \
	enclave/durable_file.c
conclave_enclave_SOURCES += enclave/handover.h enclave/handover.c
