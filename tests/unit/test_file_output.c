// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: IPFIX file outputs opened safely, appended to, cut back to whole messages. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "export/file_output.h"

static char *dir;

static char *path_of(const char *name)
{
	return g_build_filename(dir, name, NULL);
}

static off_t size_of(const char *path)
{
	struct stat st;

	g_assert_cmpint(stat(path, &st), ==, 0);
	return st.st_size;
}

/* New files are 0640 (umask 022); existing ones are appended to, never truncated. */
static void test_mode_and_append(void)
{
	char *path = path_of("append.ipfix"), *moved = path_of("moved.ipfix"), msg[256];
	struct file_output *f;
	struct stat st;

	umask(022);
	g_assert_cmpint(file_output__new(&f, path, msg, sizeof(msg)), ==, 0);
	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0640);
	g_assert_cmpint(file_output__write(f, (const uint8_t *)"abcd", 4), ==, 0);
	file_output__free(f);

	g_assert_cmpint(file_output__new(&f, path, msg, sizeof(msg)), ==, 0);
	g_assert_cmpint(file_output__write(f, (const uint8_t *)"efg", 3), ==, 0);
	g_assert_cmpint(size_of(path), ==, 7);
	/* Moved away (logrotate): a reopen makes a new file; the old one keeps its bytes. */
	g_assert_cmpint(rename(path, moved), ==, 0);
	g_assert_cmpint(file_output__reopen(f, msg, sizeof(msg)), ==, 0);
	g_assert_cmpint(file_output__write(f, (const uint8_t *)"hi", 2), ==, 0);
	g_assert_cmpint(size_of(moved), ==, 7);
	g_assert_cmpint(size_of(path), ==, 2);
	file_output__free(f);
	g_free(path);
	g_free(moved);
}

/* A link planted at the path and a FIFO are refused, naming the path; the target is untouched. */
static void test_refused(void)
{
	char *path = path_of("link.ipfix"), *target = path_of("target"), *fifo = path_of("fifo");
	struct file_output *f = (struct file_output *)1;
	char msg[512];

	g_assert_true(g_file_set_contents(target, "keep", -1, NULL));
	g_assert_cmpint(symlink(target, path), ==, 0);
	g_assert_cmpint(file_output__new(&f, path, msg, sizeof(msg)), ==, -ELOOP);
	g_assert_null(f);
	g_assert_nonnull(strstr(msg, path));
	g_assert_nonnull(strstr(msg, "symbolic link"));
	g_assert_cmpint(size_of(target), ==, 4);

	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	g_assert_cmpint(file_output__new(&f, fifo, msg, sizeof(msg)), <, 0);
	g_assert_nonnull(strstr(msg, "not a regular file"));
	g_assert_cmpint(file_output__new(&f, dir, msg, sizeof(msg)), <, 0);
	g_free(path);
	g_free(target);
	g_free(fifo);
}

/*
 * A write that does not fit (here RLIMIT_FSIZE: a short write, then
 * EFBIG, as ENOSPC goes) leaves the file as it was before the message,
 * closed; a reopen appends again.
 */
static void test_cut_back(void)
{
	char *path = path_of("full.ipfix"), msg[256];
	struct rlimit old, lim = { .rlim_cur = 100, .rlim_max = RLIM_INFINITY };
	uint8_t buf[60];
	struct file_output *f;
	int err;

	memset(buf, 0x5a, sizeof(buf));
	signal(SIGXFSZ, SIG_IGN);
	g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
	lim.rlim_max = old.rlim_max;
	g_assert_cmpint(file_output__new(&f, path, msg, sizeof(msg)), ==, 0);
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &lim), ==, 0);
	g_assert_cmpint(file_output__write(f, buf, sizeof(buf)), ==, 0);
	err = file_output__write(f, buf, sizeof(buf));	/* 40 bytes fit, then EFBIG */
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
	g_assert_cmpint(err, ==, -EFBIG);
	g_assert_false(file_output__is_open(f));
	g_assert_cmpint(size_of(path), ==, 60);
	g_assert_cmpint(file_output__write(f, buf, 1), ==, -EBADF);
	g_assert_cmpint(file_output__reopen(f, msg, sizeof(msg)), ==, 0);
	g_assert_cmpint(file_output__write(f, buf, sizeof(buf)), ==, 0);
	g_assert_cmpint(size_of(path), ==, 120);
	file_output__free(f);
	file_output__free(NULL);
	g_free(path);
}

/* The scratch directory and the files the tests made in it. */
static void remove_dir(const char *path)
{
	const char *name;
	GDir *d;

	d = g_dir_open(path, 0, NULL);
	while (d && (name = g_dir_read_name(d))) {
		char *p = g_build_filename(path, name, NULL);

		g_remove(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(path);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	dir = g_dir_make_tmp("test_file_output.XXXXXX", NULL);
	g_assert_nonnull(dir);
	g_test_add_func("/file-output/mode-and-append", test_mode_and_append);
	g_test_add_func("/file-output/refused", test_refused);
	g_test_add_func("/file-output/cut-back", test_cut_back);
	rc = g_test_run();
	remove_dir(dir);
	g_free(dir);
	return rc;
}
