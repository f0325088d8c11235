/* SPDX-License-Identifier: GPL-2.0-only */
/* Which flow records to export: include and exclude rules on the local ends' identity. */
#ifndef SOCKFLOW_FLOW_FILTER_H
#define SOCKFLOW_FLOW_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "flow/record.h"

/*
 * A compiled [filter] configuration.
 *
 * Rules match a flow *end*: the client or the server process, when it is on
 * this host (pid != 0; an end that is remote or whose process is unknown
 * matches no rule). A record passes when
 *
 *   (no include rule is set, or at least one local end matches an include
 *    rule of any kind) and no local end matches an exclude rule.
 *
 * Include rules of different kinds add up (containers A or user alice);
 * an exclude always wins over an include. What an end matches, by kind:
 *
 *   containers      the container's name, its full id, or a prefix of its
 *                   id of 12 or more lower-case hex digits. Containers only:
 *                   an end on the host or in a systemd unit (runtime
 *                   "systemd") matches no container rule; use a cgroup rule.
 *   pod namespaces  the Kubernetes namespace of the end's pod.
 *   cgroups         a prefix of the end's cgroup v2 path, whole components
 *                   only: "/system.slice" matches "/system.slice" and
 *                   "/system.slice/x.service", not "/system.slice2"; "/"
 *                   matches every end whose cgroup is known.
 *   processes       the command name (comm, 15 characters at most), or the
 *                   full executable path when the pattern holds a '/'.
 *   users           the uid (names were resolved when the config was read).
 *
 * Records are filtered after they are made: a filtered flow has been
 * tracked in the kernel and the flow table like any other.
 */
struct flow_filter;

/*
 * Compile @lists (as config.c checked and normalized them) into *@out.
 * Returns 0, -ENOMEM, or -EINVAL with a message in @err for a pattern
 * config.c would not have let through.
 */
int flow_filter__new(struct flow_filter **out, const struct filter_lists *lists, char *err,
		     size_t err_len);

/* Whether @r is to be exported. A NULL filter passes everything. */
bool flow_filter__pass(const struct flow_filter *f, const struct flow_record *r);

/* Number of include and exclude patterns (for the start-up log). */
void flow_filter__rules(const struct flow_filter *f, unsigned int *n_include,
			unsigned int *n_exclude);

/* Accepts NULL. */
void flow_filter__free(struct flow_filter *f);

#endif
