# bench/local.mk: `make bench` builds and runs the benchmarks and prints their tables: signed
# transfers (bench_tx), then staking (bench_staking: reward and claim cost against the number of
# delegators, Contribute through JSON-RPC). `make bench BENCH_STAKING_FLAGS=--quick` stakes a
# smaller large pool.
EXTRA_PROGRAMS = bench/bench_tx bench/bench_staking
bench_bench_tx_SOURCES = bench/bench_tx.c
bench_bench_tx_LDADD = $(CORE_LDADD) -lpthread
bench_bench_staking_SOURCES = bench/bench_staking.c
bench_bench_staking_LDADD = $(CORE_LDADD) -lpthread
CLEANFILES += bench/bench_tx bench/bench_staking
bench: bench/bench_tx bench/bench_staking conclaved
	./bench/bench_tx ./conclaved
	@echo
	./bench/bench_staking $(BENCH_STAKING_FLAGS) ./conclaved
.PHONY: bench
