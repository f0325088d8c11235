/* SPDX-License-Identifier: GPL-2.0-only */
/* The key table (config.c) as the config file reader (config_file.c) asks of it. */
#ifndef SOCKFLOW_CONFIG_KEYS_H
#define SOCKFLOW_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>

bool config_keys__has_group(const char *group);
bool config_keys__has(const char *group, const char *key);
/* The known groups / @group's keys, as "a, b or c" for an error (g_free). */
char *config_keys__groups(void);
char *config_keys__names(const char *group);
/* What @group's @key takes, for an error. */
void config_keys__expected(const char *group, const char *key, char *buf, size_t len);

#endif
