// SPDX-License-Identifier: GPL-2.0-only
/*
 * Collector URIs: udp://HOST:PORT, tcp://HOST:PORT and file:PATH, each with
 * ?KEY=VALUE&KEY=VALUE parameters; in a file: path, %3F is a '?' and %25 a
 * '%', as in any URI.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "config.h"

/*
 * The zone of a scoped IPv6 address (fe80::1%eth0): an interface that exists
 * now, or a numeric index. getaddrinfo() would fail on any other only when
 * the daemon first sends. Returns 0 or -EINVAL with a message in @msg.
 */
static int check_zone(const char *zone, size_t len, char *msg, size_t msg_len)
{
	char name[IF_NAMESIZE];
	uint32_t index;

	if (len > 0 && len < sizeof(name)) {
		memcpy(name, zone, len);
		name[len] = '\0';
		if (!config__parse_u32(name, 1, UINT32_MAX, &index) || if_nametoindex(name))
			return 0;
	}
	return config__error(msg, msg_len, -EINVAL, "zone \"%.*s\" is not an interface here; "
			     "expected [ADDRESS%%INTERFACE]:PORT with an existing interface or "
			     "its index", (int)len, zone);
}

/*
 * Split "HOST:PORT" or "[ADDRESS]:PORT" into @c->host and @c->port. Returns 0
 * or -EINVAL with "what is wrong; what is expected" in @msg.
 */
static int parse_host_port(struct collector *c, const char *s, char *msg, size_t msg_len)
{
	const char *host = s, *host_end, *port, *p;
	char ip6[INET6_ADDRSTRLEN];
	struct in6_addr addr6;
	size_t host_len, addr_len;
	uint32_t port_num;
	int rc;

	if (*s == '[') {
		host++;
		host_end = strchr(host, ']');
		if (!host_end)
			return config__error(msg, msg_len, -EINVAL, "no ']' after the IPv6 address; "
				       "expected [ADDRESS]:PORT");
		host_len = (size_t)(host_end - host);
		if (host_len == 0)
			return config__error(msg, msg_len, -EINVAL,
				       "empty host; expected [ADDRESS]:PORT");
		/* A zone (fe80::1%eth0) is for getaddrinfo; check the address before it. */
		addr_len = strcspn(host, "%]");
		if (addr_len >= sizeof(ip6))
			addr_len = 0;
		memcpy(ip6, host, addr_len);
		ip6[addr_len] = '\0';
		if (inet_pton(AF_INET6, ip6, &addr6) != 1)
			return config__error(msg, msg_len, -EINVAL, "\"%.*s\" is not an IPv6 address; "
				       "expected [ADDRESS]:PORT", (int)host_len, host);
		if (addr_len < host_len) {
			rc = check_zone(host + addr_len + 1, host_len - addr_len - 1, msg, msg_len);
			if (rc)
				return rc;
		}
		port = host_end + 1;
		if (*port != ':')
			return config__error(msg, msg_len, -EINVAL,
				       "missing port; expected [ADDRESS]:PORT");
	} else {
		if (!*s)
			return config__error(msg, msg_len, -EINVAL, "empty host; expected HOST:PORT");
		port = strrchr(s, ':');
		if (!port)
			return config__error(msg, msg_len, -EINVAL, "missing port; expected HOST:PORT");
		host_len = (size_t)(port - host);
		if (host_len == 0)
			return config__error(msg, msg_len, -EINVAL, "empty host; expected HOST:PORT");
		if (memchr(host, ':', host_len))
			return config__error(msg, msg_len, -EINVAL, "IPv6 address without brackets; "
				       "expected [ADDRESS]:PORT");
		for (p = host; p < port; p++) {
			if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != '_')
				return config__error(msg, msg_len, -EINVAL, "\"%.*s\" is not a host name "
					       "or address; expected HOST:PORT",
					       (int)host_len, host);
		}
	}
	if (host_len >= sizeof(c->host))
		return config__error(msg, msg_len, -EINVAL, "host too long; expected at most %zu "
			       "characters", sizeof(c->host) - 1);
	port++;
	if (!*port)
		return config__error(msg, msg_len, -EINVAL, "missing port; expected a port 1..65535");
	rc = config__parse_u32(port, 1, 65535, &port_num);
	if (rc)
		return config__error(msg, msg_len, -EINVAL, "port \"%s\" is %s; expected 1..65535", port,
			       rc == -ERANGE ? "out of range" : "not a number");

	memcpy(c->host, host, host_len);
	c->host[host_len] = '\0';
	snprintf(c->port, sizeof(c->port), "%u", port_num);
	return 0;
}

