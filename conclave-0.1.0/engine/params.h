/* SPDX-License-Identifier: MIT */
/* params.h: the one table of chain parameters. Every scalar that a genesis document sets in its
 * "staking", "rewards", "compute" and "governance" objects is one row: its name, kind, unit,
 * default, inclusive bounds and whether a `param` proposal may change it. The table drives the
 * genesis parser and defaults, the canonical genesis text (rows are sorted by name, so each object's
 * keys come out in order), the governed parameters (param payloads, gov_getParams) and the CLI's
 * rendering of a value in its unit, so a parameter is added in one place and its bounds cannot
 * drift between genesis and governance. Pure: no node, no I/O. Layer: engine (below genesis and
 * governance). */
#ifndef ENGINE_PARAMS_H
#define ENGINE_PARAMS_H

#include <cjson/cJSON.h>
#include <gmp.h>
#include <stdbool.h>
#include <stddef.h>
#include "engine/genesis.h"

/* The unit of a parameter's value, so that whatever shows one (the CLI's rendering of
 * ParameterChanged, a dashboard) shows it in its unit rather than guessing. */
enum eng_param_unit {
    ENG_UNIT_UNKNOWN = 0,   /* not a parameter of this version */
    ENG_UNIT_AMOUNT,        /* token base units (10^18 per token) */
    ENG_UNIT_SECONDS,       /* a duration in seconds */
    ENG_UNIT_PPM,           /* parts per million */
    ENG_UNIT_COUNT,         /* a plain number */
    ENG_UNIT_FIXED          /* a real number with up to 36 decimals (a fixed of enclave/economics.h) */
};

/* How a parameter is held in eng_genesis and written in a genesis document. */
enum eng_param_kind {
    ENG_PARAM_U32,          /* uint32_t; a JSON number */
    ENG_PARAM_U64,          /* uint64_t below 2^53; a JSON number */
    ENG_PARAM_AMOUNT,       /* mpz_t; a canonical decimal string */
    ENG_PARAM_PPM_LIST,     /* uint32_t[ENC_CONF_LEVELS]; a JSON array of numbers, each within the bounds */
    ENG_PARAM_FIXED         /* mpz_t holding x * 10^36; a decimal string with up to 36 decimals, written
                             * without trailing zeros ("1.3", "0.000003333333333333333333333333333333") */
};

typedef struct eng_param {
    const char *name;       /* "object.key", e.g. "staking.unbondingSecs" */
    enum eng_param_kind kind;
    enum eng_param_unit unit;
    size_t offset;          /* of the field in eng_genesis */
    const char *def;        /* the default, decimal ("a,b,..." for a list; "1.3" for a fixed) */
    const char *min, *max;  /* inclusive bounds, decimal */
    bool governed;          /* a `param` proposal may change it */
} eng_param;

/* The rows, sorted by name: how many, and the i-th (i < count). */
unsigned eng_param_count(void);
const eng_param *eng_param_at(unsigned i);
/* Returns: the row called name, or NULL. */
const eng_param *eng_param_find(const char *name) NONNULL(1);
/* Returns: the unit of the parameter called name, ENG_UNIT_UNKNOWN for any other name. */
enum eng_param_unit eng_param_unit(const char *name) NONNULL(1);

/* Reads a scalar parameter's value from g into v (initialized by the caller). */
void eng_param_get(const eng_genesis *g, const eng_param *p, mpz_t v) NONNULL(1, 2, 3);
/* Writes v, which must be within the row's bounds, into g's scalar field. */
void eng_param_set(eng_genesis *g, const eng_param *p, const mpz_t v) NONNULL(1, 2, 3);
/* Returns: whether v is within the row's inclusive bounds. */
bool eng_param_in_bounds(const eng_param *p, const mpz_t v) NONNULL(1, 2);

/* Initializes every parameter of g to its default (the amounts are mpz_init'ed here; release with
 * eng_params_clear). */
void eng_params_init(eng_genesis *g) NONNULL(1);
void eng_params_clear(eng_genesis *g) NONNULL(1);

/* Parses member field of genesis object (section "staking", "rewards", ...) into g.
 * Returns: ST_OK; ST_NOTFOUND when no parameter has that name (the caller decides); ST_INVALID with
 * err ("genesis: staking.unbondingSecs is out of range (0 to 31536000)"). */
int eng_params_parse_member(eng_genesis *g, const char *section, const cJSON *field, char *err, size_t errlen)
    WARN_UNUSED NONNULL(1, 2, 3, 4);
/* Adds every parameter of section to obj, in name order, in its canonical form.
 * Returns: ST_OK or ST_NOMEM. */
int eng_params_write_section(cJSON *obj, const eng_genesis *g, const char *section) WARN_UNUSED NONNULL(1, 2, 3);

#endif
