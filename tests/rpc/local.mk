# tests/rpc/local.mk: the rpc tests.
