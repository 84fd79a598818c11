# schema/local.mk: embeds the numbered migrations into schema/schema_sql.c.
SCHEMA_SQL = schema/001_init.sql schema/002_staking.sql schema/003_compute.sql schema/004_settlement.sql schema/005_governance.sql schema/006_slashes.sql schema/007_delegators_at.sql schema/008_acc_scale.sql schema/009_workers.sql schema/010_lean_transfers.sql schema/011_polls.sql schema/012_reads.sql schema/013_secret_ballots.sql schema/014_secret_counts.sql schema/015_proposals_by_state.sql schema/016_transactions_by_position.sql schema/017_transfers_without_foreign_keys.sql schema/018_blocks_transfers_end.sql schema/019_nonces_from_transactions.sql schema/020_vote_locks.sql
BUILT_SOURCES += schema/schema_sql.c
CLEANFILES += schema/schema_sql.c
EXTRA_DIST += $(SCHEMA_SQL) schema/embed.sh
libcore_a_SOURCES += schema/schema.h
nodist_libcore_a_SOURCES = schema/schema_sql.c
schema/schema_sql.c: $(SCHEMA_SQL) $(srcdir)/schema/embed.sh
	$(AM_V_GEN)$(MKDIR_P) schema && $(SHELL) $(srcdir)/schema/embed.sh $@ $(srcdir) $(SCHEMA_SQL)
