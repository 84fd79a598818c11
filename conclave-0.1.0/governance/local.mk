# governance/local.mk: the governance folder's part of the build: the rules (rules.h over proposals.c,
# votes.c and delegation.c), the records and tally rule (gov.c), the storage (gov_store.c) and the
# counting systems of polls (poll.c, pure: GMP only) with their stored tallies and results
# (ballots.c), and the count of secret polls as it lands (secret.c). Below the engine: nothing here includes engine/ or node/.
libcore_a_SOURCES += governance/gov.h governance/gov.c governance/gov_store.h governance/gov_store.c
libcore_a_SOURCES += governance/poll.h governance/poll.c governance/ballots.h governance/ballots.c
libcore_a_SOURCES += governance/rules.h governance/rules_int.h governance/proposals.c governance/votes.c governance/delegation.c
libcore_a_SOURCES += governance/secret.c
