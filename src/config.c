// SPDX-License-Identifier: GPL-2.0-only
/* Configuration: built-in defaults, the GKeyFile config file and checked values for every key. */
#include <arpa/inet.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "config.h"
#include "source/mechanism.h"
#include "flow/record.h"
#include "config_keys.h"
#include "text.h"

enum key_type {
	KEY_U32,		/* uint32_t at offset, min..max */
	KEY_POW2,		/* the same, and a power of two */
	KEY_COLLECTORS,		/* list of collector URIs */
	KEY_PRINT,		/* text|json|none|auto */
	KEY_LOG_LEVEL,		/* error|warn|info|debug */
	KEY_PEN,		/* uint32_t at offset: a PEN for sockflow's own elements */
	KEY_TEMPLATE,		/* a field list name or path */
	KEY_FILTER,		/* [filter] list of @kind patterns, include or @exclude */
	KEY_MECHANISMS,		/* [kernel] list of mechanism names (source/mechanism.h) */
	KEY_LISTEN,		/* ADDRESS:PORT to listen on, or empty */
};

/*
 * One key of the config file: where it lives, how its text is checked, and its
 * default as text, which config__defaults() applies through the same checks.
 * Numbers are stored as uint32_t at @offset.
 */
struct key_spec {
	const char *group;
	const char *name;
	enum key_type type;
	uint32_t min;
	uint32_t max;
	const char *unit;	/* what the number counts, for messages: "seconds" */
	const char *hint;	/* appended to "expected ...", or NULL */
	size_t offset;
	const char *def;
	enum filter_kind kind;	/* KEY_FILTER only */
	bool exclude;
};

#define U32_KEY(g, n, t, lo, hi, u, h, field, d) \
	{ g, n, t, lo, hi, u, h, offsetof(struct config, field), d }
#define FILTER_KEY(n, k, excl) \
	{ "filter", n, KEY_FILTER, .def = "", .kind = k, .exclude = excl }

static const struct key_spec key_specs[] = {
	{ "export", "collectors", KEY_COLLECTORS, .def = "" },
	U32_KEY("export", "observation_domain_id", KEY_U32, 0, UINT32_MAX, NULL, NULL,
		observation_domain_id, "0"),
	U32_KEY("export", "template_refresh", KEY_U32, 1, 86400, "seconds", NULL,
		template_refresh_s, "60"),
	U32_KEY("export", "template_refresh_messages", KEY_U32, 0, 1000000, "messages",
		"0 = never", template_refresh_messages, "100"),
	U32_KEY("export", "template_gap", KEY_U32, 0, 86400, "seconds", "0 = never",
		template_gap_s, "5"),
	U32_KEY("export", "tcp_buffer_records", KEY_U32, 1, 10000000, "records", NULL,
		tcp_buffer_records, "20000"),
	U32_KEY("export", "exit_drain", KEY_U32, 0, 60, "seconds", "0 = don't wait", exit_drain_s,
		"5"),
	{ "export", "template", KEY_TEMPLATE, .def = "default" },
	U32_KEY("export", "enterprise_id", KEY_PEN, 1, UINT32_MAX, NULL, NULL, enterprise_id,
		"32473"),
	{ "export", "print", KEY_PRINT, .def = "auto" },
	U32_KEY("flow", "active_timeout", KEY_U32, 1, 86400, "seconds", NULL,
		active_timeout_s, "60"),
	U32_KEY("flow", "idle_timeout", KEY_U32, 1, 86400, "seconds", NULL,
		idle_timeout_s, "15"),
	U32_KEY("flow", "max_flows", KEY_U32, 1024, 16777216, "flows", NULL,
		max_flows, "262144"),
	U32_KEY("flow", "poll_interval", KEY_U32, 0, 86400, "seconds", "0 = never",
		poll_interval_s, "10"),
	FILTER_KEY("include_containers", FILTER_CONTAINERS, false),
	FILTER_KEY("exclude_containers", FILTER_CONTAINERS, true),
	FILTER_KEY("include_pod_namespaces", FILTER_POD_NAMESPACES, false),
	FILTER_KEY("exclude_pod_namespaces", FILTER_POD_NAMESPACES, true),
	FILTER_KEY("include_cgroups", FILTER_CGROUPS, false),
	FILTER_KEY("exclude_cgroups", FILTER_CGROUPS, true),
	FILTER_KEY("include_processes", FILTER_PROCESSES, false),
	FILTER_KEY("exclude_processes", FILTER_PROCESSES, true),
	FILTER_KEY("include_users", FILTER_USERS, false),
	FILTER_KEY("exclude_users", FILTER_USERS, true),
	U32_KEY("kernel", "max_sockets", KEY_U32, 1024, 16777216, "sockets", NULL,
		max_sockets, "262144"),
	U32_KEY("kernel", "max_udp_flows", KEY_U32, 1024, 16777216, "conversations", NULL,
		max_udp_flows, "65536"),
	U32_KEY("kernel", "conntrack_rcvbuf_kib", KEY_U32, 0, 1048576, "KiB",
		"0 = no NAT tuples from conntrack", conntrack_rcvbuf_kib, "8192"),
	{ "kernel", "disable_mechanisms", KEY_MECHANISMS, .def = "" },
	U32_KEY("kernel", "ringbuf_size_kib", KEY_POW2, 64, 1048576, "KiB", NULL,
		ringbuf_kib, "8192"),
	{ "log", "level", KEY_LOG_LEVEL, .def = "info" },
	U32_KEY("log", "stats_interval", KEY_U32, 0, 86400, "seconds", "0 = never",
		stats_interval_s, "60"),
	{ "metrics", "listen", KEY_LISTEN, .def = "" },
};

