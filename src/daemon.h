/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon: GLib main loop wiring BPF source, flow table and exporters. */
#ifndef SOCKFLOW_DAEMON_H
#define SOCKFLOW_DAEMON_H

#include "config.h"

/*
 * Builds a fresh configuration the way start-up did (file, then options);
 * 0, or -errno after logging why.
 */
typedef int (*daemon_reload_fn)(void *ctx, struct config *cfg);

/*
 * Run until SIGTERM/SIGINT. SIGHUP calls @reload and applies what it
 * returns. Returns 0 on a clean stop, a negative errno if start-up failed
 * (the reason has been logged).
 */
int daemon_run(struct config *cfg, daemon_reload_fn reload, void *reload_ctx);

/*
 * Try every kernel mechanism and print the table of what this kernel
 * accepts (sockflow --probe). 0, or -errno when a required one is missing.
 */
int daemon_probe(const struct config *cfg);

#endif
