# tests/cli/local.mk: the cli tests.
