/* SPDX-License-Identifier: MIT */
/* param_units.h: the unit of each governed parameter (a base-unit amount, seconds, parts per million
 * or a plain count), by its name, so that whatever shows a parameter's value (the CLI's rendering
 * of ParameterChanged, a dashboard) shows it in its unit rather than guessing. The parameters
 * themselves, their bounds and values, are engine/governance.h's. Layer: engine (pure, no state:
 * the CLI uses it without a node). */
#ifndef ENGINE_PARAM_UNITS_H
#define ENGINE_PARAM_UNITS_H

enum eng_param_unit {
    ENG_UNIT_UNKNOWN = 0,   /* not a governed parameter of this version */
    ENG_UNIT_AMOUNT,        /* token base units (10^18 per token) */
    ENG_UNIT_SECONDS,       /* a duration in seconds */
    ENG_UNIT_PPM,           /* parts per million */
    ENG_UNIT_COUNT          /* a plain number */
};

/* Returns: the unit of the governed parameter called name ("staking.unbondingSecs"), or
 * ENG_UNIT_UNKNOWN for any other name. Thread-safe. */
enum eng_param_unit eng_param_unit(const char *name);

#endif
