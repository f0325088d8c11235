/* SPDX-License-Identifier: GPL-2.0-only */
/* A collector's host name looked up in the background: DNS may be slow or down at boot. */
#ifndef SOCKFLOW_EXPORT_RESOLVE_H
#define SOCKFLOW_EXPORT_RESOLVE_H

#include <netdb.h>

struct resolve;

/*
 * Start getaddrinfo(@host, @port) for @socktype on a thread of its own.
 * NULL: out of memory, or no thread could be started.
 */
struct resolve *resolve__start(const char *host, const char *port, int socktype);

/*
 * 0 while the lookup runs; then 1, with the addresses in *@addrs (the
 * caller's: freeaddrinfo()) or NULL and getaddrinfo's error in *@gai_rc.
 * The result is handed over once.
 */
int resolve__take(struct resolve *r, struct addrinfo **addrs, int *gai_rc);

/* Forget a lookup; one still running finishes on its own and frees itself. Accepts NULL. */
void resolve__free(struct resolve *r);

#endif
