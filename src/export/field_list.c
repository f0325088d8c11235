// SPDX-License-Identifier: GPL-2.0-only
/* Field lists (templates/NAME.tmpl): which IPFIX elements an exporter sends, one per line. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "export/field_list.h"
#include "text_file.h"

/*
 * Where named lists live: $(pkgdatadir)/templates (set by Makefile.am), or
 * the directory SOCKFLOW_TEMPLATES_DIR names (a sockflow run from its
 * build tree: the tests and scripts/run.sh point it at the source tree's).
 * No source-tree path is compiled into the binary.
 */
#ifndef TEMPLATES_DIR
#define TEMPLATES_DIR "/usr/share/sockflow/templates"
#endif
#define TEMPLATES_DIR_ENV "SOCKFLOW_TEMPLATES_DIR"

/* A field list is a few hundred bytes; anything this big is not one. */
#define FIELD_LIST_MAX_BYTES (64 * 1024)

/* The directory named lists are read from. */
static const char *templates_dir(void)
{
	const char *dir = getenv(TEMPLATES_DIR_ENV);

	return dir && *dir ? dir : TEMPLATES_DIR;
}

void field_list__free(struct field_list *fl)
{
	size_t i;

	if (!fl)
		return;
	for (i = 0; i < fl->n; i++)
		g_free(fl->entries[i].name);
	g_free(fl->entries);
	g_free(fl->path);
	g_free(fl);
}

/* IPFIX element names in libfixbuf's model and ntop's: letters, digits and '_'. */
static int is_element_name(const char *s, size_t len)
{
	size_t i;

	if (!len || g_ascii_isdigit(s[0]))
		return 0;
	for (i = 0; i < len; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '_')
			return 0;
	return 1;
}

int field_list__parse(struct field_list **out, const char *path, const char *text, char *msg,
		      size_t msg_len)
{
	struct field_list *fl = g_new0(struct field_list, 1);
	const char *p = text, *eol, *end, *word_end;
	unsigned int lineno = 0;
	size_t i, cap = 0, len;
	int err = 0;

	*out = NULL;
	fl->path = g_strdup(path);
	for (; *p; p = *eol ? eol + 1 : eol) {
		eol = p + strcspn(p, "\n");
		lineno++;
		end = memchr(p, '#', eol - p);
		if (!end)
			end = eol;
		while (p < end && g_ascii_isspace(*p))
			p++;
		while (end > p && g_ascii_isspace(end[-1]))
			end--;
		if (p == end)
			continue;
		for (word_end = p; word_end < end && !g_ascii_isspace(*word_end); word_end++)
			;
		len = word_end - p;
		if (word_end != end || !is_element_name(p, len)) {
			snprintf(msg, msg_len, "%s:%u: \"%.*s\" is not an element name; expected "
				 "one IPFIX element name per line", path, lineno,
				 (int)MIN(end - p, 64), p);
			err = -EINVAL;
			goto err_free;
		}
		for (i = 0; i < fl->n; i++) {
			if (!strncmp(fl->entries[i].name, p, len) && !fl->entries[i].name[len]) {
				snprintf(msg, msg_len, "%s:%u: %.*s is listed twice (first on line "
					 "%u); expected each element once", path, lineno, (int)len,
					 p, fl->entries[i].line);
				err = -EINVAL;
				goto err_free;
			}
		}
		if (fl->n == cap) {
			cap = cap ? cap * 2 : 64;
			fl->entries = g_renew(struct field_list_entry, fl->entries, cap);
		}
		fl->entries[fl->n].name = g_strndup(p, len);
		fl->entries[fl->n].line = lineno;
		fl->n++;
	}
	if (!fl->n) {
		snprintf(msg, msg_len, "%s: no elements; expected one IPFIX element name per line",
			 path);
		err = -EINVAL;
		goto err_free;
	}
	*out = fl;
	return 0;

err_free:
	field_list__free(fl);
	return err;
}

/* A name such as "ntop": letters, digits, '.', '_' and '-', no '/', not starting with '.'. */
static int is_list_name(const char *s)
{
	if (!*s || *s == '.')
		return 0;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '_' && *s != '-' && *s != '.')
			return 0;
	return 1;
}

int field_list__load(struct field_list **out, const char *spec, char *msg, size_t msg_len)
{
	char *path = NULL, *text = NULL;
	size_t len = 0;
	int err;

	*out = NULL;
	if (!spec || !*spec)
		spec = "default";
	if (strchr(spec, '/')) {
		path = g_strdup(spec);
	} else if (!is_list_name(spec)) {
		snprintf(msg, msg_len, "template \"%.64s\" is not a name; expected default, full, "
			 "ntop, pmacct, minimal or a file path holding a '/'", spec);
		return -EINVAL;
	} else {
		path = g_strdup_printf("%s/%s.tmpl", templates_dir(), spec);
		if (access(path, F_OK)) {
			snprintf(msg, msg_len, "template \"%s\": no %s.tmpl in %s; expected default, "
				 "full, ntop, pmacct, minimal or a file path holding a '/'", spec, spec,
				 templates_dir());
			g_free(path);
			return -ENOENT;
		}
	}

	err = text_file__read(path, FIELD_LIST_MAX_BYTES, &text, &len);
	if (!err && memchr(text, '\0', len))
		err = -EINVAL;
	if (err) {
		snprintf(msg, msg_len, "template %s: %s; expected a field list file", path,
			 err == -EFBIG ? "too big" : err == -EINVAL ? "not a text file" :
			 text_file__strerror(err));
		goto out;
	}
	err = field_list__parse(out, path, text, msg, msg_len);
out:
	g_free(text);
	g_free(path);
	return err;
}
