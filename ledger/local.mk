# ledger/local.mk: the ledger folder's part of the build.
