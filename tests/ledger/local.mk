# tests/ledger/local.mk: the ledger tests.