int config__parse_listen(const char *s, char *host, size_t host_len, char *port,
			 size_t port_len, char *msg, size_t msg_len)
{
	struct collector *c = g_new0(struct collector, 1);
	int rc = parse_host_port(c, s, msg, msg_len);

	if (!rc) {
		g_strlcpy(host, c->host, host_len);
		g_strlcpy(port, c->port, port_len);
	}
	g_free(c);
	return rc;
}

/* The parameters a network collector's URI takes, each a choice among named values. */
struct uri_param {
	const char *key;
	size_t offset;			/* of its int-sized enum in struct collector */
	const char *names[2];		/* value i names enum value i + 1 */
};

_Static_assert(sizeof(enum collector_protocol) == sizeof(int) &&
		       sizeof(enum collector_records) == sizeof(int),
	       "a parameter's enum is stored as an int");

static const struct uri_param uri_params[] = {
	{ "protocol", offsetof(struct collector, protocol), { "ipfix", "v9" } },
	{ "records", offsetof(struct collector, records), { "biflow", "uniflow" } },
};

/*
 * Profiles: what a kind of collector needs, for the parameters the URI
 * does not set itself (a template of NULL leaves [export] template).
 *   nfdump (1.7.1) drops every enterprise element it gets over IPFIX, but
 *     keeps v9's user name, application and latencies, with one user and
 *     application slot per record: v9, a record per direction.
 *   pmacct (nfacctd 1.7.7) keeps enterprise elements through its
 *     aggregate_primitives, but sums one direction only (no RFC 5103
 *     reverse counters) and takes about 1 KiB of strings per record:
 *     IPFIX, a record per direction, the pmacct field list (both ends'
 *     identity, no command lines or cgroup paths).
 *   ntop (nProbe in collector mode, then ntopng) knows its own process
 *     elements: IPFIX biflows with the ntop field list.
 *   wireshark (tshark 4.0) decodes every element of the default list
 *     (at most 60 per template, its limit) and RFC 5103 biflows.
 */
#define PROFILE_NAMES "nfdump|pmacct|ntop|wireshark"
static const struct {
	const char *name;
	enum collector_protocol protocol;
	enum collector_records records;
	const char *template_name;
} profiles[] = {
	{ "nfdump", COLLECTOR_NETFLOW9, COLLECTOR_UNIFLOW, NULL },
	{ "pmacct", COLLECTOR_IPFIX, COLLECTOR_UNIFLOW, "pmacct" },
	{ "ntop", COLLECTOR_IPFIX, COLLECTOR_BIFLOW, "ntop" },
	{ "wireshark", COLLECTOR_IPFIX, COLLECTOR_BIFLOW, "default" },
};

/* Whether @s (@len bytes, not NUL-terminated) is @word. */
static bool is_word(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !strncmp(s, word, len);
}

/* What a parameter not given means. */
static void set_defaults(struct collector *c)
{
	if (!c->protocol)
		c->protocol = COLLECTOR_IPFIX;
	if (!c->records)
		c->records = COLLECTOR_BIFLOW;
}

/*
 * One KEY=VALUE of a network collector's query into @c, a profile's index
 * into *@profile; as parse_host_port().
 */
