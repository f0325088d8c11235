/* SPDX-License-Identifier: GPL-2.0-only */
/* An IPFIX file: opened safely for appending, written in whole messages, reopened on demand. */
#ifndef SOCKFLOW_EXPORT_FILE_OUTPUT_H
#define SOCKFLOW_EXPORT_FILE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Permissions of a file sockflow creates (less the umask): not readable by others. */
#define FILE_OUTPUT_MODE 0640

struct file_output;

/*
 * The output to @path, opened at once (see file_output__reopen()).
 * Returns 0 or -errno with a message naming @path in @msg.
 */
int file_output__new(struct file_output **out, const char *path, char *msg, size_t msg_len);

/*
 * Close the file if open and open @path again for appending, created with
 * FILE_OUTPUT_MODE if missing; never truncated. A symbolic link at @path
 * or anything but a regular file is refused. Returns 0 or -errno with a
 * message in @msg.
 */
int file_output__reopen(struct file_output *f, char *msg, size_t msg_len);

/* Whether the file is open: false after a failed write or reopen. */
bool file_output__is_open(const struct file_output *f);

/*
 * Append one whole message. On a failed or short write (ENOSPC, EIO) the
 * file is cut back to its length before it, so that it holds whole
 * messages only, and closed; the caller reopens it. Returns 0 or -errno.
 */
int file_output__write(struct file_output *f, const uint8_t *msg, size_t len);

/* Accepts NULL. */
void file_output__free(struct file_output *f);

#endif