/* Values of [export] print; "auto" leaves the choice to config__resolve(). */
static const struct {
	const char *name;
	enum print_format format;
} print_names[] = {
	{ "auto", 0 },
	{ "text", PRINT_TEXT },
	{ "json", PRINT_JSON },
	{ "none", PRINT_NONE },
};

/*
 * PENs whose elements sockflow sends with the same ids as its own could
 * collide with: RFC 5103's reverse elements and ntop's.
 */
static const uint32_t taken_pens[] = { 29305, 35632 };

/* What a pattern of each [filter] kind looks like, for "expected ..." in messages. */
static const char *const filter_expected[FILTER_KINDS] = {
	[FILTER_CONTAINERS] = "expected a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63 "
			      "characters) or id (lower-case hex, at most 64 digits; 12 or more "
			      "also match as a prefix)",
	[FILTER_POD_NAMESPACES] = "expected a Kubernetes namespace: at most 63 lower-case "
				  "letters, digits and '-', starting and ending with a letter "
				  "or digit",
	[FILTER_CGROUPS] = "expected a cgroup v2 path starting with '/', such as /system.slice",
	[FILTER_PROCESSES] = "expected a command name of at most 15 characters or an "
			     "executable path starting with '/'",
	[FILTER_USERS] = "expected a user name from the passwd database or a uid 0..4294967294",
};

/* The names log_parse_level() accepts (log.c); kept here so this module stands alone. */
static const char *const log_level_names[] = { "error", "warn", "info", "debug" };

int config__error(char *err, size_t err_len, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && err_len) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int config__parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	bool overflow = false;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	/* Read to the end first: "99999999999x" is garbage, not out of range. */
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (!overflow) {
			v = v * 10 + (uint64_t)(*p - '0');
			overflow = v > UINT32_MAX;
		}
	}
	if (overflow || v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

static const struct key_spec *key_spec__find(const char *group, const char *name)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(key_specs); i++) {
		if (!strcmp(key_specs[i].group, group) && !strcmp(key_specs[i].name, name))
			return &key_specs[i];
	}
	return NULL;
}

static bool group_is_known(const char *group)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(key_specs); i++) {
		if (!strcmp(key_specs[i].group, group))
			return true;
	}
	return false;
}

/* Append @word to a list being written as "a, b or c"; @i counts from 0, @n is the length. */
static void list_add(GString *out, const char *word, size_t i, size_t n)
{
	if (i > 0)
		g_string_append(out, i + 1 == n ? " or " : ", ");
	g_string_append(out, word);
}

/* "[export], [flow], [kernel] or [log]" */
static char *group_list(void)
{
	GString *out = g_string_new(NULL);
	const char *groups[G_N_ELEMENTS(key_specs)];
	char word[64];
	size_t i, n = 0;

	for (i = 0; i < G_N_ELEMENTS(key_specs); i++) {
		if (n == 0 || strcmp(groups[n - 1], key_specs[i].group))
			groups[n++] = key_specs[i].group;
	}
	for (i = 0; i < n; i++) {
		snprintf(word, sizeof(word), "[%s]", groups[i]);
		list_add(out, word, i, n);
	}
	return g_string_free(out, FALSE);
}

