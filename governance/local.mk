# governance/local.mk: the governance folder's part of the build.
libcore_a_SOURCES += governance/gov.h governance/gov.c governance/gov_store.h governance/gov_store.c
libcore_a_SOURCES += governance/rules.h governance/rules_int.h governance/proposals.c governance/votes.c governance/delegation.c