static int parse_parameter(struct collector *c, const char *kv, size_t len, int *profile,
			   char *msg, size_t msg_len)
{
	const char *eq = memchr(kv, '=', len);
	size_t key_len = eq ? (size_t)(eq - kv) : len;
	const char *value = eq ? eq + 1 : "";
	size_t value_len = eq ? len - key_len - 1 : 0;
	const struct uri_param *p;
	size_t i, v;

	if (is_word(kv, key_len, "profile")) {
		for (v = 0; v < G_N_ELEMENTS(profiles); v++) {
			if (is_word(value, value_len, profiles[v].name)) {
				*profile = (int)v;
				return 0;
			}
		}
		return config__error(msg, msg_len, -EINVAL, "profile \"%.*s\"; expected "
				     "profile=" PROFILE_NAMES, (int)value_len, value);
	}
	if (is_word(kv, key_len, "template")) {
		if (value_len == 0 || value_len >= sizeof(c->template_name))
			return config__error(msg, msg_len, -EINVAL, "template \"%.*s\"; expected "
					     "a template name or path of 1..%zu characters",
					     (int)value_len, value, sizeof(c->template_name) - 1);
		memcpy(c->template_name, value, value_len);
		c->template_name[value_len] = '\0';
		if (!config__is_template(c->template_name))
			return config__error(msg, msg_len, -EINVAL, "template \"%s\"; expected "
					     "default, full, ntop, pmacct, minimal, another name "
					     "in the templates directory, or a path holding a '/'",
					     c->template_name);
		return 0;
	}
	if (is_word(kv, key_len, "observation_domain")) {
		char num[16] = "";

		if (value_len < sizeof(num))
			memcpy(num, value, value_len);
		if (value_len >= sizeof(num) ||
		    config__parse_u32(num, 0, UINT32_MAX, &c->observation_domain))
			return config__error(msg, msg_len, -EINVAL, "observation_domain \"%.*s\"; "
					     "expected a number 0..4294967295", (int)value_len,
					     value);
		c->has_observation_domain = true;
		return 0;
	}
	for (i = 0; i < G_N_ELEMENTS(uri_params); i++) {
		p = &uri_params[i];
		if (!is_word(kv, key_len, p->key))
			continue;
		for (v = 0; v < G_N_ELEMENTS(p->names); v++) {
			if (is_word(value, value_len, p->names[v])) {
				*(int *)((char *)c + p->offset) = (int)v + 1;
				return 0;
			}
		}
		return config__error(msg, msg_len, -EINVAL, "%s \"%.*s\"; expected %s=%s or %s=%s",
				     p->key, (int)value_len, value, p->key, p->names[0], p->key,
				     p->names[1]);
	}
	return config__error(msg, msg_len, -EINVAL, "unknown parameter \"%.*s\"; expected "
		       "protocol=ipfix|v9, records=biflow|uniflow, template=NAME|PATH, "
		       "observation_domain=N or profile=" PROFILE_NAMES, (int)len, kv);
}

/*
 * The parameters "KEY=VALUE&KEY=VALUE" of @query (NULL: none) into @c; as
 * parse_host_port(). A parameter the URI sets wins over its profile's.
 * NetFlow v9 goes over UDP only.
 */
static int parse_query(struct collector *c, const char *query, char *msg, size_t msg_len)
{
	const char *kv, *end;
	int rc = 0, profile = -1;

	/* Parameters left at 0 are not given: the profile's apply, then the defaults. */
	for (kv = query; kv && !rc; kv = *end ? end + 1 : NULL) {
		end = kv + strcspn(kv, "&");
		if (end == kv)
			return config__error(msg, msg_len, -EINVAL, "empty parameter; expected "
				       "?KEY=VALUE&KEY=VALUE");
		rc = parse_parameter(c, kv, (size_t)(end - kv), &profile, msg, msg_len);
	}
	if (profile >= 0) {
		if (!c->protocol)
			c->protocol = profiles[profile].protocol;
		if (!c->records)
			c->records = profiles[profile].records;
		if (!c->template_name[0] && profiles[profile].template_name)
			strcpy(c->template_name, profiles[profile].template_name);
	}
	set_defaults(c);
	if (!rc && c->protocol == COLLECTOR_NETFLOW9 && c->template_name[0])
		return config__error(msg, msg_len, -EINVAL, "NetFlow v9 records have fixed fields; "
			       "expected template= with protocol=ipfix only");
	if (!rc && c->protocol == COLLECTOR_NETFLOW9 && c->transport != COLLECTOR_UDP)
		return config__error(msg, msg_len, -EINVAL, "NetFlow v9 goes over UDP only; "
			       "expected udp://HOST:PORT?protocol=v9");
	return rc;
}

