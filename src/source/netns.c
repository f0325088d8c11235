// SPDX-License-Identifier: GPL-2.0-only
/* Network namespaces: find every one on the host, step into one and back. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "source/netns.h"

/* What one scan fills, and the inodes already in it. */
struct netns_scan {
	GArray *out;			/* struct netns_ref */
	GHashTable *seen;		/* GUINT_TO_POINTER(ino) of every entry in out */
	dev_t nsfs_dev;
};

static void netns_ref__clear(void *data)
{
	struct netns_ref *r = data;

	g_free(r->path);
	r->path = NULL;
}

GArray *netns__refs_new(void)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(struct netns_ref));

	g_array_set_clear_func(a, netns_ref__clear);
	return a;
}

int netns__self_open(struct netns_self *self)
{
	struct stat st;
	int err;

	self->fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self->fd < 0)
		return -errno;
	if (fstat(self->fd, &st)) {
		err = -errno;
		close(self->fd);
		self->fd = -1;
		return err;
	}
	self->ino = (uint32_t)st.st_ino;
	self->nsfs_dev = st.st_dev;
	return 0;
}

void netns__self_close(struct netns_self *self)
{
	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
}

/*
 * Remember a namespace unless its inode is already known. Takes @path
 * (NULL is allowed for the own namespace). Only the first path found for
 * an inode is kept: the one opened later.
 */
static void netns__add(struct netns_scan *s, uint32_t ino, char *path)
{
	struct netns_ref r = { .ino = ino, .path = path };

	if (g_hash_table_contains(s->seen, GUINT_TO_POINTER(ino))) {
		g_free(path);
		return;
	}
	g_hash_table_add(s->seen, GUINT_TO_POINTER(ino));
	g_array_append_val(s->out, r);
}

/*
 * A network namespace file named @name under @dir: its inode, or 0 when it
 * is gone or is not on nsfs (@nsfs_dev), like a file in /run/netns that
 * `ip netns delete` has unmounted but not yet removed.
 */
static uint32_t netns__stat(int dir_fd, const char *name, dev_t nsfs_dev)
{
	struct stat st;

	if (fstatat(dir_fd, name, &st, 0) || st.st_dev != nsfs_dev)
		return 0;
	return (uint32_t)st.st_ino;
}

/* The bind mounts `ip netns add` makes: first, as they outlive any one process. */
static int netns__scan_dir(struct netns_scan *s, const char *netns_dir)
{
	struct dirent *de;
	uint32_t ino;
	DIR *d;

	d = opendir(netns_dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		ino = netns__stat(dirfd(d), de->d_name, s->nsfs_dev);
		if (ino)
			netns__add(s, ino, g_strdup_printf("%s/%s", netns_dir, de->d_name));
	}
	closedir(d);
	return 0;
}

/*
 * Every process's namespace, by a stat of PID/ns/net: no open per pid, and
 * a path is built only for an inode not seen yet. Threads that unshared on
 * their own (not under /proc/PID) are not found.
 */
static int netns__scan_proc(struct netns_scan *s, const char *proc_root)
{
	char rel[NAME_MAX + sizeof("/ns/net")];
	struct dirent *de;
	uint32_t ino;
	DIR *d;

	d = opendir(proc_root);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(rel, sizeof(rel), "%s/ns/net", de->d_name);
		ino = netns__stat(dirfd(d), rel, s->nsfs_dev);
		if (ino && !g_hash_table_contains(s->seen, GUINT_TO_POINTER(ino)))
			netns__add(s, ino, g_strdup_printf("%s/%s", proc_root, rel));
	}
	closedir(d);
	return 0;
}

int netns__scan(const struct netns_self *self, const char *proc_root, const char *netns_dir,
		GArray *out)
{
	struct netns_scan s = { .out = out, .nsfs_dev = self->nsfs_dev };
	int err;

	g_array_set_size(out, 0);
	s.seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	netns__add(&s, self->ino, NULL);
	err = netns__scan_dir(&s, netns_dir);
	if (!err)
		err = netns__scan_proc(&s, proc_root);
	g_hash_table_destroy(s.seen);
	return err;
}

int netns__enter(const struct netns_self *self, const struct netns_ref *ns)
{
	struct stat st;
	int fd, err = 0;

	if (!ns->path)
		return 0;
	fd = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	/* The pid was reused, or the name unmounted or re-added, since the scan. */
	else if (st.st_dev != self->nsfs_dev || (uint32_t)st.st_ino != ns->ino)
		err = -ESTALE;
	else if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
	return err;
}

int netns__return(const struct netns_self *self, const struct netns_ref *ns)
{
	if (!ns->path)
		return 0;
	return setns(self->fd, CLONE_NEWNET) ? -ENOTRECOVERABLE : 0;
}
