# bench/local.mk: `make bench` builds and runs the benchmarks and prints their tables: signed
# transfers (bench_tx: single calls from 8 and 64 connections, batches of 100 from one connection and
# from 4 at once, and the CPU a transfer of each thread), then the loop's cost of applying blocks of transfers and of votes in process
# (bench_apply: CPU per transaction; under callgrind, instructions whatever the load), then what a
# verification thread spends on a tx_send (bench_verify: body parse, decode, digest, recovery and stored
# text of signed votes and transfers in process, beside one bare recovery), then staking
# (bench_staking: reward and claim cost against the number of delegators, Contribute through
# JSON-RPC), then epoch settlement (bench_settlement: one epoch of
# 10,000 workers in 1,000 pools settled through the real conclave-enclave, with 1,000 and 100,000
# delegators), then governance (bench_gov: signed votes per second through JSON-RPC from 17,600
# distinct staked voters, single and batched, and vote changes; gov_getTally on a proposal with 10
# votes beside one with 1,000,000 written through gov_store), then reads over keep-alive HTTP
# (bench_reads: ledger_getAccount and gov_getTally against a bare evhttp responder in the same run),
# then polls (bench_polls: ranked-choice and copeland counted at the close at 100,000 ballots, beside
# snapshot.js's count of the same ballots, bench/polls_snapshot.cjs, in the same run; snapshot.js is
# installed from npm into tests/interop first, as the interop tests do, when npm is present), then
# secret polls (bench_secret: 100,000 voters from the genesis stake in batches; SecretBallots per
# second through JSON-RPC, sealed and signed before the clock starts; the enclave's count at the
# close of a ranked-choice poll of 100,000 ballots and a weighted one of 10,000, beside secp256k1
# ECDH on one core and enclave/count.c in process, measured just before each close), then a
# genesis of 1,000,000 accounts (bench_genesis: first start, restarts, resident memory), last the
# dashboards' reads (bench_read_costs: each on a ledger of 20,000 blocks beside one of 1,000,000).
# It ends with one summary table (bench/table.sh): every headline figure, the limit it is compared
# with, the ratio, the target and the machine; each bench adds its rows with bench_row to the file
# BENCH_TABLE names. The benches post their timed JSON-RPC calls through bench/http_load.c, a load
# generator of one thread with epoll (BENCH_CLIENT_THREADS=2 for two), tested by bench/test_http_load in
# make check. Quicker runs: BENCH_STAKING_FLAGS=--quick stakes a smaller large pool;
# BENCH_GOV_FLAGS=--quick writes 100,000 votes (./bench/bench_gov --votes-only [--quick] runs only the
# batched votes and changes; BENCH_CALLGRIND=1 dumps a callgrind'ed node around each: docs/PERFORMANCE.md); BENCH_READS_FLAGS=--quick runs one round of reads;
# BENCH_SECRET_FLAGS=--quick has 10,000 voters; BENCH_GENESIS_FLAGS=--quick makes 100,000 accounts;
# BENCH_READ_COSTS_FLAGS=--quick 100,000 blocks. The enclave's count alone, for a profiler:
# valgrind --tool=callgrind --toggle-collect=enc_count_chunk ./bench/bench_secret --count-only --quick.
# bench_settlement is linked with --wrap=enc_host_exchange_begin and --wrap=enc_host_exchange_step
# so it can time the enclave round trip of a settlement from the host's side without touching the
# engine. To profile its settlement blocks alone: mkfifo ctl ack; BENCH_PERF_CTL=ctl,ack perf record
# --control=fifo:ctl,ack -D -1 -g ./bench/bench_settlement ./conclave-enclave (perf starts disabled
# and the bench enables it only around each timed block).
EXTRA_PROGRAMS += bench/bench_tx bench/bench_apply bench/bench_staking bench/bench_settlement bench/bench_gov bench/bench_reads bench/bench_polls bench/bench_secret bench/bench_genesis bench/bench_read_costs bench/bench_verify
bench_bench_tx_SOURCES = bench/bench_tx.c bench/benchlib.c bench/benchlib.h bench/http_load.c bench/http_load.h
bench_bench_apply_SOURCES = bench/bench_apply.c bench/benchlib.c bench/benchlib.h bench/http_load.c bench/http_load.h
bench_bench_staking_SOURCES = bench/bench_staking.c bench/benchlib.c bench/benchlib.h bench/http_load.c bench/http_load.h
bench_bench_settlement_SOURCES = bench/bench_settlement.c bench/benchlib.c bench/benchlib.h bench/http_load.c bench/http_load.h
bench_bench_settlement_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=enc_host_exchange_begin -Wl,--wrap=enc_host_exchange_step
bench_bench_gov_SOURCES = bench/bench_gov.c bench/benchlib.c bench/benchlib.h bench/http_load.c bench/http_load.h
bench_bench_reads_SOURCES = bench/bench_reads.c bench/benchlib.c bench/benchlib.h bench/http_load.c bench/http_load.h
bench_bench_genesis_SOURCES = bench/bench_genesis.c bench/benchlib.c bench/benchlib.h bench/http_load.c bench/http_load.h
bench_bench_read_costs_SOURCES = bench/bench_read_costs.c bench/benchlib.c bench/benchlib.h bench/http_load.c bench/http_load.h
bench_bench_polls_SOURCES = bench/bench_polls.c bench/benchlib.c bench/benchlib.h bench/http_load.c bench/http_load.h
bench_bench_secret_SOURCES = bench/bench_secret.c bench/benchlib.c bench/benchlib.h bench/http_load.c bench/http_load.h
bench_bench_verify_SOURCES = bench/bench_verify.c bench/benchlib.c bench/benchlib.h bench/http_load.c bench/http_load.h
CLEANFILES += bench/bench_tx bench/bench_apply bench/bench_staking bench/bench_settlement bench/bench_gov bench/bench_reads bench/bench_polls bench/bench_secret bench/bench_genesis bench/bench_read_costs bench/bench_verify bench/table.tsv
EXTRA_DIST += bench/table.sh bench/polls_snapshot.cjs
BENCH_TABLE_FILE = bench/table.tsv
BENCH_ENV = BENCH_TABLE=$(BENCH_TABLE_FILE)
bench: bench/bench_tx bench/bench_apply bench/bench_staking bench/bench_settlement bench/bench_gov bench/bench_reads bench/bench_polls bench/bench_secret bench/bench_genesis bench/bench_read_costs bench/bench_verify conclaved conclave-enclave
	@$(SHELL) $(srcdir)/bench/table.sh start $(BENCH_TABLE_FILE)
	$(BENCH_ENV) ./bench/bench_tx ./conclaved
	@echo
	./bench/bench_apply
	@echo
	./bench/bench_verify
	@echo
	$(BENCH_ENV) ./bench/bench_staking $(BENCH_STAKING_FLAGS) ./conclaved
	@echo
	$(BENCH_ENV) ./bench/bench_settlement ./conclave-enclave
	@echo
	$(BENCH_ENV) ./bench/bench_gov $(BENCH_GOV_FLAGS) ./conclaved
	@echo
	$(BENCH_ENV) ./bench/bench_reads $(BENCH_READS_FLAGS) ./conclaved
	@echo
	-@command -v npm >/dev/null && $(SHELL) $(srcdir)/tests/interop/npm_deps.sh "$$(cd $(srcdir)/tests/interop && pwd)" "$$PWD/tests/interop" @snapshot-labs/snapshot.js
	$(BENCH_ENV) ./bench/bench_polls $(BENCH_POLLS_FLAGS) $(srcdir)/bench/polls_snapshot.cjs
	@echo
	$(BENCH_ENV) ./bench/bench_secret $(BENCH_SECRET_FLAGS) ./conclaved
	@echo
	$(BENCH_ENV) ./bench/bench_genesis $(BENCH_GENESIS_FLAGS) ./conclaved
	@echo
	./bench/bench_read_costs $(BENCH_READ_COSTS_FLAGS)
	@$(SHELL) $(srcdir)/bench/table.sh print $(BENCH_TABLE_FILE)
.PHONY: bench
# The load generator's own tests (a scripted loopback server), run by make check.
if ENABLE_TESTS
check_PROGRAMS += bench/test_http_load
bench_test_http_load_SOURCES = bench/test_http_load.c bench/http_load.c bench/http_load.h
bench_test_http_load_CFLAGS = $(TEST_CFLAGS)
bench_test_http_load_LDADD = $(TEST_LDADD)
TESTS += bench/test_http_load
endif
