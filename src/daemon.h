/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon: GLib main loop wiring BPF source, flow table and exporters. */
#ifndef SOCKFLOW_DAEMON_H
#define SOCKFLOW_DAEMON_H

#include "config.h"

/*
 * Run until SIGTERM/SIGINT. SIGHUP re-reads cfg->path (when set) and applies
 * it. Returns 0 on a clean stop, a negative errno if start-up failed (the
 * reason has been logged).
 */
int daemon_run(struct config *cfg);

#endif
