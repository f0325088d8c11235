// SPDX-License-Identifier: GPL-2.0-only
/* User name cache: uid -> login name from the passwd database, misses included. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>

#include "enrich/user.h"

/*
 * Hosts have tens of users, but user namespaces map containers to large uid
 * ranges: past this many uids the cache starts over rather than grow.
 */
#define USER_CACHE_MAX 4096
#define PW_BUF_MIN 1024
#define PW_BUF_MAX (1024 * 1024)

struct user_cache {
	GHashTable *names;	/* GUINT_TO_POINTER(uid) -> char * ("" for no entry) */
};

struct user_cache *user_cache__new(void)
{
	struct user_cache *uc = calloc(1, sizeof(*uc));

	if (!uc)
		return NULL;
	uc->names = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	return uc;
}

/*
 * Look @uid up in the passwd database. Returns 0 with *@name set (NULL: no
 * such user), or a negative errno for a failure worth retrying later.
 */
static int user_lookup(uint32_t uid, char **name)
{
	struct passwd pw, *res = NULL;
	long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t len = hint > PW_BUF_MIN && hint <= PW_BUF_MAX ? (size_t)hint : PW_BUF_MIN;
	char *buf;
	int rc;

	for (;;) {
		buf = malloc(len);
		if (!buf)
			return -ENOMEM;
		rc = getpwuid_r((uid_t)uid, &pw, buf, len, &res);
		if (rc != ERANGE || len >= PW_BUF_MAX)
			break;
		free(buf);
		len *= 2;
	}
	if (rc == 0 && res) {
		*name = g_strdup(res->pw_name);
		rc = 0;
	} else if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM) {
		/* getpwuid_r(3): each of these means "not found", depending on the NSS module. */
		*name = NULL;
		rc = 0;
	} else {
		rc = -rc;
	}
	free(buf);
	return rc;
}

const char *user_cache__name(struct user_cache *uc, uint32_t uid)
{
	gpointer key = GUINT_TO_POINTER(uid);
	gpointer value;
	char *name;

	if (g_hash_table_lookup_extended(uc->names, key, NULL, &value))
		return value;
	if (user_lookup(uid, &name) < 0)
		return "";
	if (!name)
		name = g_strdup("");
	if (g_hash_table_size(uc->names) >= USER_CACHE_MAX)
		g_hash_table_remove_all(uc->names);
	g_hash_table_insert(uc->names, key, name);
	return name;
}

size_t user_cache__size(const struct user_cache *uc)
{
	return g_hash_table_size(uc->names);
}

void user_cache__free(struct user_cache *uc)
{
	if (!uc)
		return;
	if (uc->names)
		g_hash_table_destroy(uc->names);
	free(uc);
}
