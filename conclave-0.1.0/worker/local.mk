# worker/local.mk: conclave-worker, the program a compute provider runs on each machine. The
# workload and its score (bench.c) and the protocol with the node (node.c) go into libcore so the
# tests link them.
libcore_a_SOURCES += worker/bench.h worker/bench.c worker/node.h worker/node.c
# The program shares the trusted programs' platform and sealing code with conclave-enclave: the
# platform and quotes come from libcore (enclave/local.mk puts them there for the host), and seal.c,
# which only trusted programs use, is compiled in here as the enclave compiles it in.
bin_PROGRAMS += conclave-worker
conclave_worker_SOURCES = worker/main.c enclave/seal.h enclave/seal.c
