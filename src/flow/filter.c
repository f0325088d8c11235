// SPDX-License-Identifier: GPL-2.0-only
/* Record filter: [filter] patterns compiled into hash sets, matched against each local end. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "flow/filter.h"
#include "text.h"

/* Digits an id prefix needs: docker and podman print ids shortened to 12. */
#define ID_PREFIX_MIN 12

/*
 * The patterns of one side (include or exclude), by kind. A NULL set holds
 * nothing. Strings are owned by their set.
 */
struct filter_rules {
	GHashTable *containers;		/* names and ids, matched exactly */
	GHashTable *id_prefixes;	/* first 12 digits -> GPtrArray of prefixes (12..64) */
	GHashTable *pod_namespaces;
	GHashTable *cgroups;		/* path prefixes, no trailing '/' */
	bool all_cgroups;		/* "/" is one of them */
	GHashTable *comms;
	GHashTable *exes;
	uint32_t *uids;			/* sorted, for bsearch */
	size_t n_uids;
	unsigned int n;			/* patterns in all; 0: no rule on this side */
};

struct flow_filter {
	struct filter_rules include;
	struct filter_rules exclude;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void set_add(GHashTable **set, const char *s)
{
	if (!*set)
		*set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_hash_table_add(*set, g_strdup(s));
}

static bool set_has(GHashTable *set, const char *s)
{
	return set && g_hash_table_contains(set, s);
}

static void id_prefix_add(struct filter_rules *r, const char *prefix)
{
	char *head = g_strndup(prefix, ID_PREFIX_MIN);
	GPtrArray *list;

	if (!r->id_prefixes)
		r->id_prefixes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						       (GDestroyNotify)g_ptr_array_unref);
	list = g_hash_table_lookup(r->id_prefixes, head);
	if (!list) {
		list = g_ptr_array_new_with_free_func(g_free);
		g_hash_table_insert(r->id_prefixes, head, list);
	} else {
		g_free(head);
	}
	g_ptr_array_add(list, g_strdup(prefix));
}

/* Add the space-separated patterns of @list, of @kind, to @r. */
static int rules__add(struct filter_rules *r, enum filter_kind kind, const char *list, char *err,
		      size_t err_len)
{
	char **items = g_strsplit(list, " ", -1);
	uint32_t uid;
	int i, rc = 0;

	for (i = 0; items[i]; i++) {
		const char *s = items[i];

		if (!*s)
			continue;
		switch (kind) {
		case FILTER_CONTAINERS:
			set_add(&r->containers, s);
			if (strlen(s) >= ID_PREFIX_MIN && text__is_lower_hex(s, strlen(s)))
				id_prefix_add(r, s);
			break;
		case FILTER_POD_NAMESPACES:
			set_add(&r->pod_namespaces, s);
			break;
		case FILTER_CGROUPS:
			if (*s != '/') {
				rc = config__error(err, err_len, -EINVAL, "\"%s\" is not a cgroup path",
					     s);
				goto out;
			}
			if (!strcmp(s, "/"))
				r->all_cgroups = true;
			set_add(&r->cgroups, s);
			break;
		case FILTER_PROCESSES:
			set_add(strchr(s, '/') ? &r->exes : &r->comms, s);
			break;
		case FILTER_USERS:
			if (config__parse_u32(s, 0, UINT32_MAX - 1, &uid)) {
				rc = config__error(err, err_len, -EINVAL, "\"%s\" is not a uid", s);
				goto out;
			}
			r->uids = g_renew(uint32_t, r->uids, r->n_uids + 1);
			r->uids[r->n_uids++] = uid;
			break;
		case FILTER_KINDS:
			rc = -EINVAL;
			goto out;
		}
		r->n++;
	}
out:
	g_strfreev(items);
	return rc;
}

static void rules__clear(struct filter_rules *r)
{
	g_clear_pointer(&r->containers, g_hash_table_destroy);
	g_clear_pointer(&r->id_prefixes, g_hash_table_destroy);
	g_clear_pointer(&r->pod_namespaces, g_hash_table_destroy);
	g_clear_pointer(&r->cgroups, g_hash_table_destroy);
	g_clear_pointer(&r->comms, g_hash_table_destroy);
	g_clear_pointer(&r->exes, g_hash_table_destroy);
	g_clear_pointer(&r->uids, g_free);
}

