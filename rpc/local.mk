# rpc/local.mk: the rpc folder's part of the build: the server (http, dispatch, errors), the
# blocking client, and conclaved's method table with its method files.
libcore_a_SOURCES += \
	rpc/rpc.h rpc/rpc_int.h rpc/client.h \
	rpc/http.c rpc/events.c rpc/dispatch.c rpc/errors.c rpc/client.c \
	rpc/methods.h rpc/methods_int.h rpc/methods.c \
	rpc/m_admin.c rpc/m_gov.c rpc/m_ledger.c rpc/m_node.c rpc/m_staking.c rpc/m_settlement.c rpc/m_metrics.c rpc/m_tx.c rpc/m_util.c
# The dashboard page, compiled in from rpc/dashboard.html.
BUILT_SOURCES += rpc/dashboard_page.c
CLEANFILES += rpc/dashboard_page.c
EXTRA_DIST += rpc/dashboard.html rpc/embed_page.sh
nodist_libcore_a_SOURCES += rpc/dashboard_page.c
rpc/dashboard_page.c: $(srcdir)/rpc/dashboard.html $(srcdir)/rpc/embed_page.sh
	$(AM_V_GEN)$(MKDIR_P) rpc && $(SHELL) $(srcdir)/rpc/embed_page.sh $@ $(srcdir)/rpc/dashboard.html
