/* SPDX-License-Identifier: MIT */
/* clock.c: the wall clock, the manual clock and the epochs (see clock.h). */
#include "engine/clock.h"

#include <string.h>
#include <time.h>

void eng_clock_init(eng_clock *c, enum eng_clock_mode mode, uint64_t start)
{
    c->mode = mode;
    c->manual_now = start;
    c->genesis_time = 0;
    c->epoch_length = 0;
}

uint64_t eng_clock_now(const eng_clock *c)
{
    if (c->mode == ENG_CLOCK_MANUAL)
        return c->manual_now;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec;
}

int eng_clock_advance(eng_clock *c, uint64_t secs)
{
    if (c->mode != ENG_CLOCK_MANUAL)
        return ST_DISABLED;
    if (secs > (UINT64_C(1) << 63) - c->manual_now)
        return ST_OVERFLOW;
    c->manual_now += secs;
    return ST_OK;
}

int eng_clock_mode_parse(enum eng_clock_mode *mode, const char *text)
{
    if (strcmp(text, "wall") == 0)
        *mode = ENG_CLOCK_WALL;
    else if (strcmp(text, "manual") == 0)
        *mode = ENG_CLOCK_MANUAL;
    else
        return ST_INVALID;
    return ST_OK;
}

void eng_clock_set_epochs(eng_clock *c, uint64_t genesis_time, uint64_t epoch_length)
{
    c->genesis_time = genesis_time;
    c->epoch_length = epoch_length;
}

uint64_t eng_clock_epoch(const eng_clock *c, uint64_t t)
{
    return t > c->genesis_time && c->epoch_length ? (t - c->genesis_time) / c->epoch_length : 0;
}

uint64_t eng_clock_epoch_start(const eng_clock *c, uint64_t epoch)
{
    return c->genesis_time + epoch * c->epoch_length;
}