/* "active_timeout, idle_timeout or max_flows" for [flow] */
static char *key_list(const char *group)
{
	GString *out = g_string_new(NULL);
	size_t i, j, n = 0;

	for (i = 0; i < G_N_ELEMENTS(key_specs); i++)
		n += !strcmp(key_specs[i].group, group);
	for (i = 0, j = 0; i < G_N_ELEMENTS(key_specs); i++) {
		if (!strcmp(key_specs[i].group, group))
			list_add(out, key_specs[i].name, j++, n);
	}
	return g_string_free(out, FALSE);
}

/* The "expected ..." half of a message about @k's value. */
static void key_spec__expected(const struct key_spec *k, char *buf, size_t len)
{
	switch (k->type) {
	case KEY_U32:
		snprintf(buf, len, "expected %s%s%u..%u%s%s", k->unit ? k->unit : "",
			 k->unit ? " " : "", k->min, k->max, k->hint ? ", " : "",
			 k->hint ? k->hint : "");
		break;
	case KEY_POW2:
		snprintf(buf, len, "expected %s, a power of two %u..%u", k->unit, k->min, k->max);
		break;
	case KEY_COLLECTORS:
		snprintf(buf, len, "expected udp://HOST:PORT, tcp://HOST:PORT or file:PATH, "
			 "separated by ';' or spaces");
		break;
	case KEY_PRINT:
		snprintf(buf, len, "expected text, json, none or auto");
		break;
	case KEY_LOG_LEVEL:
		snprintf(buf, len, "expected error, warn, info or debug");
		break;
	case KEY_PEN:
		snprintf(buf, len, "expected a private enterprise number %u..%u, not 29305 "
			 "(RFC 5103) or 35632 (ntop)", k->min, k->max);
		break;
	case KEY_TEMPLATE:
		snprintf(buf, len, "expected default, full, ntop, pmacct, minimal, another name in the "
			 "templates directory, or a file path holding a '/'");
		break;
	case KEY_LISTEN:
		snprintf(buf, len, "expected ADDRESS:PORT ([ADDRESS]:PORT for IPv6), or nothing "
			 "for no metrics endpoint");
		break;
	case KEY_FILTER:
		snprintf(buf, len, "%s, separated by ';' or spaces", filter_expected[k->kind]);
		break;
	case KEY_MECHANISMS:
		snprintf(buf, len, "expected mechanism names (sockflow --probe lists them), "
			 "separated by ';', ',' or spaces");
		break;
	}
}

bool config__is_template(const char *s)
{
	if (strchr(s, '/'))
		return true;
	if (!*s || *s == '.')
		return false;
	for (; *s; s++) {
		if (!g_ascii_isalnum(*s) && *s != '.' && *s != '_' && *s != '-')
			return false;
	}
	return true;
}

int config__add_collector(struct config *cfg, const char *uri, char *err, size_t err_len)
{
	struct collector *c;
	int rc;

	if (cfg->n_collectors >= CONFIG_MAX_COLLECTORS)
		return config__error(err, err_len, -E2BIG,
			       "\"%s\": too many collectors; expected at most %d", uri,
			       CONFIG_MAX_COLLECTORS);
	c = &cfg->collectors[cfg->n_collectors];
	rc = config__parse_collector(c, uri, err, err_len);
	if (rc) {
		memset(c, 0, sizeof(*c));
		return rc;
	}
	cfg->n_collectors++;
	return 0;
}

/* Replace the collector list with the URIs in @value; on error the old list stays. */
static int set_collectors(struct config *cfg, const char *value, char *err, size_t err_len)
{
	struct config *tmp = g_new0(struct config, 1);
	char **uris = g_strsplit_set(value, "; \t\r\n", -1);
	int i, rc = 0;

	for (i = 0; uris[i]; i++) {
		if (!*uris[i])
			continue;
		rc = config__add_collector(tmp, uris[i], err, err_len);
		if (rc)
			goto out;
	}
	memcpy(cfg->collectors, tmp->collectors, sizeof(cfg->collectors));
	cfg->n_collectors = tmp->n_collectors;
out:
	g_strfreev(uris);
	g_free(tmp);
	return rc;
}

