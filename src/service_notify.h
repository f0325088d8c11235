/* SPDX-License-Identifier: GPL-2.0-only */
/* systemd's service notification protocol (sd_notify), spoken without libsystemd. */
#ifndef SOCKFLOW_SERVICE_NOTIFY_H
#define SOCKFLOW_SERVICE_NOTIFY_H

/*
 * Send @state ("READY=1", newline-separated assignments) to the socket
 * named by $NOTIFY_SOCKET: a path, or an abstract name starting with '@'.
 * 0 when sent or when NOTIFY_SOCKET is unset (not run by systemd), else
 * -errno.
 */
int service_notify__send(const char *state);

/* READY=1: started, or done reloading. */
int service_notify__ready(void);

/* RELOADING=1 with the CLOCK_MONOTONIC time systemd asks for (MONOTONIC_USEC). */
int service_notify__reloading(void);

/* STOPPING=1. */
int service_notify__stopping(void);

#endif
