# fuzz/local.mk: the libFuzzer targets (fuzz/fuzz_NAME.c, one per parser that reads untrusted bytes),
# their seed corpora (fuzz/corpus/NAME/) and every input that ever crashed one (fuzz/regressions/NAME/).
# Each target is built twice: as fuzz/replay_NAME with fuzz/replay.c, a test of `make check` that
# replays its corpus and regressions (any compiler, and under the sanitizers with
# --enable-sanitizers); and, with ./configure CC=clang --enable-fuzzing, as the libFuzzer program
# fuzz/fuzz_NAME that `make fuzz` builds and runs for FUZZ_TIME seconds each, FUZZ_JOBS at a time
# (fuzz/run.sh). In a tree configured without --enable-fuzzing, `make fuzz` does so in a copy of the
# distributed sources under build-fuzz/ (as check-sanitizers does under build-asan/).
FUZZ_BUILDDIR = build-fuzz
FUZZ_NAMES = amount hex eip712 tx rpc rpc_methods settle proto ballot genesis count
FUZZ_TIME = 20
FUZZ_JOBS = 2
FUZZ_REPLAY_FILES = fuzz/replay.c fuzz/fuzz.h
FUZZ_REPLAY_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_SRCDIR='"$(abs_top_srcdir)"'
FUZZER_LINK_FLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
EXTRA_DIST += fuzz/fuzz.h fuzz/run.sh fuzz/corpus fuzz/regressions fuzz/rpc.dict fuzz/rpc_methods.dict fuzz/tx.dict

FUZZ_REPLAYS = fuzz/replay_amount fuzz/replay_hex fuzz/replay_eip712 fuzz/replay_tx fuzz/replay_rpc fuzz/replay_rpc_methods fuzz/replay_settle fuzz/replay_proto fuzz/replay_ballot fuzz/replay_genesis \
	fuzz/replay_count
check_PROGRAMS += $(FUZZ_REPLAYS)
TESTS += $(FUZZ_REPLAYS)
# automake reads each program's variables by name, so a target costs these lines; the flags are shared
# and every target links the default LDADD (libcore and its libraries).
fuzz_replay_amount_SOURCES = fuzz/fuzz_amount.c $(FUZZ_REPLAY_FILES)
fuzz_replay_hex_SOURCES = fuzz/fuzz_hex.c $(FUZZ_REPLAY_FILES)
fuzz_replay_eip712_SOURCES = fuzz/fuzz_eip712.c $(FUZZ_REPLAY_FILES)
fuzz_replay_tx_SOURCES = fuzz/fuzz_tx.c $(FUZZ_REPLAY_FILES)
fuzz_replay_rpc_SOURCES = fuzz/fuzz_rpc.c $(FUZZ_REPLAY_FILES)
fuzz_replay_rpc_methods_SOURCES = fuzz/fuzz_rpc_methods.c $(FUZZ_REPLAY_FILES)
fuzz_replay_settle_SOURCES = fuzz/fuzz_settle.c $(FUZZ_REPLAY_FILES)
fuzz_replay_proto_SOURCES = fuzz/fuzz_proto.c $(FUZZ_REPLAY_FILES)
fuzz_replay_ballot_SOURCES = fuzz/fuzz_ballot.c $(FUZZ_REPLAY_FILES)
fuzz_replay_genesis_SOURCES = fuzz/fuzz_genesis.c $(FUZZ_REPLAY_FILES)
fuzz_replay_count_SOURCES = fuzz/fuzz_count.c $(FUZZ_REPLAY_FILES)
fuzz_replay_amount_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"amount"'
fuzz_replay_hex_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"hex"'
fuzz_replay_eip712_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"eip712"'
fuzz_replay_tx_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"tx"'
fuzz_replay_rpc_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"rpc"'
fuzz_replay_rpc_methods_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"rpc_methods"'
fuzz_replay_settle_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"settle"'
fuzz_replay_proto_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"proto"'
fuzz_replay_ballot_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"ballot"'
fuzz_replay_genesis_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"genesis"'
fuzz_replay_count_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS) -DFUZZ_NAME='"count"'

if ENABLE_FUZZING
# Each fuzz/fuzz_NAME is built from fuzz/fuzz_NAME.c (automake's default source).
FUZZ_TARGETS = fuzz/fuzz_amount fuzz/fuzz_hex fuzz/fuzz_eip712 fuzz/fuzz_tx fuzz/fuzz_rpc fuzz/fuzz_rpc_methods fuzz/fuzz_settle fuzz/fuzz_proto fuzz/fuzz_ballot fuzz/fuzz_genesis fuzz/fuzz_count
EXTRA_PROGRAMS += $(FUZZ_TARGETS)
fuzz_fuzz_amount_LDFLAGS = $(FUZZER_LINK_FLAGS)
fuzz_fuzz_hex_LDFLAGS = $(FUZZER_LINK_FLAGS)
fuzz_fuzz_eip712_LDFLAGS = $(FUZZER_LINK_FLAGS)
fuzz_fuzz_tx_LDFLAGS = $(FUZZER_LINK_FLAGS)
fuzz_fuzz_rpc_LDFLAGS = $(FUZZER_LINK_FLAGS)
fuzz_fuzz_rpc_methods_LDFLAGS = $(FUZZER_LINK_FLAGS)
fuzz_fuzz_settle_LDFLAGS = $(FUZZER_LINK_FLAGS)
fuzz_fuzz_proto_LDFLAGS = $(FUZZER_LINK_FLAGS)
fuzz_fuzz_ballot_LDFLAGS = $(FUZZER_LINK_FLAGS)
fuzz_fuzz_genesis_LDFLAGS = $(FUZZER_LINK_FLAGS)
fuzz_fuzz_count_LDFLAGS = $(FUZZER_LINK_FLAGS)
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