/* A name as container runtimes allow it: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
static bool is_container_name(const char *s)
{
	if (!g_ascii_isalnum(*s))
		return false;
	for (; *s; s++) {
		if (!g_ascii_isalnum(*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	}
	return true;
}

/* A DNS label (RFC 1123), which is what Kubernetes allows as a namespace. */
static bool is_dns_label(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++) {
		if (!g_ascii_isdigit(s[i]) && (s[i] < 'a' || s[i] > 'z') && s[i] != '-')
			return false;
	}
	return true;
}

/* Absolute, and no empty, "." or ".." component before an optional trailing '/'. */
static bool is_cgroup_path(const char *s)
{
	const char *c, *next;
	size_t n;

	if (*s != '/')
		return false;
	for (c = s + 1; *c; c = next + 1) {
		next = strchr(c, '/');
		if (!next)
			next = c + strlen(c);
		n = (size_t)(next - c);
		if ((n == 0 && *next) || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!*next)
			break;
	}
	return true;
}

/*
 * The uid of user @name from the passwd database. Returns 0, -ENOENT when
 * there is no such user, or another negative errno when the lookup failed.
 */
static int user_uid(const char *name, uint32_t *uid)
{
	struct passwd pw, *res = NULL;
	size_t len = 1024;
	char *buf;
	int rc;

	for (;;) {
		buf = g_malloc(len);
		rc = getpwnam_r(name, &pw, buf, len, &res);
		if (rc != ERANGE || len >= 1024 * 1024)
			break;
		g_free(buf);
		len *= 4;
	}
	if (rc == 0 && res)
		*uid = (uint32_t)res->pw_uid;
	else if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
		rc = -ENOENT;	/* getpwnam_r(3): "not found", depending on the NSS module */
	else
		rc = -rc;
	g_free(buf);
	return rc;
}

/*
 * Check one [filter] pattern @item of @kind and write its normal form to
 * @out (@out_len >= CONFIG_FILTER_LIST_LEN): user names become uids,
 * cgroup paths lose a trailing '/'. Returns 0 or -EINVAL / -ERANGE with
 * "what is wrong; what is expected" in @msg.
 */
static int filter_item__check(enum filter_kind kind, const char *item, char *out, size_t out_len,
			      char *msg, size_t msg_len)
{
	const char *expected = filter_expected[kind];
	size_t n = strlen(item);
	uint32_t uid;
	int rc;

	switch (kind) {
	case FILTER_CONTAINERS:
		if (!is_container_name(item))
			return config__error(msg, msg_len, -EINVAL, "\"%.64s\" is not a container name "
				       "or id; %s", item, expected);
		/* flow_container.name holds 63 characters, .id the 64 digits of an id. */
		if (n >= sizeof(((struct flow_container *)0)->name) &&
		    !(n == 64 && text__is_lower_hex(item, n)))
			return config__error(msg, msg_len, -EINVAL, "\"%.64s...\" is too long; %s", item,
				       expected);
		break;
	case FILTER_POD_NAMESPACES:
		if (!is_dns_label(item))
			return config__error(msg, msg_len, -EINVAL, "\"%.64s\" is not a Kubernetes "
				       "namespace; %s", item, expected);
		break;
	case FILTER_CGROUPS:
		if (*item != '/')
			return config__error(msg, msg_len, -EINVAL, "\"%.64s\" does not start with '/'; "
				       "%s", item, expected);
		if (!is_cgroup_path(item))
			return config__error(msg, msg_len, -EINVAL, "\"%.64s\" is not a cgroup path "
				       "(an empty, '.' or '..' component); %s", item, expected);
		if (n >= FLOW_PATH_LEN)
			return config__error(msg, msg_len, -EINVAL, "\"%.64s...\" is longer than %d "
				       "characters; %s", item, FLOW_PATH_LEN - 1, expected);
		while (n > 1 && item[n - 1] == '/')
			n--;
		g_snprintf(out, out_len, "%.*s", (int)n, item);
		return 0;
	case FILTER_PROCESSES:
		if (strchr(item, '/')) {
			if (*item != '/')
				return config__error(msg, msg_len, -EINVAL,
					       "\"%.64s\" is a relative path; %s", item, expected);
			if (n >= FLOW_PATH_LEN)
				return config__error(msg, msg_len, -EINVAL, "\"%.64s...\" is longer than "
					       "%d characters; %s", item, FLOW_PATH_LEN - 1,
					       expected);
		} else if (n >= FLOW_COMM_LEN) {
			return config__error(msg, msg_len, -EINVAL, "\"%.64s\" is longer than %d "
				       "characters, the kernel's limit for command names; %s",
				       item, FLOW_COMM_LEN - 1, expected);
		}
		break;
	case FILTER_USERS:
		/* (uid_t)-1 is "no uid" to the kernel, never a process's uid. */
		rc = config__parse_u32(item, 0, UINT32_MAX - 1, &uid);
		if (rc == -ERANGE)
			return config__error(msg, msg_len, -ERANGE, "uid \"%.64s\" is out of range; %s",
				       item, expected);
		if (rc) {
			rc = user_uid(item, &uid);
			if (rc == -ENOENT)
				return config__error(msg, msg_len, -EINVAL, "no user \"%.64s\" on this "
					       "host; %s", item, expected);
			if (rc)
				return config__error(msg, msg_len, -EINVAL, "cannot look up user "
					       "\"%.64s\": %s; %s", item, g_strerror(-rc),
					       expected);
		}
		g_snprintf(out, out_len, "%u", uid);
		return 0;
	case FILTER_KINDS:
		return -EINVAL;
	}
	g_strlcpy(out, item, out_len);
	return 0;
}

