// SPDX-License-Identifier: GPL-2.0-only
/* An IPFIX file: opened safely for appending, written in whole messages, reopened on demand. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "export/file_output.h"

struct file_output {
	char *path;
	int fd;		/* -1: closed, to be reopened */
};

int file_output__new(struct file_output **out, const char *path, char *msg, size_t msg_len)
{
	struct file_output *f;
	int err;

	*out = NULL;
	f = calloc(1, sizeof(*f));
	if (f)
		f->path = strdup(path);
	if (!f || !f->path) {
		free(f);
		snprintf(msg, msg_len, "file %s: out of memory", path);
		return -ENOMEM;
	}
	f->fd = -1;
	err = file_output__reopen(f, msg, msg_len);
	if (err) {
		file_output__free(f);
		return err;
	}
	*out = f;
	return 0;
}

static void close_fd(struct file_output *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

int file_output__reopen(struct file_output *f, char *msg, size_t msg_len)
{
	struct stat st;
	int fd, err;

	close_fd(f);
	/*
	 * O_NOFOLLOW: a link planted at the path in a shared directory is
	 * refused, not written through. O_NONBLOCK: a FIFO without a reader
	 * fails at once (ENXIO) instead of blocking the daemon; it is no
	 * regular file anyway, and regular files ignore the flag.
	 */
	fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
		  FILE_OUTPUT_MODE);
	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP)
			snprintf(msg, msg_len, "open %s: a symbolic link, not followed; remove it "
				 "or name the file it points to", f->path);
		else if (err == -ENXIO)
			snprintf(msg, msg_len, "open %s: not a regular file", f->path);
		else
			snprintf(msg, msg_len, "open %s: %s", f->path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st) < 0) {
		err = -errno;
		close(fd);
		snprintf(msg, msg_len, "stat %s: %s", f->path, strerror(-err));
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(msg, msg_len, "open %s: not a regular file", f->path);
		return -EINVAL;
	}
	f->fd = fd;
	return 0;
}

bool file_output__is_open(const struct file_output *f)
{
	return f->fd >= 0;
}

int file_output__write(struct file_output *f, const uint8_t *msg, size_t len)
{
	size_t done = 0;
	off_t start;
	ssize_t n;
	int err;

	if (f->fd < 0)
		return -EBADF;
	/* Where this message begins: O_APPEND writes at the end, wherever that is now. */
	start = lseek(f->fd, 0, SEEK_END);
	if (start < 0) {
		err = -errno;
		close_fd(f);
		return err;
	}
	while (done < len) {
		n = write(f->fd, msg + done, len - done);
		if (n > 0) {
			done += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		err = n < 0 ? -errno : -EIO;
		/*
		 * A part of a message would make the rest of the file unreadable:
		 * cut it off (ftruncate frees blocks, so it works on a full disk).
		 */
		if (done && ftruncate(f->fd, start) < 0)
			err = -EIO;
		close_fd(f);
		return err;
	}
	return 0;
}

void file_output__free(struct file_output *f)
{
	if (!f)
		return;
	close_fd(f);
	free(f->path);
	free(f);
}
