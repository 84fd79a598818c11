/* SPDX-License-Identifier: MIT */
/* rules_int.h: helpers shared by the rule files of governance/ (defined in proposals.c, used by
 * votes.c too). Not an API: only governance .c files include it. */
#ifndef GOVERNANCE_RULES_INT_H
#define GOVERNANCE_RULES_INT_H

#include "governance/rules.h"

/* Appends a proposal's event {"type": type, "proposal": id} to the receipt.
 * Returns: the event to fill (owned by the receipt), or NULL on OOM. */
cJSON *gov_proposal_event(gov_apply *a, const char *type, uint64_t id) NONNULL(1, 2);
/* Reads proposal id into p (initialized by the caller).
 * Returns: ST_OK; ST_NOTFOUND with "no proposal N" in the receipt; ST_DB. */
int gov_load_proposal(gov_apply *a, uint64_t id, gov_proposal *p) WARN_UNUSED NONNULL(1, 3);

#endif