/* Whether the space-separated @list holds @word. */
static bool list_has(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)); p += n) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* The [filter] key of @kind on the other side than @k. */
static const struct key_spec *filter_key__other(const struct key_spec *k)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(key_specs); i++) {
		if (key_specs[i].type == KEY_FILTER && key_specs[i].kind == k->kind &&
		    key_specs[i].exclude != k->exclude)
			return &key_specs[i];
	}
	return NULL;
}

/* The list that [filter] key @k sets in @cfg. */
static const char *filter_key__list(const struct key_spec *k, const struct config *cfg)
{
	return k->exclude ? cfg->filter.exclude[k->kind] : cfg->filter.include[k->kind];
}

/*
 * Set [filter] key @k from @value: patterns separated by ';' or white space
 * (one ';' may end the list, as GKeyFile writes lists), each checked, in
 * normal form, without repeats. A pattern that the other side's list of the
 * same kind holds too is an error. On error @cfg is unchanged.
 */
static int set_filter(const struct key_spec *k, struct config *cfg, const char *value, char *err,
		      size_t err_len)
{
	const struct key_spec *other = filter_key__other(k);
	const char *other_list = filter_key__list(other, cfg);
	char *list = g_malloc0(CONFIG_FILTER_LIST_LEN);
	char *item = g_malloc(CONFIG_FILTER_LIST_LEN);
	char *norm = g_malloc(CONFIG_FILTER_LIST_LEN);
	bool after_item = false;
	const char *p = value;
	size_t n, used = 0;
	int rc = 0;

	for (;;) {
		while (g_ascii_isspace(*p))
			p++;
		if (!*p)
			break;
		if (*p == ';') {
			if (!after_item) {
				rc = config__error(err, err_len, -EINVAL, "\"%.64s\": empty item before "
					     "';'; %s, separated by ';' or spaces", value,
					     filter_expected[k->kind]);
				goto out;
			}
			after_item = false;
			p++;
			continue;
		}
		n = strcspn(p, "; \t\r\n\v\f");
		if (n >= CONFIG_FILTER_LIST_LEN)
			n = CONFIG_FILTER_LIST_LEN - 1;
		memcpy(item, p, n);
		item[n] = '\0';
		p += n;
		after_item = true;
		rc = filter_item__check(k->kind, item, norm, CONFIG_FILTER_LIST_LEN, err, err_len);
		if (rc)
			goto out;
		if (list_has(other_list, norm)) {
			if (strcmp(item, norm))
				rc = config__error(err, err_len, -EINVAL, "\"%.64s\" (%s) is in %s too; "
					     "expected each value in one of %s and %s", item,
					     norm, other->name, k->name, other->name);
			else
				rc = config__error(err, err_len, -EINVAL, "\"%.64s\" is in %s too; "
					     "expected each value in one of %s and %s", item,
					     other->name, k->name, other->name);
			goto out;
		}
		if (list_has(list, norm))
			continue;
		n = strlen(norm);
		if (used + !!used + n >= CONFIG_FILTER_LIST_LEN) {
			rc = config__error(err, err_len, -EINVAL, "\"%.40s...\": too long; expected "
				     "at most %d characters in all", value,
				     CONFIG_FILTER_LIST_LEN - 1);
			goto out;
		}
		if (used)
			list[used++] = ' ';
		memcpy(list + used, norm, n + 1);
		used += n;
	}
	if (k->exclude)
		memcpy(cfg->filter.exclude[k->kind], list, CONFIG_FILTER_LIST_LEN);
	else
		memcpy(cfg->filter.include[k->kind], list, CONFIG_FILTER_LIST_LEN);
out:
	g_free(norm);
	g_free(item);
	g_free(list);
	return rc;
}

