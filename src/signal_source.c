// SPDX-License-Identifier: GPL-2.0-only
/* SIGTERM, SIGINT and SIGHUP as a GLib source, read from a signalfd. */
#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <glib-unix.h>

#include "signal_source.h"

struct signal_source {
	int fd;
	GSourceFunc on_stop, on_reload;
	gpointer data;
};

static gboolean on_signal(gint fd, GIOCondition cond, gpointer data)
{
	struct signal_source *s = data;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			s->on_reload(s->data);
		else
			s->on_stop(s->data);
	}
	return G_SOURCE_CONTINUE;
}

static void signal_source__free(gpointer data)
{
	struct signal_source *s = data;

	close(s->fd);
	g_free(s);
}

guint signal_source__add(GSourceFunc on_stop, GSourceFunc on_reload, gpointer data)
{
	struct signal_source *s;
	sigset_t set;
	int err;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	err = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (err) {
		errno = err;
		return 0;
	}
	s = g_new0(struct signal_source, 1);
	s->fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->fd < 0) {
		err = errno;
		g_free(s);
		errno = err;
		return 0;
	}
	s->on_stop = on_stop;
	s->on_reload = on_reload;
	s->data = data;
	return g_unix_fd_add_full(G_PRIORITY_DEFAULT, s->fd, G_IO_IN, on_signal, s,
				  signal_source__free);
}
