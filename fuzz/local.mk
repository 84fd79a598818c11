# fuzz/local.mk: the libFuzzer targets (fuzz/fuzz_NAME.c, one per parser that reads untrusted bytes),
# their seed corpora (fuzz/corpus/NAME/) and every input that ever crashed one (fuzz/regressions/NAME/).
# Each target is built twice: as fuzz/replay_NAME with fuzz/replay.c, a test of `make check` that
# replays its corpus and regressions (any compiler, and under the sanitizers with
# --enable-sanitizers); and, with ./configure CC=clang --enable-fuzzing, as the libFuzzer program
# fuzz/fuzz_NAME that `make fuzz` builds and runs for FUZZ_TIME seconds each, FUZZ_JOBS at a time
# (fuzz/run.sh). In a tree configured without --enable-fuzzing, `make fuzz` does so in a copy of the
# distributed sources under build-fuzz/ (as check-sanitizers does under build-asan/).
FUZZ_BUILDDIR = build-fuzz
FUZZ_NAMES = amount hex eip712 tx rpc rpc_methods settle proto
FUZZ_TIME = 20
FUZZ_JOBS = 2
FUZZ_REPLAY_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_SRCDIR='"$(abs_top_srcdir)"'
EXTRA_DIST += fuzz/fuzz.h fuzz/run.sh fuzz/corpus fuzz/regressions fuzz/rpc.dict fuzz/rpc_methods.dict fuzz/tx.dict

check_PROGRAMS += fuzz/replay_amount
fuzz_replay_amount_SOURCES = fuzz/fuzz_amount.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_amount_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"amount"'
fuzz_replay_amount_LDADD = $(CORE_LDADD)
TESTS += fuzz/replay_amount
check_PROGRAMS += fuzz/replay_hex
fuzz_replay_hex_SOURCES = fuzz/fuzz_hex.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_hex_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"hex"'
fuzz_replay_hex_LDADD = $(CORE_LDADD)
TESTS += fuzz/replay_hex
check_PROGRAMS += fuzz/replay_eip712
fuzz_replay_eip712_SOURCES = fuzz/fuzz_eip712.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_eip712_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"eip712"'
fuzz_replay_eip712_LDADD = $(CORE_LDADD)
TESTS += fuzz/replay_eip712
check_PROGRAMS += fuzz/replay_tx
fuzz_replay_tx_SOURCES = fuzz/fuzz_tx.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_tx_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"tx"'
fuzz_replay_tx_LDADD = $(CORE_LDADD)
TESTS += fuzz/replay_tx
check_PROGRAMS += fuzz/replay_rpc
fuzz_replay_rpc_SOURCES = fuzz/fuzz_rpc.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_rpc_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"rpc"'
fuzz_replay_rpc_LDADD = $(CORE_LDADD)
TESTS += fuzz/replay_rpc
check_PROGRAMS += fuzz/replay_rpc_methods
fuzz_replay_rpc_methods_SOURCES = fuzz/fuzz_rpc_methods.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_rpc_methods_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"rpc_methods"'
fuzz_replay_rpc_methods_LDADD = $(CORE_LDADD)
TESTS += fuzz/replay_rpc_methods
check_PROGRAMS += fuzz/replay_settle
fuzz_replay_settle_SOURCES = fuzz/fuzz_settle.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_settle_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"settle"'
fuzz_replay_settle_LDADD = $(CORE_LDADD)
TESTS += fuzz/replay_settle
check_PROGRAMS += fuzz/replay_proto
fuzz_replay_proto_SOURCES = fuzz/fuzz_proto.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_proto_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"proto"'
fuzz_replay_proto_LDADD = $(CORE_LDADD)
TESTS += fuzz/replay_proto

if ENABLE_FUZZING
FUZZ_TARGETS = fuzz/fuzz_amount fuzz/fuzz_hex fuzz/fuzz_eip712 fuzz/fuzz_tx fuzz/fuzz_rpc fuzz/fuzz_rpc_methods fuzz/fuzz_settle fuzz/fuzz_proto
EXTRA_PROGRAMS += fuzz/fuzz_amount
fuzz_fuzz_amount_SOURCES = fuzz/fuzz_amount.c fuzz/fuzz.h
fuzz_fuzz_amount_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_fuzz_amount_LDADD = $(CORE_LDADD)
EXTRA_PROGRAMS += fuzz/fuzz_hex
fuzz_fuzz_hex_SOURCES = fuzz/fuzz_hex.c fuzz/fuzz.h
fuzz_fuzz_hex_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_fuzz_hex_LDADD = $(CORE_LDADD)
EXTRA_PROGRAMS += fuzz/fuzz_eip712
fuzz_fuzz_eip712_SOURCES = fuzz/fuzz_eip712.c fuzz/fuzz.h
fuzz_fuzz_eip712_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_fuzz_eip712_LDADD = $(CORE_LDADD)
EXTRA_PROGRAMS += fuzz/fuzz_tx
fuzz_fuzz_tx_SOURCES = fuzz/fuzz_tx.c fuzz/fuzz.h
fuzz_fuzz_tx_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_fuzz_tx_LDADD = $(CORE_LDADD)
EXTRA_PROGRAMS += fuzz/fuzz_rpc
fuzz_fuzz_rpc_SOURCES = fuzz/fuzz_rpc.c fuzz/fuzz.h
fuzz_fuzz_rpc_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_fuzz_rpc_LDADD = $(CORE_LDADD)
EXTRA_PROGRAMS += fuzz/fuzz_rpc_methods
fuzz_fuzz_rpc_methods_SOURCES = fuzz/fuzz_rpc_methods.c fuzz/fuzz.h
fuzz_fuzz_rpc_methods_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_fuzz_rpc_methods_LDADD = $(CORE_LDADD)
EXTRA_PROGRAMS += fuzz/fuzz_settle
fuzz_fuzz_settle_SOURCES = fuzz/fuzz_settle.c fuzz/fuzz.h
fuzz_fuzz_settle_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_fuzz_settle_LDADD = $(CORE_LDADD)
EXTRA_PROGRAMS += fuzz/fuzz_proto
fuzz_fuzz_proto_SOURCES = fuzz/fuzz_proto.c fuzz/fuzz.h
fuzz_fuzz_proto_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_fuzz_proto_LDADD = $(CORE_LDADD)
CLEANFILES += $(FUZZ_TARGETS)
fuzz: $(FUZZ_TARGETS)
	$(SHELL) $(srcdir)/fuzz/run.sh $(FUZZ_TIME) $(FUZZ_JOBS) $(srcdir) $(FUZZ_NAMES)
else
fuzz: distdir
	@$(MKDIR_P) $(FUZZ_BUILDDIR)/src
	(cd $(distdir) && tar cf - .) | (cd $(FUZZ_BUILDDIR)/src && tar xf -)
	$(am__remove_distdir)
	cd $(FUZZ_BUILDDIR)/src && { test -f Makefile || ./configure --quiet CC=clang --enable-fuzzing --disable-tests; } \
	  && $(MAKE) fuzz FUZZ_TIME=$(FUZZ_TIME) FUZZ_JOBS=$(FUZZ_JOBS)
endif
# what a run leaves: the corpus it grew, crash artifacts, logs
mostlyclean-local:
	rm -rf fuzz/work fuzz/artifacts
.PHONY: fuzz