/* Check @value for @k and store it in @cfg; @err gets "what is wrong; what is expected". */
static int key_spec__apply(const struct key_spec *k, struct config *cfg, const char *value,
			   char *err, size_t err_len)
{
	char expected[256];
	const char *what;
	uint32_t v;
	size_t i;
	int rc;

	key_spec__expected(k, expected, sizeof(expected));
	switch (k->type) {
	case KEY_U32:
	case KEY_POW2:
		rc = config__parse_u32(value, k->min, k->max, &v);
		if (rc == 0 && k->type == KEY_POW2 && (v & (v - 1)))
			rc = -EDOM;
		if (rc) {
			what = rc == -ERANGE ? "out of range" :
			       rc == -EDOM ? "not a power of two" : "not a number";
			return config__error(err, err_len, rc == -ERANGE ? -ERANGE : -EINVAL,
				       "\"%.64s\" is %s; %s", value, what, expected);
		}
		memcpy((char *)cfg + k->offset, &v, sizeof(v));
		return 0;
	case KEY_PEN:
		rc = config__parse_u32(value, k->min, k->max, &v);
		if (rc)
			return config__error(err, err_len, rc, "\"%.64s\" is %s; %s", value,
				       rc == -ERANGE ? "out of range" : "not a number", expected);
		for (i = 0; i < G_N_ELEMENTS(taken_pens); i++) {
			if (v == taken_pens[i])
				return config__error(err, err_len, -EINVAL, "%u is taken by elements "
					       "sockflow also sends; %s", v, expected);
		}
		memcpy((char *)cfg + k->offset, &v, sizeof(v));
		return 0;
	case KEY_LISTEN: {
		char host[256], port[8], why[256];

		if (*value && (strlen(value) >= sizeof(cfg->metrics_listen) ||
			       config__parse_listen(value, host, sizeof(host), port, sizeof(port),
						    why, sizeof(why))))
			return config__error(err, err_len, -EINVAL, "\"%.64s\": %s; %s", value,
					     *value && strlen(value) < sizeof(cfg->metrics_listen) ?
						     why : "too long", expected);
		strcpy(cfg->metrics_listen, value);
		return 0;
	}
	case KEY_TEMPLATE:
		if (strlen(value) >= sizeof(cfg->template))
			return config__error(err, err_len, -EINVAL, "\"%.40s...\": too long; expected "
				       "at most %zu characters", value, sizeof(cfg->template) - 1);
		if (!config__is_template(value))
			return config__error(err, err_len, -EINVAL, "\"%.64s\" is not a template; %s",
				       value, expected);
		strcpy(cfg->template, value);
		return 0;
	case KEY_COLLECTORS:
		return set_collectors(cfg, value, err, err_len);
	case KEY_FILTER:
		return set_filter(k, cfg, value, err, err_len);
	case KEY_MECHANISMS:
		return sf_mech__parse_list(value, &cfg->disabled_mechanisms,
					   cfg->disable_mechanisms, sizeof(cfg->disable_mechanisms),
					   err, err_len);
	case KEY_PRINT:
		for (i = 0; i < G_N_ELEMENTS(print_names); i++) {
			if (!strcmp(value, print_names[i].name)) {
				cfg->print = print_names[i].format;
				return 0;
			}
		}
		return config__error(err, err_len, -EINVAL, "\"%.64s\" is not a print format; %s", value,
			       expected);
	case KEY_LOG_LEVEL:
		for (i = 0; i < G_N_ELEMENTS(log_level_names); i++) {
			if (!strcmp(value, log_level_names[i])) {
				g_strlcpy(cfg->log_level, value, sizeof(cfg->log_level));
				return 0;
			}
		}
		return config__error(err, err_len, -EINVAL, "\"%.64s\" is not a log level; %s", value,
			       expected);
	}
	return -EINVAL;
}

