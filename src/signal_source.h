/* SPDX-License-Identifier: GPL-2.0-only */
/* SIGTERM, SIGINT and SIGHUP as a GLib source, read from a signalfd. */
#ifndef SOCKFLOW_SIGNAL_SOURCE_H
#define SOCKFLOW_SIGNAL_SOURCE_H

#include <glib.h>

/*
 * Block SIGTERM, SIGINT and SIGHUP and watch them through a signalfd on the
 * default main context: @on_stop(@data) for SIGTERM and SIGINT, @on_reload(@data)
 * for SIGHUP, once the loop runs. Unlike g_unix_signal_add() this starts no
 * GLib worker thread, so capabilities dropped later in the main thread are
 * the whole process's (capset() changes the calling thread only). Call it
 * before any thread exists. The signals stay blocked after the source is
 * removed: one that arrives late is ignored, not fatal. Returns the source
 * id, or 0 with errno set.
 */
guint signal_source__add(GSourceFunc on_stop, GSourceFunc on_reload, gpointer data);

#endif
