// SPDX-License-Identifier: GPL-2.0-only
/*
 * A host name looked up on a detached thread, so that a resolver that does
 * not answer (DNS down at boot) never blocks the daemon's loop. The thread
 * and the owner share the lookup; whichever lets go last frees it.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "export/resolve.h"

struct resolve {
	pthread_mutex_t lock;
	int refs;			/* the owner's and the thread's */
	bool done;
	int gai_rc;
	struct addrinfo *addrs;		/* until taken */
	struct addrinfo hints;
	char *host, *port;
};

static void resolve_unref(struct resolve *r)
{
	bool last;

	pthread_mutex_lock(&r->lock);
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->lock);
	if (!last)
		return;
	if (r->addrs)
		freeaddrinfo(r->addrs);
	pthread_mutex_destroy(&r->lock);
	free(r->host);
	free(r->port);
	free(r);
}

static void *resolve_thread(void *arg)
{
	struct resolve *r = arg;
	struct addrinfo *addrs = NULL;
	int rc;

	rc = getaddrinfo(r->host, r->port, &r->hints, &addrs);
	pthread_mutex_lock(&r->lock);
	r->gai_rc = rc;
	r->addrs = rc ? NULL : addrs;
	r->done = true;
	pthread_mutex_unlock(&r->lock);
	resolve_unref(r);
	return NULL;
}

struct resolve *resolve__start(const char *host, const char *port, int socktype)
{
	struct resolve *r = calloc(1, sizeof(*r));
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t thread;
	int rc;

	if (!r)
		return NULL;
	r->host = strdup(host);
	r->port = strdup(port);
	if (!r->host || !r->port)
		goto err_free;
	r->hints.ai_family = AF_UNSPEC;
	r->hints.ai_socktype = socktype;
	r->refs = 2;
	pthread_mutex_init(&r->lock, NULL);
	if (pthread_attr_init(&attr))
		goto err_destroy;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Signals are the daemon's loop's: the thread starts with all of them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&thread, &attr, resolve_thread, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc)
		goto err_destroy;
	return r;

err_destroy:
	pthread_mutex_destroy(&r->lock);
err_free:
	free(r->host);
	free(r->port);
	free(r);
	return NULL;
}

int resolve__take(struct resolve *r, struct addrinfo **addrs, int *gai_rc)
{
	int done;

	pthread_mutex_lock(&r->lock);
	done = r->done;
	if (done) {
		*addrs = r->addrs;
		*gai_rc = r->gai_rc;
		r->addrs = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	return done;
}

void resolve__free(struct resolve *r)
{
	if (r)
		resolve_unref(r);
}
