// SPDX-License-Identifier: GPL-2.0-only
/* One capped, non-blocking reader for the text files sockflow is given. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <glib.h>

#include "text_file.h"

/* /dev/null is character device 1:3 (Documentation/admin-guide/devices.txt). */
static int is_dev_null(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 3;
}

int text_file__read(const char *path, size_t max, char **text, size_t *len)
{
	size_t used = 0, cap;
	struct stat st;
	char *buf;
	ssize_t n;
	int fd, err;

	*text = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO without a writer would wait for one forever. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto err_close;
	}
	if (is_dev_null(&st)) {
		close(fd);
		*text = g_strdup("");
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EFTYPE;
		goto err_close;
	}
	if (st.st_size > 0 && (size_t)st.st_size > max) {
		err = -EFBIG;
		goto err_close;
	}
	/* The size is a hint: the file may grow or shrink while it is read. */
	cap = (size_t)st.st_size + 1;
	buf = g_malloc(cap + 1);
	for (;;) {
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto err_free;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			err = -EFBIG;
			goto err_free;
		}
		if (used == cap) {
			cap = MIN(cap * 2, max + 1);
			buf = g_realloc(buf, cap + 1);
		}
	}
	buf[used] = '\0';
	close(fd);
	*text = buf;
	*len = used;
	return 0;

err_free:
	g_free(buf);
err_close:
	close(fd);
	return err;
}

const char *text_file__strerror(int err)
{
	if (err == -EFTYPE)
		return "not a regular file";
	return g_strerror(-err);
}
