/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Application identity (RFC 6759): the local process a record is attributed
 * to, as an applicationId under sockflow's PEN, and the names collectors map
 * it to from options records.
 */
#ifndef SOCKFLOW_EXPORT_APPLICATIONS_H
#define SOCKFLOW_EXPORT_APPLICATIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "flow/record.h"

/*
 * An applicationId on the wire: classification engine 20 (PANA-L7-PEN),
 * the PEN, then a 4-octet selector. Nine octets is also the length nfdump
 * 1.7.1 keeps as sent (it byte-swaps ids of 1-8 or 16 octets over IPFIX).
 */
#define APPLICATIONS_ID_LEN 9
#define APPLICATIONS_ENGINE_PANA_L7_PEN 20

/*
 * An application's name and description (its executable's path) in a
 * mapping record, fixed-length: nfdump 1.7.1 takes them only so (over v9
 * and IPFIX), ends each with a NUL in its last octet, and shows nothing
 * when the two lengths add up to more than 253: a path longer than 203
 * octets is cut.
 */
#define APPLICATIONS_NAME_LEN 48
#define APPLICATIONS_DESCRIPTION_LEN 204

/* One application: an executable, or a command name where the executable is unknown. */
struct application {
	uint8_t id[APPLICATIONS_ID_LEN];
	char name[APPLICATIONS_NAME_LEN];		/* the executable's file name */
	char description[APPLICATIONS_DESCRIPTION_LEN];	/* its full path, maybe cut */
	bool announced;		/* its mapping went to the collector since the last reset */
};

struct applications;

/*
 * The end a record's single-slot fields (an application, a v9 user name)
 * describe: its source end (the server for the responder's uniflow record,
 * else the client) when that end is local, else the other end.
 */
const struct flow_process *applications__end(const struct flow_record *r, bool responder);

/* A table of the applications one exporter has named, under @pen. NULL: out of memory. */
struct applications *applications__new(uint32_t pen);

void applications__free(struct applications *t);

/*
 * The application of process @p (pid 0: NULL, the end is not local). Its
 * selector is a 32-bit hash of the executable path, so the same program
 * has the same id on every host and across restarts; two paths with one
 * hash are logged once and share the id of the first.
 */
struct application *applications__of(struct applications *t, const struct flow_process *p);

/*
 * Mark every application not announced: after templates are re-sent (a
 * collector that restarted has lost the mappings too), each is announced
 * again before its next record.
 */
void applications__reset(struct applications *t);

/* Applications named so far, and hash collisions between executables seen. */
unsigned int applications__count(const struct applications *t);
uint64_t applications__collisions(const struct applications *t);

#endif
