# ledger/local.mk: the ledger folder's part of the build.
libcore_a_SOURCES += ledger/status.c ledger/status.h
libcore_a_SOURCES += ledger/amount.c ledger/amount.h
libcore_a_SOURCES += ledger/hash.c ledger/hash.h
libcore_a_SOURCES += ledger/hex.c ledger/hex.h
libcore_a_SOURCES += ledger/sig.c ledger/sig.h
libcore_a_SOURCES += ledger/ballot_box.c ledger/ballot_box.h
libcore_a_SOURCES += ledger/eip712.c ledger/eip712.h
libcore_a_SOURCES += ledger/tx.c ledger/txtypes.c ledger/tx.h
libcore_a_SOURCES += ledger/receipt.c ledger/receipt.h
libcore_a_SOURCES += ledger/ledger.h ledger/ledger_int.h ledger/sqlstore.h ledger/db.c ledger/rows.c ledger/sqlfuncs.c ledger/books.c ledger/account_memo.c ledger/nonces.c \
	ledger/stakes.h ledger/stakes.c ledger/pool_settings.c ledger/compute.h ledger/compute.c \
	ledger/chain.c ledger/audit.c ledger/reads.h ledger/reads.c
