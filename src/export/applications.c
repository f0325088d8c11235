// SPDX-License-Identifier: GPL-2.0-only
/*
 * Application identity: the executable behind a record's local end as an
 * RFC 6759 applicationId (engine PANA-L7-PEN, sockflow's PEN, a selector
 * hashed from the executable's path), with the file name and the path that
 * options records map it to.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "export/applications.h"
#include "log.h"
#include "utf8.h"

/*
 * A bound on the table: past it (a host that runs this many different
 * executables), it starts again empty, and each application is announced
 * again before its next record.
 */
#define APPLICATIONS_MAX 16384

struct applications {
	uint32_t pen;
	GHashTable *by_selector;	/* selector -> struct application */
	uint64_t collisions;
};

struct applications *applications__new(uint32_t pen)
{
	struct applications *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->pen = pen;
	t->by_selector = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	return t;
}

void applications__free(struct applications *t)
{
	if (!t)
		return;
	g_hash_table_destroy(t->by_selector);
	free(t);
}

/* 32-bit FNV-1a: fixed by its definition, so a selector means the same everywhere. */
static uint32_t fnv1a32(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

static void put_id(uint8_t *id, uint32_t pen, uint32_t selector)
{
	id[0] = APPLICATIONS_ENGINE_PANA_L7_PEN;
	id[1] = pen >> 24;
	id[2] = pen >> 16;
	id[3] = pen >> 8;
	id[4] = pen;
	id[5] = selector >> 24;
	id[6] = selector >> 16;
	id[7] = selector >> 8;
	id[8] = selector;
}

/* Whether @app is @p's executable (or, with neither executable known, its name). */
static bool same_application(const struct application *app, const struct flow_process *p)
{
	size_t n;

	/* The description keeps what of the path fits, cut at a character boundary. */
	if (p->exe[0]) {
		n = utf8__cut(p->exe, strlen(p->exe), sizeof(app->description) - 1);
		return strlen(app->description) == n && !memcmp(app->description, p->exe, n);
	}
	return !app->description[0] && !strcmp(app->name, p->name);
}

struct application *applications__of(struct applications *t, const struct flow_process *p)
{
	/* Without an executable (a kernel thread, a process gone before /proc was read): the name. */
	const char *key = p->exe[0] ? p->exe : p->name;
	const char *base = strrchr(key, '/');
	struct application *app;
	uint32_t selector;

	if (!p->pid)
		return NULL;
	selector = fnv1a32(key);
	app = g_hash_table_lookup(t->by_selector, GUINT_TO_POINTER(selector));
	if (app) {
		if (!same_application(app, p)) {
			/* Counted each time seen, logged the first time. */
			if (!t->collisions++)
				log_warn("applicationId: executables %s and %s have the same "
					 "selector %#x; records of both name the first",
					 app->description, key, selector);
		}
		return app;
	}
	if (g_hash_table_size(t->by_selector) >= APPLICATIONS_MAX)
		g_hash_table_remove_all(t->by_selector);
	app = g_new0(struct application, 1);
	put_id(app->id, t->pen, selector);
	key = base ? base + 1 : key;
	utf8__sanitize(app->name, sizeof(app->name), key, strlen(key));
	utf8__sanitize(app->description, sizeof(app->description), p->exe, strlen(p->exe));
	g_hash_table_insert(t->by_selector, GUINT_TO_POINTER(selector), app);
	return app;
}

const struct flow_process *applications__end(const struct flow_record *r, bool responder)
{
	const struct flow_process *src = responder ? &r->server : &r->client;
	const struct flow_process *dst = responder ? &r->client : &r->server;

	return src->pid ? src : dst;
}

static void mark_unannounced(gpointer key, gpointer value, gpointer data)
{
	struct application *app = value;

	(void)key;
	(void)data;
	app->announced = false;
}

void applications__reset(struct applications *t)
{
	g_hash_table_foreach(t->by_selector, mark_unannounced, NULL);
}

unsigned int applications__count(const struct applications *t)
{
	return g_hash_table_size(t->by_selector);
}

uint64_t applications__collisions(const struct applications *t)
{
	return t->collisions;
}
