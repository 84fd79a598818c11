# worker/local.mk: conclave-worker, the program a compute provider runs on each machine. The
# workload and its score (bench.c) go into libcore so the tests link them.
libcore_a_SOURCES += worker/bench.h worker/bench.c
