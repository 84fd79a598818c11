# bench/local.mk: `make bench` builds and runs the benchmarks and prints their table.
EXTRA_PROGRAMS = bench/bench_tx
bench_bench_tx_SOURCES = bench/bench_tx.c
bench_bench_tx_LDADD = $(CORE_LDADD) -lpthread
CLEANFILES += bench/bench_tx
bench: bench/bench_tx conclaved
	./bench/bench_tx ./conclaved
.PHONY: bench