int config__set(struct config *cfg, const char *group, const char *key, const char *value,
		char *err, size_t err_len)
{
	const struct key_spec *k = key_spec__find(group, key);

	if (!k)
		return config__error(err, err_len, -ENOENT, "unknown key \"%s\" in [%s]", key, group);
	return key_spec__apply(k, cfg, value, err, err_len);
}

int config__append(struct config *cfg, const char *group, const char *key, const char *value,
		   char *err, size_t err_len)
{
	const struct key_spec *k = key_spec__find(group, key);
	const char *list;
	char *joined;
	int rc;

	if (!k || (k->type != KEY_FILTER && k->type != KEY_MECHANISMS))
		return config__error(err, err_len, -ENOENT, "\"%s\" in [%s] is not a list", key,
			       group);
	list = k->type == KEY_FILTER ? filter_key__list(k, cfg) : cfg->disable_mechanisms;
	joined = g_strconcat(list, *list ? " " : "", value, NULL);
	rc = key_spec__apply(k, cfg, joined, err, err_len);
	g_free(joined);
	return rc;
}

void config__defaults(struct config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	/* The table's defaults pass its own checks; test_config makes sure. */
	for (i = 0; i < G_N_ELEMENTS(key_specs); i++)
		key_spec__apply(&key_specs[i], cfg, key_specs[i].def, NULL, 0);
}

void config__resolve(struct config *cfg)
{
	if (!cfg->print)
		cfg->print = cfg->n_collectors ? PRINT_NONE : PRINT_TEXT;
}

char *config__to_string(const struct config *cfg)
{
	GKeyFile *kf = g_key_file_new();
	const struct key_spec *k;
	GString *uris;
	char *text;
	char num[16];
	uint32_t v;
	size_t i, j;
	int c;

	for (i = 0; i < G_N_ELEMENTS(key_specs); i++) {
		k = &key_specs[i];
		switch (k->type) {
		case KEY_U32:
		case KEY_POW2:
		case KEY_PEN:
			memcpy(&v, (const char *)cfg + k->offset, sizeof(v));
			snprintf(num, sizeof(num), "%u", v);
			g_key_file_set_value(kf, k->group, k->name, num);
			break;
		case KEY_COLLECTORS:
			uris = g_string_new(NULL);
			for (c = 0; c < cfg->n_collectors; c++)
				g_string_append_printf(uris, "%s%s", c ? " " : "",
						       cfg->collectors[c].uri);
			g_key_file_set_string(kf, k->group, k->name, uris->str);
			g_string_free(uris, TRUE);
			break;
		case KEY_PRINT:
			for (j = 0; j < G_N_ELEMENTS(print_names); j++) {
				if (print_names[j].format != cfg->print)
					continue;
				g_key_file_set_value(kf, k->group, k->name, print_names[j].name);
			}
			break;
		case KEY_LOG_LEVEL:
			g_key_file_set_string(kf, k->group, k->name, cfg->log_level);
			break;
		case KEY_TEMPLATE:
			g_key_file_set_string(kf, k->group, k->name, cfg->template);
			break;
		case KEY_LISTEN:
			g_key_file_set_string(kf, k->group, k->name, cfg->metrics_listen);
			break;
		case KEY_FILTER:
			g_key_file_set_string(kf, k->group, k->name, filter_key__list(k, cfg));
			break;
		case KEY_MECHANISMS:
			g_key_file_set_string(kf, k->group, k->name, cfg->disable_mechanisms);
			break;
		}
	}
	text = g_key_file_to_data(kf, NULL, NULL);
	g_key_file_free(kf);
	return text;
}

/* ---- what config_file.c asks of the key table ----------------------------- */

bool config_keys__has_group(const char *group)
{
	return group_is_known(group);
}

bool config_keys__has(const char *group, const char *key)
{
	return key_spec__find(group, key) != NULL;
}

char *config_keys__groups(void)
{
	return group_list();
}

char *config_keys__names(const char *group)
{
	return key_list(group);
}

void config_keys__expected(const char *group, const char *key, char *buf, size_t len)
{
	const struct key_spec *k = key_spec__find(group, key);

	if (k)
		key_spec__expected(k, buf, len);
	else
		g_strlcpy(buf, "a known key", len);
}
