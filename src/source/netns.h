/* SPDX-License-Identifier: GPL-2.0-only */
/* Network namespaces: find every one on the host, step into one and back. */
#ifndef SOCKFLOW_SOURCE_NETNS_H
#define SOCKFLOW_SOURCE_NETNS_H

#include <stdint.h>
#include <sys/types.h>

#include <glib.h>

/* A namespace found by a scan: its inode and one path that named it then. */
struct netns_ref {
	uint32_t ino;
	char *path;			/* NULL: the calling thread's own namespace */
};

/*
 * The calling thread's own namespace, open, to come back to after
 * netns__enter. setns() moves only the calling thread, so this is opened
 * through /proc/thread-self.
 */
struct netns_self {
	int fd;
	uint32_t ino;
	dev_t nsfs_dev;			/* every namespace file is on this device */
};

/* Open the own namespace; 0 or -errno. */
int netns__self_open(struct netns_self *self);
/* Accepts a struct that netns__self_open failed on (fd -1). */
void netns__self_close(struct netns_self *self);

/* An empty GArray of struct netns_ref that frees each path when cleared or freed. */
GArray *netns__refs_new(void);

/*
 * Replace the contents of @out with every network namespace, each inode
 * once: the own one first (path NULL), then the bind mounts in @netns_dir
 * (`ip netns add`; the directory may be missing), then those of the
 * processes under @proc_root. Returns 0 or -errno when @proc_root cannot
 * be read. The paths hold nothing open: a namespace may vanish before it
 * is entered.
 */
int netns__scan(const struct netns_self *self, const char *proc_root, const char *netns_dir,
		GArray *out);

/*
 * Move the calling thread into @ns (nothing to do for the own namespace).
 * Returns 0, -ENOENT or -ESTALE when the namespace is gone (the path is
 * gone, or names another namespace now), or another -errno; on error the
 * thread has not moved.
 */
int netns__enter(const struct netns_self *self, const struct netns_ref *ns);

/*
 * Back to the own namespace after netns__enter(@ns) succeeded. Returns 0
 * or -ENOTRECOVERABLE: the thread is stuck in @ns, and the caller must
 * not go on as if it were home.
 */
int netns__return(const struct netns_self *self, const struct netns_ref *ns);

#endif
