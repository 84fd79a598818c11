# node/local.mk: conclaved, the program on top: its main, its JSON-RPC method table with one file of
# methods per area, what it publishes on GET /events, and the dashboard page.
libcore_a_SOURCES += \
	node/methods.h node/methods_int.h node/methods.c node/events.c node/errors.c \
	node/m_admin.c node/m_gov.c node/m_ledger.c node/m_node.c node/m_staking.c node/m_workers.c node/m_compute.c node/m_settlement.c node/m_metrics.c node/m_tx.c node/m_util.c \
	node/verify_pool.h node/verify_pool.c \
	node/m_ledger_reads.c node/m_gov_reads.c node/m_pool_rewards.c
bin_PROGRAMS += conclaved
conclaved_SOURCES = node/main.c
# The dashboard page, compiled in from node/dashboard.html.
BUILT_SOURCES += node/dashboard_page.c
CLEANFILES += node/dashboard_page.c
EXTRA_DIST += node/dashboard.html node/embed_page.sh
nodist_libcore_a_SOURCES += node/dashboard_page.c
node/dashboard_page.c: $(srcdir)/node/dashboard.html $(srcdir)/node/embed_page.sh
	$(AM_V_GEN)$(MKDIR_P) node && $(SHELL) $(srcdir)/node/embed_page.sh $@ $(srcdir)/node/dashboard.html
