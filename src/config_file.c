// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading a config file: the text checked as GKeyFile syntax, then walked
 * line by line (GKeyFile keeps no line numbers) so that every error names
 * FILE:LINE; each key goes through the key table (config.c).
 */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "config.h"
#include "config_keys.h"
#include "text_file.h"

#define CONFIG_MAX_FILE_BYTES (1024 * 1024)

/* Added to a bad value that holds '#': GKeyFile has no comments after a value. */
#define HINT_COMMENT "; comments go on a line of their own"

/* Line @lineno (from 1) of @data, without leading blanks, a trailing '\r' or the '\n'. */
static const char *line_at(const char *data, size_t len, unsigned int lineno, size_t *line_len)
{
	const char *p = data, *end = data + len, *eol;
	unsigned int n;

	for (n = 1; n < lineno && p < end; n++) {
		eol = memchr(p, '\n', (size_t)(end - p));
		p = eol ? eol + 1 : end;
	}
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	while (p < eol && g_ascii_isspace(*p))
		p++;
	if (eol > p && eol[-1] == '\r')
		eol--;
	*line_len = (size_t)(eol - p);
	return p;
}

/* Offset just past line @lineno's '\n' (or the end of the text). */
static size_t line_end(const char *data, size_t len, unsigned int lineno)
{
	const char *p = data, *end = data + len, *eol;
	unsigned int n;

	for (n = 0; n < lineno && p < end; n++) {
		eol = memchr(p, '\n', (size_t)(end - p));
		p = eol ? eol + 1 : end;
	}
	return (size_t)(p - data);
}

static bool keyfile_accepts(const char *data, size_t len, GError **gerr)
{
	GKeyFile *kf = g_key_file_new();
	gboolean ok = g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, gerr);

	g_key_file_free(kf);
	return ok;
}

/*
 * GKeyFile refused @data but does not say where. It parses line by line and
 * stops at the first bad one, so a prefix of the text fails exactly when it
 * holds that line: find the shortest failing prefix, then say what is wrong
 * with its last line.
 */
