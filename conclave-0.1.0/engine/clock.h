/* SPDX-License-Identifier: MIT */
/* clock.h: where the node's time comes from: the wall clock in production, or a manual clock that
 * moves only when told (tests and --dev), so time-dependent behaviour is tested without sleeps;
 * and the chain's epochs: epoch n runs from genesis time + n * epochSecs, inclusive, to the start of
 * epoch n + 1, exclusive. Times are whole seconds since the Unix epoch. Layer: engine (its bottom
 * floor: it needs nothing else of the engine). */
#ifndef ENGINE_CLOCK_H
#define ENGINE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "ledger/status.h"

enum eng_clock_mode { ENG_CLOCK_WALL, ENG_CLOCK_MANUAL };

typedef struct eng_clock {
    enum eng_clock_mode mode;
    uint64_t manual_now;        /* seconds; the manual clock's time */
    uint64_t genesis_time;      /* the start of epoch 0 */
    uint64_t epoch_length;      /* seconds per epoch; 0 before a genesis is loaded (every time is epoch 0) */
} eng_clock;

/* Sets up a clock; start is the manual clock's first time (ignored by the wall clock). */
void eng_clock_init(eng_clock *c, enum eng_clock_mode mode, uint64_t start) NONNULL(1);
/* Returns: the current time in seconds. */
uint64_t eng_clock_now(const eng_clock *c) NONNULL(1);
/* Moves the manual clock forward by secs. Returns: ST_OK; ST_DISABLED on the wall clock;
 * ST_OVERFLOW if the time would pass 2^63. */
int eng_clock_advance(eng_clock *c, uint64_t secs) WARN_UNUSED NONNULL(1);
/* Sets the chain's epochs: epoch 0 starts at genesis_time and each lasts epoch_length seconds. */
void eng_clock_set_epochs(eng_clock *c, uint64_t genesis_time, uint64_t epoch_length) NONNULL(1);
/* Returns: the epoch that time t falls in (0 before the genesis time). */
uint64_t eng_clock_epoch(const eng_clock *c, uint64_t t) NONNULL(1);
/* Returns: the time epoch starts. */
uint64_t eng_clock_epoch_start(const eng_clock *c, uint64_t epoch) NONNULL(1);
/* Parses "wall" or "manual". Returns: ST_OK or ST_INVALID. */
int eng_clock_mode_parse(enum eng_clock_mode *mode, const char *text) WARN_UNUSED NONNULL(1, 2);

#endif