int flow_filter__new(struct flow_filter **out, const struct filter_lists *lists, char *err,
		     size_t err_len)
{
	struct flow_filter *f = g_new0(struct flow_filter, 1);
	int kind, rc;

	*out = NULL;
	for (kind = 0; kind < FILTER_KINDS; kind++) {
		rc = rules__add(&f->include, kind, lists->include[kind], err, err_len);
		if (rc)
			goto err_free;
		rc = rules__add(&f->exclude, kind, lists->exclude[kind], err, err_len);
		if (rc)
			goto err_free;
	}
	if (f->include.n_uids)
		qsort(f->include.uids, f->include.n_uids, sizeof(uint32_t), cmp_u32);
	if (f->exclude.n_uids)
		qsort(f->exclude.uids, f->exclude.n_uids, sizeof(uint32_t), cmp_u32);
	*out = f;
	return 0;

err_free:
	flow_filter__free(f);
	return rc;
}

/* A container's name, id or id prefix; not the host's, not a systemd unit's. */
static bool container_matches(const struct filter_rules *r, const struct flow_container *c)
{
	char head[ID_PREFIX_MIN + 1];
	GPtrArray *prefixes;
	const char *p;
	guint i;

	if (!c->runtime[0] || !strcmp(c->runtime, "systemd"))
		return false;
	if (c->name[0] && set_has(r->containers, c->name))
		return true;
	if (!c->id[0])
		return false;
	if (set_has(r->containers, c->id))
		return true;
	if (!r->id_prefixes || strnlen(c->id, sizeof(c->id)) < ID_PREFIX_MIN)
		return false;
	memcpy(head, c->id, ID_PREFIX_MIN);
	head[ID_PREFIX_MIN] = '\0';
	prefixes = g_hash_table_lookup(r->id_prefixes, head);
	for (i = 0; prefixes && i < prefixes->len; i++) {
		p = g_ptr_array_index(prefixes, i);
		if (!strncmp(c->id, p, strlen(p)))
			return true;
	}
	return false;
}

/* @path or one of its ancestors, whole components only, is in the set. */
static bool cgroup_matches(const struct filter_rules *r, const char *path)
{
	char buf[FLOW_PATH_LEN], c;
	size_t i, n;
	bool hit;

	if (path[0] != '/')
		return false;
	if (r->all_cgroups)
		return true;
	n = strnlen(path, sizeof(buf) - 1);
	memcpy(buf, path, n);
	buf[n] = '\0';
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		c = buf[i];
		buf[i] = '\0';
		hit = g_hash_table_contains(r->cgroups, buf);
		buf[i] = c;
		if (hit)
			return true;
	}
	return false;
}

static bool end_matches(const struct filter_rules *r, const struct flow_process *p)
{
	const struct flow_container *c = &p->container;

	if (!p->pid)
		return false;
	if ((r->containers || r->id_prefixes) && container_matches(r, c))
		return true;
	if (r->pod_namespaces && c->pod_namespace[0] &&
	    g_hash_table_contains(r->pod_namespaces, c->pod_namespace))
		return true;
	if (r->cgroups && cgroup_matches(r, p->cgroup))
		return true;
	if (set_has(r->comms, p->name) || (p->exe[0] && set_has(r->exes, p->exe)))
		return true;
	return r->n_uids && bsearch(&p->uid, r->uids, r->n_uids, sizeof(uint32_t), cmp_u32);
}

bool flow_filter__pass(const struct flow_filter *f, const struct flow_record *r)
{
	if (!f)
		return true;
	if (f->include.n && !end_matches(&f->include, &r->client) &&
	    !end_matches(&f->include, &r->server))
		return false;
	return !f->exclude.n || (!end_matches(&f->exclude, &r->client) &&
				 !end_matches(&f->exclude, &r->server));
}

void flow_filter__rules(const struct flow_filter *f, unsigned int *n_include,
			unsigned int *n_exclude)
{
	*n_include = f ? f->include.n : 0;
	*n_exclude = f ? f->exclude.n : 0;
}

void flow_filter__free(struct flow_filter *f)
{
	if (!f)
		return;
	rules__clear(&f->include);
	rules__clear(&f->exclude);
	g_free(f);
}
