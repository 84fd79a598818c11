/* SPDX-License-Identifier: MIT */
/* schema.h: the SQL migrations compiled into the binaries, in order; migration i (0-based) brings
 * the database from PRAGMA user_version i to i+1. Generated from schema/NNN_name.sql by embed.sh. */
#ifndef SCHEMA_SCHEMA_H
#define SCHEMA_SCHEMA_H

extern const char *const schema_migrations[];
extern const unsigned schema_migration_count;

#endif
