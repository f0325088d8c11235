/* SPDX-License-Identifier: GPL-2.0-only */
/* User name cache: uid -> login name from the passwd database, misses included. */
#ifndef SOCKFLOW_ENRICH_USER_H
#define SOCKFLOW_ENRICH_USER_H

#include <stddef.h>
#include <stdint.h>

struct user_cache;

/* NULL only when out of memory. */
struct user_cache *user_cache__new(void);

/*
 * The login name of @uid, "" when the passwd database has no entry for it
 * (the uid itself travels in its own field, so a made-up name such as
 * "1000" would only look like a real one). Never NULL. The string belongs
 * to the cache and stays valid until user_cache__free() or until the cache
 * is emptied on reaching its bound, i.e. the next call: copy it.
 *
 * The first lookup of a uid goes through NSS (getpwuid_r), which can be
 * slow with a network directory; after that, found names and misses are
 * answered from memory. Errors other than "no such user" are not cached.
 */
const char *user_cache__name(struct user_cache *uc, uint32_t uid);

/* Number of cached uids, misses included. */
size_t user_cache__size(const struct user_cache *uc);

/* Accepts NULL. */
void user_cache__free(struct user_cache *uc);

#endif
