/* SPDX-License-Identifier: GPL-2.0-only */
/* Field lists (templates/NAME.tmpl): which IPFIX elements an exporter sends, one per line. */
#ifndef SOCKFLOW_EXPORT_FIELD_LIST_H
#define SOCKFLOW_EXPORT_FIELD_LIST_H

#include <stddef.h>

/* A name of the list and the line it was read from, for messages. */
struct field_list_entry {
	char *name;
	unsigned int line;
};

/*
 * The element names of one field list file, in file order, each once.
 * The file format: one IPFIX element name per line; '#' starts a
 * comment, to the end of the line; blank lines are ignored.
 */
struct field_list {
	char *path;			/* the file read, for messages */
	struct field_list_entry *entries;
	size_t n;
};

/*
 * Read the field list @spec: a path when it holds a '/', else a name
 * looked up as NAME.tmpl in $(pkgdatadir)/templates, then in the source
 * tree's templates/ (for a sockflow run from its build directory).
 * Returns 0, or -ENOENT / -EINVAL / -errno with "what is wrong; what is
 * expected" in @msg ("FILE:LINE: ..." for a bad line).
 */
int field_list__load(struct field_list **out, const char *spec, char *msg, size_t msg_len);

/* Parse @text as read from @path; as field_list__load(). */
int field_list__parse(struct field_list **out, const char *path, const char *text, char *msg,
		      size_t msg_len);

/* Accepts NULL. */
void field_list__free(struct field_list *fl);

#endif