/* "HOST:PORT" with an optional "?KEY=VALUE&KEY=VALUE" into @c; as parse_host_port(). */
static int parse_network(struct collector *c, const char *s, char *msg, size_t msg_len)
{
	const char *query = strchr(s, '?');
	char hostport[sizeof(c->host) + 16];
	size_t len = query ? (size_t)(query - s) : strlen(s);
	int rc;

	if (len >= sizeof(hostport))
		return config__error(msg, msg_len, -EINVAL, "host too long; expected at most %zu "
			       "characters", sizeof(c->host) - 1);
	memcpy(hostport, s, len);
	hostport[len] = '\0';
	rc = parse_host_port(c, hostport, msg, msg_len);
	return rc ?: parse_query(c, query ? query + 1 : NULL, msg, msg_len);
}

/*
 * Take file:PATH or file:///PATH, with an optional "?KEY=VALUE&..." into
 * @c; %3F in PATH is a '?', %25 a '%'; as parse_host_port().
 */
static int parse_file(struct collector *c, const char *s, char *msg, size_t msg_len)
{
	const char *query = strchr(s, '?'), *end;
	size_t n = 0;

	/* file:///var/x is file:/var/x; file://HOST/x names another machine. */
	if (!strncmp(s, "//", 2)) {
		s += 2;
		if (*s != '/')
			return config__error(msg, msg_len, -EINVAL, "names a host; "
				       "expected file:PATH or file:///PATH");
	}
	end = query ? query : s + strlen(s);
	if (s == end)
		return config__error(msg, msg_len, -EINVAL, "empty path; expected file:PATH");
	for (; s < end; s++) {
		if (n + 1 >= sizeof(c->path))
			return config__error(msg, msg_len, -EINVAL, "path too long; expected at "
					     "most %zu characters", sizeof(c->path) - 1);
		if (*s == '%') {
			if (!g_ascii_strncasecmp(s, "%3F", 3))
				c->path[n++] = '?';
			else if (!strncmp(s, "%25", 3))
				c->path[n++] = '%';
			else
				return config__error(msg, msg_len, -EINVAL, "\"%.3s\" in the path; "
						     "expected %%3F for a '?' or %%25 for a '%%'",
						     s);
			s += 2;
			continue;
		}
		c->path[n++] = *s;
	}
	c->path[n] = '\0';
	return parse_query(c, query ? query + 1 : NULL, msg, msg_len);
}

int config__parse_collector(struct collector *c, const char *uri, char *err, size_t err_len)
{
	char msg[512];
	int rc;

	memset(c, 0, sizeof(*c));
	if (strlen(uri) >= sizeof(c->uri))
		return config__error(err, err_len, -EINVAL, "\"%.40s...\": too long; expected at most "
			       "%zu characters", uri, sizeof(c->uri) - 1);

	if (!strncmp(uri, "file:", 5)) {
		c->transport = COLLECTOR_FILE;
		rc = parse_file(c, uri + 5, msg, sizeof(msg));
	} else if (!strncmp(uri, "udp://", 6) || !strncmp(uri, "tcp://", 6)) {
		c->transport = uri[0] == 'u' ? COLLECTOR_UDP : COLLECTOR_TCP;
		rc = parse_network(c, uri + 6, msg, sizeof(msg));
	} else {
		rc = config__error(msg, sizeof(msg), -EINVAL, "unknown scheme; "
			     "expected udp://HOST:PORT, tcp://HOST:PORT or file:PATH");
	}
	if (rc) {
		memset(c, 0, sizeof(*c));
		return config__error(err, err_len, rc, "\"%s\": %s", uri, msg);
	}
	strcpy(c->uri, uri);
	return 0;
}

