/* SPDX-License-Identifier: MIT */
/* param_units.c: the table of param_units.h. Every governed parameter of engine/governance.c has
 * its row (tests/engine/test_engine.c checks it against the node's own list); a name ending in
 * "Secs" is in seconds and one ending in "Ppm" in parts per million. */
#include "engine/param_units.h"

#include <stddef.h>
#include <string.h>

static const struct {
    const char *name;
    enum eng_param_unit unit;
} units[] = {
    { "compute.maxScore", ENG_UNIT_COUNT },
    { "rewards.budgetPerEpoch", ENG_UNIT_AMOUNT },
    { "rewards.feePpm", ENG_UNIT_PPM },
    { "rewards.slashPpm", ENG_UNIT_PPM },
    { "rewards.treasuryPpm", ENG_UNIT_PPM },
    { "rewards.uptimeThresholdPpm", ENG_UNIT_PPM },
    { "staking.commissionNoticeSecs", ENG_UNIT_SECONDS },
    { "staking.minContribution", ENG_UNIT_AMOUNT },
    { "staking.minWithdrawal", ENG_UNIT_AMOUNT },
    { "staking.slashDeferSecs", ENG_UNIT_SECONDS },
    { "staking.unbondingSecs", ENG_UNIT_SECONDS },
    { "staking.withdrawGraceSecs", ENG_UNIT_SECONDS },
};

enum eng_param_unit eng_param_unit(const char *name)
{
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(units[i].name, name) == 0)
            return units[i].unit;
    return ENG_UNIT_UNKNOWN;
}