static int syntax_error(const char *path, const char *data, size_t len, char *err, size_t err_len)
{
	unsigned int lo = 1, hi = 1, mid;
	GError *gerr = NULL;
	const char *line;
	size_t line_len, i;
	int rc;

	for (i = 0; i < len; i++)
		hi += data[i] == '\n';
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (keyfile_accepts(data, line_end(data, len, mid), NULL))
			lo = mid + 1;
		else
			hi = mid;
	}
	keyfile_accepts(data, line_end(data, len, lo), &gerr);
	line = line_at(data, len, lo, &line_len);
	if (line_len > 60)
		line_len = 60;

	if (gerr && g_error_matches(gerr, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
		rc = config__error(err, err_len, -EINVAL, "%s:%u: \"%.*s\" comes before any group; "
			     "expected a [group] line first", path, lo, (int)line_len, line);
	else if (line_len && *line == '[')
		rc = config__error(err, err_len, -EINVAL, "%s:%u: \"%.*s\" is not a group header; "
			     "expected [NAME] alone on the line", path, lo, (int)line_len, line);
	else if (!memchr(line, '=', line_len))
		rc = config__error(err, err_len, -EINVAL, "%s:%u: \"%.*s\" is not a setting; "
			     "expected key = value, [group] or # comment", path, lo, (int)line_len,
			     line);
	else if (*line == '=')
		rc = config__error(err, err_len, -EINVAL,
			     "%s:%u: \"%.*s\" has no key; expected key = value", path, lo,
			     (int)line_len, line);
	else
		rc = config__error(err, err_len, -EINVAL, "%s:%u: \"%.*s\": %s; expected key = value",
			     path, lo, (int)line_len, line, gerr ? gerr->message : "syntax error");
	g_clear_error(&gerr);
	return rc;
}

/*
 * Walk @data (already accepted by GKeyFile @kf) line by line, which gives the
 * line numbers GKeyFile does not keep, and apply each key to @cfg. Unknown
 * groups and keys, and keys given twice, are errors.
 */
static int apply_lines(struct config *cfg, GKeyFile *kf, const char *path, const char *data,
		       size_t len, char *err, size_t err_len)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const char *p = data, *end = data + len, *eol, *line, *key_end, *bracket;
	char *group = NULL, *key = NULL, *value = NULL, *names, *id;
	char msg[512], expected[256];
	unsigned int lineno = 0;
	GError *gerr = NULL;
	gpointer first;
	size_t line_len;
	int rc = 0;

	for (; p < end; p = eol < end ? eol + 1 : end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		line = line_at(p, (size_t)(eol - p), 1, &line_len);
		lineno++;
		if (line_len == 0 || *line == '#')
			continue;

		if (*line == '[') {
			bracket = memchr(line, ']', line_len);
			g_free(group);
			group = g_strndup(line + 1, (size_t)(bracket - line - 1));
			if (!config_keys__has_group(group)) {
				names = config_keys__groups();
				rc = config__error(err, err_len, -EINVAL,
					     "%s:%u: unknown group [%s]; expected %s", path, lineno,
					     group, names);
				g_free(names);
				goto out;
			}
			continue;
		}

		key_end = memchr(line, '=', line_len);
		while (key_end > line && g_ascii_isspace(key_end[-1]))
			key_end--;
		key = g_strndup(line, (size_t)(key_end - line));
		if (!config_keys__has(group, key)) {
			names = config_keys__names(group);
			rc = config__error(err, err_len, -EINVAL,
				     "%s:%u: unknown key \"%s\" in [%s]; expected %s", path, lineno,
				     key, group, names);
			g_free(names);
			goto out;
		}
		id = g_strdup_printf("%s\n%s", group, key);
		first = g_hash_table_lookup(seen, id);
		if (first) {
			g_free(id);
			rc = config__error(err, err_len, -EINVAL,
				     "%s:%u: %s is set twice (first on line %u); expected it once",
				     path, lineno, key, GPOINTER_TO_UINT(first));
			goto out;
		}
		g_hash_table_insert(seen, id, GUINT_TO_POINTER(lineno));

		value = g_key_file_get_string(kf, group, key, &gerr);
		if (gerr) {
			config_keys__expected(group, key, expected, sizeof(expected));
			rc = config__error(err, err_len, -EINVAL,
				     "%s:%u: %s: bad escape or encoding in the value; %s", path,
				     lineno, key, expected);
			goto out;
		}
		g_strchomp(value);
		rc = config__set(cfg, group, key, value, msg, sizeof(msg));
		if (rc) {
			rc = config__error(err, err_len, -EINVAL, "%s:%u: %s: %s%s", path, lineno, key,
				     msg, strchr(value, '#') ? HINT_COMMENT : "");
			goto out;
		}
		g_clear_pointer(&key, g_free);
		g_clear_pointer(&value, g_free);
	}
out:
	g_clear_error(&gerr);
	g_free(value);
	g_free(key);
	g_free(group);
	g_hash_table_destroy(seen);
	return rc;
}

int config__load(struct config *cfg, const char *path, char *err, size_t err_len)
{
	struct config *tmp = NULL;
	GKeyFile *kf = NULL;
	char *data = NULL;
	const char *nul, *p;
	unsigned int lineno;
	size_t len = 0;
	int rc;

	rc = text_file__read(path, CONFIG_MAX_FILE_BYTES, &data, &len);
	if (rc == -ENOENT)
		return config__error(err, err_len, -ENOENT, "%s: no such file", path);
	if (rc == -EFBIG)
		return config__error(err, err_len, -EINVAL, "%s: larger than %d KiB; expected a sockflow "
			       "config file", path, CONFIG_MAX_FILE_BYTES / 1024);
	if (rc == -EFTYPE || rc == -EISDIR)
		return config__error(err, err_len, -EINVAL, "%s: not a regular file; expected a "
				     "sockflow config file", path);
	if (rc)
		return config__error(err, err_len, -EINVAL, "%s: cannot read: %s; check the path and its "
			       "permissions", path, g_strerror(-rc));
	nul = memchr(data, '\0', len);
	if (nul) {
		for (lineno = 1, p = data; p < nul; p++)
			lineno += *p == '\n';
		rc = config__error(err, err_len, -EINVAL, "%s:%u: NUL byte; expected a text file", path,
			     lineno);
		goto out;
	}

	kf = g_key_file_new();
	if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, NULL)) {
		rc = syntax_error(path, data, len, err, err_len);
		goto out;
	}

	/* Apply to a copy so that a bad file leaves @cfg as it was. */
	tmp = g_new(struct config, 1);
	memcpy(tmp, cfg, sizeof(*tmp));
	rc = apply_lines(tmp, kf, path, data, len, err, err_len);
	if (rc)
		goto out;
	g_strlcpy(tmp->path, path, sizeof(tmp->path));
	memcpy(cfg, tmp, sizeof(*cfg));
out:
	g_free(tmp);
	if (kf)
		g_key_file_free(kf);
	g_free(data);
	return rc;
}
