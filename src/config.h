/* SPDX-License-Identifier: GPL-2.0-only */
/* sockflow's configuration: one struct, filled from the file then the options. */
#ifndef SOCKFLOW_CONFIG_H
#define SOCKFLOW_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define CONFIG_MAX_COLLECTORS 8
/* $(sysconfdir)/sockflow/sockflow.conf: ./configure --sysconfdir=/etc gives /etc/sockflow/. */
#ifndef SOCKFLOW_SYSCONFDIR
#define SOCKFLOW_SYSCONFDIR "/etc"
#endif
#define CONFIG_DEFAULT_PATH SOCKFLOW_SYSCONFDIR "/sockflow/sockflow.conf"

enum collector_transport {
	COLLECTOR_UDP = 1,
	COLLECTOR_TCP,
	COLLECTOR_FILE,
};

/* URI parameters (collector.c): value i of a parameter's names is enum value i + 1. */
enum collector_protocol {
	COLLECTOR_IPFIX = 1,	/* RFC 7011, the default */
	COLLECTOR_NETFLOW9,	/* RFC 3954, UDP only: ?protocol=v9 */
};

enum collector_records {
	COLLECTOR_BIFLOW = 1,	/* one record per conversation, both directions (the default) */
	COLLECTOR_UNIFLOW,	/* one record per direction: ?records=uniflow */
};

/* One export destination, parsed from udp://HOST:PORT, tcp://HOST:PORT or file:PATH. */
struct collector {
	enum collector_transport transport;
	enum collector_protocol protocol;
	enum collector_records records;
	char template_name[256];	/* ?template= or the profile's; "": [export] template */
	uint32_t observation_domain;	/* ?observation_domain=, when has_observation_domain */
	bool has_observation_domain;	/* else [export] observation_domain_id */
	char host[256];		/* without brackets; empty for files */
	char port[8];		/* service string for getaddrinfo */
	char path[4096];	/* file: only */
	char uri[4400];		/* as the user wrote it, for messages */
};

/* 0 means "not chosen": config__resolve() makes it text without a collector, none with one. */
enum print_format {
	PRINT_TEXT = 1,	/* one line per flow for a person */
	PRINT_JSON,	/* one JSON object per record */
	PRINT_NONE,
};

/* What a [filter] rule selects flow ends by; indexes struct filter_lists. */
enum filter_kind {
	FILTER_CONTAINERS,	/* container name, id or id prefix */
	FILTER_POD_NAMESPACES,
	FILTER_CGROUPS,		/* cgroup v2 path prefix */
	FILTER_PROCESSES,	/* command name, or executable path */
	FILTER_USERS,		/* uid */
	FILTER_KINDS,
};

#define CONFIG_FILTER_LIST_LEN 4096

/*
 * The [filter] keys, checked and in normal form: patterns separated by
 * single spaces, "" for none. User names are already resolved to uids,
 * cgroup prefixes have no trailing '/'. flow_filter__new() compiles them.
 */
struct filter_lists {
	char include[FILTER_KINDS][CONFIG_FILTER_LIST_LEN];
	char exclude[FILTER_KINDS][CONFIG_FILTER_LIST_LEN];
};

struct config {
	char path[4096];			/* file read, "" if none */
	struct collector collectors[CONFIG_MAX_COLLECTORS];
	int n_collectors;
	enum print_format print;		/* 0 until chosen; see config__resolve() */
	uint32_t observation_domain_id;
	uint32_t active_timeout_s;
	uint32_t idle_timeout_s;
	uint32_t template_refresh_s;		/* UDP template re-send interval */
	uint32_t template_refresh_messages;	/* and every this many UDP messages */
	uint32_t template_gap_s;		/* and before a message after this long quiet */
	uint32_t max_flows;			/* flow table bound (user space) */
	uint32_t max_sockets;			/* BPF socks map entries */
	uint32_t max_udp_flows;			/* BPF udp_flows and udp_owners entries */
	uint32_t conntrack_rcvbuf_kib;		/* conntrack event buffer per netns; 0: off */
	uint32_t poll_interval_s;		/* sock_diag poll of every netns; 0: never */
	uint32_t ringbuf_kib;			/* BPF ring buffer size */
	uint32_t disabled_mechanisms;		/* 1 << enum sf_mech, from disable_mechanisms */
	char disable_mechanisms[512];		/* [kernel] disable_mechanisms in normal form */
	uint32_t tcp_buffer_records;		/* records kept while a TCP collector is down */
	uint32_t exit_drain_s;			/* at exit: wait this long for collectors to take the rest */
	uint32_t enterprise_id;			/* PEN of sockflow's own IPFIX elements */
	char metrics_listen[300];		/* [metrics] listen: ADDRESS:PORT; "": off */
	char template[4096];			/* field list: default, full, ntop, pmacct, minimal or a path */
	uint32_t stats_interval_s;		/* 0: never log stats */
	char log_level[16];
	struct filter_lists filter;
};

/* Fill @cfg with the built-in defaults. */
void config__defaults(struct config *cfg);

/*
 * Read @path into @cfg. Returns 0, -ENOENT if the file does not exist, or
 * -EINVAL with a message "FILE:LINE: what is expected" in @err.
 */
int config__load(struct config *cfg, const char *path, char *err, size_t err_len);

/*
 * Whether @s names a field list: a name in the templates directory
 * (letters, digits, '.', '_', '-', not starting with '.') or a path (with a
 * '/').
 */
bool config__is_template(const char *s);

/*
 * "HOST:PORT" or "[ADDRESS]:PORT" into @host and @port (collector.c).
 * Returns 0 or -EINVAL with "what is wrong; what is expected" in @msg.
 */
int config__parse_listen(const char *s, char *host, size_t host_len, char *port,
			 size_t port_len, char *msg, size_t msg_len);

/* Parse one collector URI (collector.c). Returns 0 or -EINVAL with a message in @err. */
int config__parse_collector(struct collector *c, const char *uri, char *err, size_t err_len);

/* Write a message into @err (when there is room for one) and return @rc. */
int config__error(char *err, size_t err_len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The one checked number parser: decimal, no sign, no trailing garbage,
 * within [min, max]. Returns 0 or -EINVAL / -ERANGE.
 */
int config__parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/*
 * Set one key from its text, with the same checks as the file. Returns 0,
 * -ENOENT for an unknown group or key, or -EINVAL / -ERANGE with "what is
 * wrong; what is expected" in @err (no key name: the caller adds its own
 * prefix, "FILE:LINE: key: " or "--option: "). [export] collectors
 * replaces the list.
 */
int config__set(struct config *cfg, const char *group, const char *key, const char *value,
		char *err, size_t err_len);

/*
 * Append @value to the list key @key of @group ([filter] lists and [kernel]
 * disable_mechanisms), with the checks of config__set(). Returns 0, -ENOENT
 * for a key that is not a list, or -EINVAL / -ERANGE with a message in @err.
 */
int config__append(struct config *cfg, const char *group, const char *key, const char *value,
		   char *err, size_t err_len);

/* Append one collector URI. Returns 0, -EINVAL or -E2BIG with a message in @err. */
int config__add_collector(struct config *cfg, const char *uri, char *err, size_t err_len);

/* Settle what depends on other keys: print 0 becomes text without a collector, none with one. */
void config__resolve(struct config *cfg);

/* @cfg as config file text that config__load() reads back; free with g_free(). */
char *config__to_string(const struct config *cfg);

#endif
