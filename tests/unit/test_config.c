// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for config.c: defaults, every key, each error with its FILE:LINE, URIs, numbers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "config.h"
#include "source/mechanism.h"

static char *tmp_dir;

/* Write @len bytes of @text (-1: up to the NUL) to a fresh file; returns its path (g_free). */
static char *write_conf(const char *text, gssize len)
{
	static unsigned int n;
	char *path = g_strdup_printf("%s/t%u.conf", tmp_dir, n++);

	g_assert_true(g_file_set_contents(path, text, len, NULL));
	return path;
}

static struct config *new_defaults(void)
{
	struct config *cfg = g_new0(struct config, 1);

	config__defaults(cfg);
	return cfg;
}

/* The same configuration, compared through the text that --check prints. */
static void assert_same_config(const struct config *a, const struct config *b)
{
	char *ta = config__to_string(a), *tb = config__to_string(b);

	g_assert_cmpstr(ta, ==, tb);
	g_free(ta);
	g_free(tb);
}

static void test_defaults(void)
{
	struct config *cfg = new_defaults();

	g_assert_cmpstr(cfg->path, ==, "");
	g_assert_cmpint(cfg->n_collectors, ==, 0);
	g_assert_cmpint(cfg->print, ==, 0);
	g_assert_cmpuint(cfg->observation_domain_id, ==, 0);
	g_assert_cmpuint(cfg->template_refresh_s, ==, 60);
	g_assert_cmpuint(cfg->tcp_buffer_records, ==, 20000);
	g_assert_cmpuint(cfg->exit_drain_s, ==, 5);
	g_assert_cmpuint(cfg->enterprise_id, ==, 32473);
	g_assert_cmpstr(cfg->template, ==, "default");
	g_assert_cmpuint(cfg->active_timeout_s, ==, 60);
	g_assert_cmpuint(cfg->idle_timeout_s, ==, 15);
	g_assert_cmpuint(cfg->max_flows, ==, 262144);
	g_assert_cmpuint(cfg->max_sockets, ==, 262144);
	g_assert_cmpuint(cfg->max_udp_flows, ==, 65536);
	g_assert_cmpuint(cfg->poll_interval_s, ==, 10);
	g_assert_cmpuint(cfg->conntrack_rcvbuf_kib, ==, 8192);
	g_assert_cmpuint(cfg->ringbuf_kib, ==, 8192);
	g_assert_cmpstr(cfg->log_level, ==, "info");
	g_assert_cmpuint(cfg->stats_interval_s, ==, 60);
	for (int k = 0; k < FILTER_KINDS; k++) {
		g_assert_cmpstr(cfg->filter.include[k], ==, "");
		g_assert_cmpstr(cfg->filter.exclude[k], ==, "");
	}
	g_free(cfg);
}

static void test_every_key(void)
{
	struct config *cfg = new_defaults();
	char err[1024] = "";
	char *path = write_conf(
		"# every key, none at its default\n"
		"[export]\n"
		"collectors = udp://127.0.0.1:4739; tcp://[::1]:4740  file:/tmp/x.ipfix\n"
		"observation_domain_id = 4294967295\n"
		"template_refresh = 86400\n"
		"tcp_buffer_records = 10000000\n"
		"exit_drain = 60\n"
		"print = json\n"
		"enterprise_id = 4294967295\n"
		"template = /etc/sockflow/mine.tmpl\n"
		"[flow]\n"
		"active_timeout = 1\n"
		"idle_timeout = 86400\n"
		"max_flows = 1024\n"
		"[kernel]\n"
		"max_sockets = 16777216\n"
		"ringbuf_size_kib = 64\n"
		"disable_mechanisms = fentry, map_iter;fentry\n"
		"[filter]\n"
		"include_containers = web; 3f2a9c1b7d4e\n"
		"exclude_containers = db\n"
		"include_pod_namespaces = prod\n"
		"exclude_pod_namespaces = kube-system\n"
		"include_cgroups = /system.slice/\n"
		"exclude_cgroups = /system.slice/sshd.service\n"
		"include_processes = nginx /usr/sbin/sshd\n"
		"exclude_processes = curl\n"
		"include_users = root;\n"
		"exclude_users = 65534\n"
		"[log]\n"
		"level = debug\n"
		"stats_interval = 0\n", -1);

	g_assert_cmpint(config__load(cfg, path, err, sizeof(err)), ==, 0);
	g_assert_cmpstr(err, ==, "");
	g_assert_cmpstr(cfg->path, ==, path);
	g_assert_cmpint(cfg->n_collectors, ==, 3);
	g_assert_cmpint(cfg->collectors[0].transport, ==, COLLECTOR_UDP);
	g_assert_cmpstr(cfg->collectors[0].host, ==, "127.0.0.1");
	g_assert_cmpstr(cfg->collectors[0].port, ==, "4739");
	g_assert_cmpint(cfg->collectors[1].transport, ==, COLLECTOR_TCP);
	g_assert_cmpstr(cfg->collectors[1].host, ==, "::1");
	g_assert_cmpstr(cfg->collectors[1].port, ==, "4740");
	g_assert_cmpint(cfg->collectors[2].transport, ==, COLLECTOR_FILE);
	g_assert_cmpstr(cfg->collectors[2].path, ==, "/tmp/x.ipfix");
	g_assert_cmpint(cfg->print, ==, PRINT_JSON);
	g_assert_cmpuint(cfg->observation_domain_id, ==, 4294967295u);
	g_assert_cmpuint(cfg->template_refresh_s, ==, 86400);
	g_assert_cmpuint(cfg->tcp_buffer_records, ==, 10000000);
	g_assert_cmpuint(cfg->exit_drain_s, ==, 60);
	g_assert_cmpuint(cfg->enterprise_id, ==, 4294967295u);
	g_assert_cmpstr(cfg->template, ==, "/etc/sockflow/mine.tmpl");
	g_assert_cmpuint(cfg->active_timeout_s, ==, 1);
	g_assert_cmpuint(cfg->idle_timeout_s, ==, 86400);
	g_assert_cmpuint(cfg->max_flows, ==, 1024);
	g_assert_cmpuint(cfg->max_sockets, ==, 16777216);
	g_assert_cmpuint(cfg->ringbuf_kib, ==, 64);
	/* Normal form: table order, once each. */
	g_assert_cmpstr(cfg->disable_mechanisms, ==, "map_iter fentry");
	g_assert_cmpuint(cfg->disabled_mechanisms, ==,
			 (1u << SF_MECH_MAP_ITER) | (1u << SF_MECH_FENTRY));
	g_assert_cmpstr(cfg->log_level, ==, "debug");
	g_assert_cmpuint(cfg->stats_interval_s, ==, 0);
	/* Normal form: single spaces, no trailing '/', user names as uids. */
	g_assert_cmpstr(cfg->filter.include[FILTER_CONTAINERS], ==, "web 3f2a9c1b7d4e");
	g_assert_cmpstr(cfg->filter.exclude[FILTER_CONTAINERS], ==, "db");
	g_assert_cmpstr(cfg->filter.include[FILTER_POD_NAMESPACES], ==, "prod");
	g_assert_cmpstr(cfg->filter.exclude[FILTER_POD_NAMESPACES], ==, "kube-system");
	g_assert_cmpstr(cfg->filter.include[FILTER_CGROUPS], ==, "/system.slice");
	g_assert_cmpstr(cfg->filter.exclude[FILTER_CGROUPS], ==, "/system.slice/sshd.service");
	g_assert_cmpstr(cfg->filter.include[FILTER_PROCESSES], ==, "nginx /usr/sbin/sshd");
	g_assert_cmpstr(cfg->filter.exclude[FILTER_PROCESSES], ==, "curl");
	g_assert_cmpstr(cfg->filter.include[FILTER_USERS], ==, "0");
	g_assert_cmpstr(cfg->filter.exclude[FILTER_USERS], ==, "65534");
	g_free(path);
	g_free(cfg);
}

/* Blanks around '=' and at line ends, indented lines, CRLF, a group given twice, an empty file. */
static void test_layout(void)
{
	struct config *cfg = new_defaults();
	char err[1024];
	char *path = write_conf("\r\n  # indented comment\r\n[flow]  \r\n"
				"\tactive_timeout\t=\t90 \t\r\n"
				"[log]\r\nlevel=warn\r\n[flow]\r\nidle_timeout =7\r\n", -1);

	g_assert_cmpint(config__load(cfg, path, err, sizeof(err)), ==, 0);
	g_assert_cmpuint(cfg->active_timeout_s, ==, 90);
	g_assert_cmpuint(cfg->idle_timeout_s, ==, 7);
	g_assert_cmpstr(cfg->log_level, ==, "warn");
	g_free(path);

	path = write_conf("", -1);
	g_assert_cmpint(config__load(cfg, path, err, sizeof(err)), ==, 0);
	/* A file only overrides what it sets. */
	g_assert_cmpuint(cfg->active_timeout_s, ==, 90);
	g_free(path);
	g_free(cfg);
}

static void test_missing_file(void)
{
	struct config *cfg = new_defaults(), *before = new_defaults();
	char *path = g_strdup_printf("%s/does-not-exist.conf", tmp_dir);
	char err[1024];

	g_assert_cmpint(config__load(cfg, path, err, sizeof(err)), ==, -ENOENT);
	g_assert_true(g_str_has_prefix(err, path));
	assert_same_config(cfg, before);
	g_assert_cmpstr(cfg->path, ==, "");

	/* A directory is not a config file: -EINVAL with a message, not -ENOENT. */
	g_assert_cmpint(config__load(cfg, tmp_dir, err, sizeof(err)), ==, -EINVAL);
	g_assert_nonnull(strstr(err, "not a regular file"));

	/* Nor is a FIFO, which must not block the reader waiting for a writer. */
	g_free(path);
	path = g_strdup_printf("%s/fifo.conf", tmp_dir);
	g_assert_cmpint(mkfifo(path, 0600), ==, 0);
	g_assert_cmpint(config__load(cfg, path, err, sizeof(err)), ==, -EINVAL);
	g_assert_true(g_str_has_prefix(err, path));
	g_assert_nonnull(strstr(err, ": not a regular file; expected a sockflow config file"));
	assert_same_config(cfg, before);
	unlink(path);

	/* /dev/null is an empty file: the defaults. */
	g_assert_cmpint(config__load(cfg, "/dev/null", err, sizeof(err)), ==, 0);
	g_assert_cmpstr(cfg->path, ==, "/dev/null");
	g_free(path);
	g_free(before);
	g_free(cfg);
}

/* A file with an error changes nothing, not even the keys before the error. */
static void test_error_keeps_config(void)
{
	struct config *cfg = new_defaults(), *before = new_defaults();
	char *path = write_conf("[flow]\nactive_timeout = 5\nidle_timeout = x\n", -1);
	char err[1024];

	g_assert_cmpint(config__load(cfg, path, err, sizeof(err)), ==, -EINVAL);
	assert_same_config(cfg, before);
	g_assert_cmpstr(cfg->path, ==, "");
	g_free(path);
	g_free(before);
	g_free(cfg);
}

/* A file that must fail on @line with a message holding every string in @want. */
struct bad_file {
	const char *text;
	unsigned int line;
	const char *want[3];
};

static const struct bad_file bad_files[] = {
	/* values */
	{ "[flow]\nactive_timeout = abc\n", 2,
	  { "active_timeout: \"abc\" is not a number; expected seconds 1..86400" } },
	{ "[flow]\n\n# c\nidle_timeout = 0\n", 4,
	  { "idle_timeout: \"0\" is out of range; expected seconds 1..86400" } },
	{ "[flow]\nmax_flows = 1023\n", 2,
	  { "max_flows: \"1023\" is out of range", "1024..16777216" } },
	{ "[export]\nobservation_domain_id = 4294967296\n", 2,
	  { "observation_domain_id: \"4294967296\" is out of range; expected 0..4294967295" } },
	{ "[export]\ntemplate_refresh = -1\n", 2, { "template_refresh: \"-1\" is not a number" } },
	{ "[export]\ntcp_buffer_records = 10000001\n", 2,
	  { "tcp_buffer_records", "out of range" } },
	{ "[export]\nexit_drain = 61\n", 2, { "exit_drain", "out of range" } },
	{ "[export]\nenterprise_id = 0\n", 2,
	  { "enterprise_id: \"0\" is out of range; expected a private enterprise number "
	    "1..4294967295" } },
	{ "[export]\nenterprise_id = 35632\n", 2,
	  { "enterprise_id: 35632 is taken by elements sockflow also sends",
	    "not 29305 (RFC 5103) or 35632 (ntop)" } },
	{ "[export]\nenterprise_id = 29305\n", 2, { "enterprise_id: 29305 is taken" } },
	{ "[export]\nenterprise_id = 0x7ed9\n", 2,
	  { "enterprise_id: \"0x7ed9\" is not a number" } },
	{ "[export]\ntemplate = my template\n", 2,
	  { "template: \"my template\" is not a template; expected default, full, ntop, pmacct, minimal",
	    "or a file path holding a '/'" } },
	{ "[export]\ntemplate = \n", 2, { "template: \"\" is not a template" } },
	{ "[export]\ntemplate = ..\n", 2, { "template: \"..\" is not a template" } },
	{ "[kernel]\nmax_sockets = 1e6\n", 2, { "max_sockets: \"1e6\" is not a number" } },
	{ "[kernel]\nringbuf_size_kib = 100\n", 2,
	  { "ringbuf_size_kib: \"100\" is not a power of two;",
	    "expected KiB, a power of two 64..1048576" } },
	{ "[kernel]\nringbuf_size_kib = 2097152\n", 2, { "ringbuf_size_kib", "out of range" } },
	{ "[log]\nstats_interval = \n", 2,
	  { "stats_interval: \"\" is not a number; expected seconds 0..86400, 0 = never" } },
	{ "[log]\nlevel = verbose\n", 2,
	  { "level: \"verbose\" is not a log level; expected error, warn, info or debug" } },
	{ "[export]\nprint = xml\n", 2,
	  { "print: \"xml\" is not a print format; expected text, json, none or auto" } },
	{ "[export]\ncollectors = udp://a:1;udp://b\n", 2,
	  { "collectors: \"udp://b\": missing port" } },
	{ "[export]\ncollectors = udp://a:1 udp://a:2 udp://a:3 udp://a:4 udp://a:5 udp://a:6 "
	  "udp://a:7 udp://a:8 udp://a:9\n", 2,
	  { "collectors: \"udp://a:9\": too many collectors; expected at most 8" } },
	{ "[flow]\nactive_timeout = 60 # a minute\n", 2,
	  { "is not a number", "comments go on a line of their own" } },
	{ "[log]\nlevel = \\q\n", 2, { "level: bad escape" } },
	/* [filter] */
	{ "[filter]\ninclude_containers = web bad/name\n", 2,
	  { "include_containers: \"bad/name\" is not a container name or id; expected a "
	    "container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63 characters) or id" } },
	{ "[filter]\nexclude_containers = -web\n", 2,
	  { "exclude_containers: \"-web\" is not a container name or id" } },
	{ "[filter]\ninclude_containers = \"web\"\n", 2,
	  { "include_containers: \"\"web\"\" is not a container name or id" } },
	{ "[filter]\ninclude_containers = web # front end\n", 2,
	  { "\"#\" is not a container name or id", "comments go on a line of their own" } },
	{ "[filter]\ninclude_containers = "
	  "w123456789012345678901234567890123456789012345678901234567890123\n", 2,
	  { "include_containers: \"w1234567890", "...\" is too long; expected" } },
	{ "[filter]\ninclude_containers = "
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0\n", 2,
	  { "is too long", "at most 64 digits" } },
	{ "[filter]\ninclude_containers = web;;db\n", 2,
	  { "include_containers: \"web;;db\": empty item before ';'; expected a container name",
	    "separated by ';' or spaces" } },
	{ "[filter]\ninclude_containers = ;web\n", 2, { "empty item before ';'" } },
	{ "[filter]\ninclude_containers = web; ;db\n", 2, { "empty item" } },
	{ "[filter]\ninclude_containers = web\nexclude_containers = db web\n", 3,
	  { "exclude_containers: \"web\" is in include_containers too; expected each value in "
	    "one of exclude_containers and include_containers" } },
	{ "[filter]\nexclude_users = 0\n[log]\nlevel = info\n[filter]\ninclude_users = root\n",
	  6, { "include_users: \"root\" (0) is in exclude_users too" } },
	{ "[filter]\ninclude_pod_namespaces = Prod\n", 2,
	  { "include_pod_namespaces: \"Prod\" is not a Kubernetes namespace; expected a "
	    "Kubernetes namespace: at most 63 lower-case letters, digits and '-'" } },
	{ "[filter]\nexclude_pod_namespaces = kube-\n", 2, { "is not a Kubernetes namespace" } },
	{ "[filter]\ninclude_cgroups = system.slice\n", 2,
	  { "include_cgroups: \"system.slice\" does not start with '/'; expected a cgroup v2 "
	    "path starting with '/', such as /system.slice" } },
	{ "[filter]\nexclude_cgroups = /a//b\n", 2,
	  { "exclude_cgroups: \"/a//b\" is not a cgroup path (an empty, '.' or '..' "
	    "component)" } },
	{ "[filter]\nexclude_cgroups = /a/../b\n", 2, { "is not a cgroup path" } },
	{ "[filter]\ninclude_processes = systemd-resolved\n", 2,
	  { "include_processes: \"systemd-resolved\" is longer than 15 characters, the "
	    "kernel's limit for command names; expected a command name of at most 15 "
	    "characters or an executable path starting with '/'" } },
	{ "[filter]\ninclude_processes = bin/nginx\n", 2,
	  { "include_processes: \"bin/nginx\" is a relative path" } },
	{ "[filter]\ninclude_users = no-such-user-here\n", 2,
	  { "include_users: no user \"no-such-user-here\" on this host; expected a user name "
	    "from the passwd database or a uid 0..4294967294" } },
	{ "[filter]\nexclude_users = 4294967295\n", 2,
	  { "exclude_users: uid \"4294967295\" is out of range; expected" } },
	{ "[filter]\nexclude_users = 99999999999999\n", 2, { "is out of range" } },
	{ "[filter]\ninclude = web\n", 2,
	  { "unknown key \"include\" in [filter]; expected include_containers, "
	    "exclude_containers, include_pod_namespaces" } },
	/* names */
	{ "[flow]\nactive_timeout = 1\n[flows]\n", 3,
	  { "unknown group [flows]; expected [export], [flow], [filter], [kernel], [log] or [metrics]" } },
	{ "[export]\n\n[flow]\nactive = 1\n", 4,
	  { "unknown key \"active\" in [flow];",
	    "expected active_timeout, idle_timeout, max_flows or poll_interval" } },
	{ "[flow]\nactive_timeout[de] = 1\n", 2,
	  { "unknown key \"active_timeout[de]\" in [flow]" } },
	{ "[kernel]\nmax_flows = 2048\n", 2,
	  { "unknown key \"max_flows\" in [kernel]; expected max_sockets, max_udp_flows, conntrack_rcvbuf_kib, "
	    "disable_mechanisms or ringbuf_size_kib" } },
	{ "[kernel]\ndisable_mechanisms = fentry kprobes\n", 2,
	  { "disable_mechanisms: \"kprobes\" is not a mechanism that can be disabled; expected "
	    "tcp_packets, map_iter, map_batch, task_file_iter, sock_diag_scan, sock_length_tp, fentry, kprobe, "
	    "reset_tp, retransmit_tp, sched_tp, exec_path_walk or exec_filename" } },
	{ "[kernel]\ndisable_mechanisms = map_lookup\n", 2,
	  { "\"map_lookup\" is not a mechanism that can be disabled (nothing would replace it)" } },
	{ "[kernel]\ndisable_mechanisms = tcp_packets tcp_socket_counters\n", 2,
	  { "\"tcp_socket_counters\" is not a mechanism that can be disabled (nothing would "
	    "replace it)" } },
	{ "[flow]\nidle_timeout = 5\n[log]\n[flow]\nidle_timeout = 6\n", 5,
	  { "idle_timeout is set twice (first on line 2)" } },
	/* syntax, found by GKeyFile */
	{ "[flow]\n\nactive_timeout\n", 3,
	  { "\"active_timeout\" is not a setting; expected key = value, [group] or # comment" } },
	{ "# top\nactive_timeout = 1\n[flow]\n", 2,
	  { "\"active_timeout = 1\" comes before any group; expected a [group] line first" } },
	{ "[flow]\nactive_timeout = 1\n[log\nlevel = info\n", 3,
	  { "\"[log\" is not a group header" } },
	{ "[flow] x\n", 1, { "\"[flow] x\" is not a group header" } },
	{ "[flow]\n = 5\n", 2, { "\"= 5\" has no key; expected key = value" } },
};

static void test_bad_files(void)
{
	struct config *cfg = new_defaults();
	char err[1024], *path, *prefix;
	size_t i, j;

	for (i = 0; i < G_N_ELEMENTS(bad_files); i++) {
		path = write_conf(bad_files[i].text, -1);
		prefix = g_strdup_printf("%s:%u: ", path, bad_files[i].line);
		err[0] = '\0';
		g_test_message("file %zu: %s", i, bad_files[i].text);
		g_assert_cmpint(config__load(cfg, path, err, sizeof(err)), ==, -EINVAL);
		g_test_message("message: %s", err);
		g_assert_true(g_str_has_prefix(err, prefix));
		for (j = 0; j < G_N_ELEMENTS(bad_files[i].want) && bad_files[i].want[j]; j++)
			g_assert_nonnull(strstr(err, bad_files[i].want[j]));
		g_free(prefix);
		g_free(path);
	}
	g_free(cfg);
}

static void test_nul_byte(void)
{
	static const char text[] = "[flow]\nactive_timeout = 1\n\0\n";
	struct config *cfg = new_defaults();
	char err[1024], *path = write_conf(text, sizeof(text) - 1), *prefix;

	prefix = g_strdup_printf("%s:3: NUL byte", path);
	g_assert_cmpint(config__load(cfg, path, err, sizeof(err)), ==, -EINVAL);
	g_assert_true(g_str_has_prefix(err, prefix));
	g_free(prefix);
	g_free(path);
	g_free(cfg);
}

static void test_collector_lists(void)
{
	struct config *cfg = new_defaults();
	char err[512];

	g_assert_cmpint(config__set(cfg, "export", "collectors", " ;udp://a:1;;\ttcp://b:2 ; ", err,
				    sizeof(err)), ==, 0);
	g_assert_cmpint(cfg->n_collectors, ==, 2);
	g_assert_cmpstr(cfg->collectors[1].uri, ==, "tcp://b:2");

	/* A bad list leaves the old one. */
	g_assert_cmpint(config__set(cfg, "export", "collectors", "udp://c:3 bogus", err,
				    sizeof(err)), ==, -EINVAL);
	g_assert_cmpint(cfg->n_collectors, ==, 2);
	g_assert_cmpstr(cfg->collectors[0].uri, ==, "udp://a:1");

	g_assert_cmpint(config__set(cfg, "export", "collectors", "", err, sizeof(err)), ==, 0);
	g_assert_cmpint(cfg->n_collectors, ==, 0);

	/* config__add_collector appends, up to the limit. */
	for (int i = 0; i < CONFIG_MAX_COLLECTORS; i++)
		g_assert_cmpint(config__add_collector(cfg, "udp://h:1", err, sizeof(err)), ==, 0);
	g_assert_cmpint(config__add_collector(cfg, "udp://h:1", err, sizeof(err)), ==, -E2BIG);
	g_assert_nonnull(strstr(err, "too many collectors"));
	g_assert_cmpint(cfg->n_collectors, ==, CONFIG_MAX_COLLECTORS);
	g_free(cfg);
}

/* [filter] lists through config__set and config__append, as the command line uses them. */
static void test_filter_lists(void)
{
	struct config *cfg = new_defaults(), *back = new_defaults();
	char err[1024], *text, *path;

	g_assert_cmpint(config__set(cfg, "filter", "include_containers", " web;db\tweb ;", err,
				    sizeof(err)), ==, 0);
	g_assert_cmpstr(cfg->filter.include[FILTER_CONTAINERS], ==, "web db");
	g_assert_cmpint(config__append(cfg, "filter", "include_containers", "cache", err,
				       sizeof(err)), ==, 0);
	g_assert_cmpstr(cfg->filter.include[FILTER_CONTAINERS], ==, "web db cache");

	/* A bad value, or one the other side holds, changes nothing. */
	g_assert_cmpint(config__append(cfg, "filter", "include_containers", "a:b", err,
				       sizeof(err)), ==, -EINVAL);
	g_assert_cmpstr(err, ==, "\"a:b\" is not a container name or id; expected a container "
			"name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63 characters) or id (lower-case "
			"hex, at most 64 digits; 12 or more also match as a prefix)");
	g_assert_cmpint(config__append(cfg, "filter", "exclude_containers", "db", err,
				       sizeof(err)), ==, -EINVAL);
	g_assert_cmpstr(err, ==, "\"db\" is in include_containers too; expected each value in "
			"one of exclude_containers and include_containers");
	g_assert_cmpstr(cfg->filter.include[FILTER_CONTAINERS], ==, "web db cache");
	g_assert_cmpstr(cfg->filter.exclude[FILTER_CONTAINERS], ==, "");

	/* Only filter lists take appends. */
	g_assert_cmpint(config__append(cfg, "flow", "active_timeout", "1", err, sizeof(err)), ==,
			-ENOENT);
	g_assert_cmpint(config__append(cfg, "filter", "nope", "1", err, sizeof(err)), ==,
			-ENOENT);

	/* The same prefix written two ways is one pattern; "/" stays "/". */
	g_assert_cmpint(config__set(cfg, "filter", "exclude_cgroups", "/a/b/ /a/b //", err,
				    sizeof(err)), ==, -EINVAL);
	g_assert_cmpint(config__set(cfg, "filter", "exclude_cgroups", "/a/b/ /a/b /", err,
				    sizeof(err)), ==, 0);
	g_assert_cmpstr(cfg->filter.exclude[FILTER_CGROUPS], ==, "/a/b /");
	g_assert_cmpint(config__set(cfg, "filter", "include_users", "root 0 7", err, sizeof(err)),
			==, 0);
	g_assert_cmpstr(cfg->filter.include[FILTER_USERS], ==, "0 7");
	g_assert_cmpint(config__set(cfg, "filter", "include_processes",
				    "abcdefghijklmno /opt/a\\x2db/run", err, sizeof(err)), ==, 0);

	/* An empty value clears a list. */
	g_assert_cmpint(config__set(cfg, "filter", "include_containers", "", err, sizeof(err)), ==,
			0);
	g_assert_cmpstr(cfg->filter.include[FILTER_CONTAINERS], ==, "");
	g_assert_cmpint(config__set(cfg, "filter", "exclude_containers", "db", err, sizeof(err)),
			==, 0);

	/* --check prints the lists; they read back the same. */
	text = config__to_string(cfg);
	g_assert_nonnull(strstr(text, "[filter]\n"));
	g_assert_nonnull(strstr(text, "\nexclude_cgroups=/a/b /\n"));
	path = write_conf(text, -1);
	g_assert_cmpint(config__load(back, path, err, sizeof(err)), ==, 0);
	assert_same_config(cfg, back);
	g_assert_cmpstr(back->filter.include[FILTER_PROCESSES], ==,
			"abcdefghijklmno /opt/a\\x2db/run");
	g_free(path);
	g_free(text);
	g_free(back);
	g_free(cfg);
}

struct good_uri {
	const char *uri;
	enum collector_transport transport;
	const char *host;
	const char *port;
	const char *path;
	enum collector_protocol protocol;	/* 0: IPFIX */
	enum collector_records records;		/* 0: biflow */
	const char *template_name;		/* NULL: "" */
	bool has_observation_domain;
	uint32_t observation_domain;
};

static const struct good_uri good_uris[] = {
	{ "udp://127.0.0.1:4739", COLLECTOR_UDP, "127.0.0.1", "4739", "" },
	{ "tcp://collector.example-1.org:1", COLLECTOR_TCP, "collector.example-1.org", "1", "" },
	{ "udp://[::1]:65535", COLLECTOR_UDP, "::1", "65535", "" },
	{ "tcp://[2001:db8::10]:4739", COLLECTOR_TCP, "2001:db8::10", "4739", "" },
	/* A zone names an interface that exists (lo always does here) or an index. */
	{ "udp://[fe80::1%lo]:4739", COLLECTOR_UDP, "fe80::1%lo", "4739", "" },
	{ "tcp://[fe80::1%1]:4739", COLLECTOR_TCP, "fe80::1%1", "4739", "" },
	{ "udp://h:04739", COLLECTOR_UDP, "h", "4739", "" },
	{ "file:/var/lib/sockflow/f.ipfix", COLLECTOR_FILE, "", "", "/var/lib/sockflow/f.ipfix" },
	{ "file:relative.ipfix", COLLECTOR_FILE, "", "", "relative.ipfix" },
	{ "file:///tmp/a", COLLECTOR_FILE, "", "", "/tmp/a" },
	{ "udp://h:9995?protocol=v9", COLLECTOR_UDP, "h", "9995", "", COLLECTOR_NETFLOW9 },
	{ "udp://[::1]:4739?protocol=ipfix", COLLECTOR_UDP, "::1", "4739", "" },
	{ "tcp://h:4739?protocol=ipfix", COLLECTOR_TCP, "h", "4739", "" },
	{ "udp://h:1?protocol=ipfix&protocol=v9", COLLECTOR_UDP, "h", "1", "", COLLECTOR_NETFLOW9 },
	{ "file:/tmp/a%3Fprotocol=v9", COLLECTOR_FILE, "", "", "/tmp/a?protocol=v9" },
	{ "file:/tmp/100%25%3f", COLLECTOR_FILE, "", "", "/tmp/100%?" },
	{ "file:///var/x.ipfix?records=uniflow&template=full&observation_domain=7", COLLECTOR_FILE,
	  "", "", "/var/x.ipfix", COLLECTOR_IPFIX, COLLECTOR_UNIFLOW, "full", true, 7 },
	{ "file:x?profile=pmacct", COLLECTOR_FILE, "", "", "x", COLLECTOR_IPFIX, COLLECTOR_UNIFLOW,
	  "pmacct" },
	{ "udp://h:1?records=uniflow&protocol=v9", COLLECTOR_UDP, "h", "1", "", COLLECTOR_NETFLOW9,
	  COLLECTOR_UNIFLOW },
	{ "udp://h:1?protocol=v9&records=biflow", COLLECTOR_UDP, "h", "1", "", COLLECTOR_NETFLOW9 },
	{ "udp://h:1?profile=nfdump", COLLECTOR_UDP, "h", "1", "", COLLECTOR_NETFLOW9,
	  COLLECTOR_UNIFLOW },
	{ "udp://h:1?records=biflow&profile=nfdump", COLLECTOR_UDP, "h", "1", "", COLLECTOR_NETFLOW9,
	  COLLECTOR_BIFLOW },
	{ "udp://h:1?records=uniflow", COLLECTOR_UDP, "h", "1", "", COLLECTOR_IPFIX,
	  COLLECTOR_UNIFLOW },
	{ "tcp://h:1?profile=pmacct", COLLECTOR_TCP, "h", "1", "", COLLECTOR_IPFIX,
	  COLLECTOR_UNIFLOW, "pmacct" },
	{ "udp://h:1?profile=pmacct&template=full&records=biflow", COLLECTOR_UDP, "h", "1", "",
	  COLLECTOR_IPFIX, COLLECTOR_BIFLOW, "full" },
	{ "udp://h:1?profile=ntop", COLLECTOR_UDP, "h", "1", "", COLLECTOR_IPFIX, COLLECTOR_BIFLOW,
	  "ntop" },
	{ "udp://h:1?profile=wireshark", COLLECTOR_UDP, "h", "1", "", COLLECTOR_IPFIX,
	  COLLECTOR_BIFLOW, "default" },
	{ "udp://h:1?template=/etc/sockflow/my.tmpl", COLLECTOR_UDP, "h", "1", "", COLLECTOR_IPFIX,
	  COLLECTOR_BIFLOW, "/etc/sockflow/my.tmpl" },
	{ "udp://h:1?observation_domain=4294967295", COLLECTOR_UDP, "h", "1", "", COLLECTOR_IPFIX,
	  COLLECTOR_BIFLOW, "", true, 4294967295u },
	{ "udp://h:1?observation_domain=0&protocol=v9", COLLECTOR_UDP, "h", "1", "",
	  COLLECTOR_NETFLOW9, COLLECTOR_BIFLOW, "", true, 0 },
};

struct bad_uri {
	const char *uri;
	const char *want;
};

static const struct bad_uri bad_uris[] = {
	{ "udp://h:0", "port \"0\" is out of range; expected 1..65535" },
	{ "udp://h:65536", "port \"65536\" is out of range" },
	{ "tcp://h:http", "port \"http\" is not a number" },
	{ "tcp://h:47x", "port \"47x\" is not a number" },
	{ "udp://h:", "missing port" },
	{ "udp://h", "missing port; expected HOST:PORT" },
	{ "udp://[::1]", "missing port; expected [ADDRESS]:PORT" },
	{ "udp://[::1]4739", "missing port" },
	{ "udp://:4739", "empty host" },
	{ "udp://[]:4739", "empty host" },
	{ "udp://", "empty host; expected HOST:PORT" },
	{ "udp://::1:4739", "IPv6 address without brackets" },
	{ "udp://[::1:4739", "no ']' after the IPv6 address" },
	{ "udp://[nothex]:4739", "\"nothex\" is not an IPv6 address" },
	{ "udp://[fe80::1%nosuchif0]:4739", "\"udp://[fe80::1%nosuchif0]:4739\": zone \"nosuchif0\" "
	  "is not an interface here; expected [ADDRESS%INTERFACE]:PORT with an existing interface "
	  "or its index" },
	{ "tcp://[fe80::1%]:4739", "zone \"\" is not an interface here" },
	{ "tcp://[fe80::1%0]:4739", "zone \"0\" is not an interface here" },
	{ "udp://a b:1", "\"a b\" is not a host name or address" },
	{ "udp://user@h:1", "is not a host name or address" },
	{ "sctp://h:4739",
	  "unknown scheme; expected udp://HOST:PORT, tcp://HOST:PORT or file:PATH" },
	{ "UDP://h:4739", "unknown scheme" },
	{ "h:4739", "unknown scheme" },
	{ "", "unknown scheme" },
	{ "file:", "empty path" },
	{ "file://host/x", "names a host" },
	{ "tcp://h:4739?protocol=v9", "NetFlow v9 goes over UDP only; expected "
				      "udp://HOST:PORT?protocol=v9" },
	{ "udp://h:4739?protocol=v5", "protocol \"v5\"; expected protocol=ipfix or protocol=v9" },
	{ "udp://h:4739?proto=v9", "unknown parameter \"proto=v9\"; expected protocol=ipfix|v9, "
				   "records=biflow|uniflow, template=NAME|PATH, "
				   "observation_domain=N or profile=nfdump|pmacct|ntop|wireshark" },
	{ "udp://h:4739?profile=softflowd", "profile \"softflowd\"; expected "
					    "profile=nfdump|pmacct|ntop|wireshark" },
	{ "tcp://h:4739?profile=nfdump", "NetFlow v9 goes over UDP only" },
	{ "udp://h:4739?template=", "template \"\"; expected a template name or path" },
	{ "udp://h:4739?template=.hidden", "template \".hidden\"; expected default, full" },
	{ "udp://h:4739?protocol=v9&template=full", "NetFlow v9 records have fixed fields" },
	{ "udp://h:4739?observation_domain=-1", "observation_domain \"-1\"; expected a number" },
	{ "udp://h:4739?observation_domain=4294967296", "observation_domain \"4294967296\"" },
	{ "udp://h:4739?observation_domain=", "observation_domain \"\"; expected a number" },
	{ "udp://h:4739?protocol=v9&records=both", "records \"both\"; expected records=biflow or "
						   "records=uniflow" },
	{ "udp://h:4739?", "empty parameter" },
	{ "file:/tmp/a?protocol=v9", "NetFlow v9 goes over UDP only" },
	{ "file:/tmp/a?profile=nfdump", "NetFlow v9 goes over UDP only" },
	{ "file:/tmp/50%", "\"%\" in the path; expected %3F for a '?' or %25 for a '%'" },
	{ "file:/tmp/a%41", "\"%41\" in the path" },
	{ "file:?records=uniflow", "empty path" },
	{ "file:/tmp/a?colour=red", "unknown parameter \"colour=red\"" },
	{ "udp://h:4739?protocol=v9&", "empty parameter" },
	{ "udp://h:47x?protocol=v9", "port \"47x\" is not a number" },
};

static void test_uris(void)
{
	struct collector c;
	char err[512], *prefix;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(good_uris); i++) {
		g_test_message("uri %s", good_uris[i].uri);
		g_assert_cmpint(config__parse_collector(&c, good_uris[i].uri, err, sizeof(err)), ==,
				0);
		g_assert_cmpint(c.transport, ==, good_uris[i].transport);
		g_assert_cmpstr(c.host, ==, good_uris[i].host);
		g_assert_cmpstr(c.port, ==, good_uris[i].port);
		g_assert_cmpstr(c.path, ==, good_uris[i].path);
		g_assert_cmpstr(c.uri, ==, good_uris[i].uri);
		g_assert_cmpint(c.protocol, ==,
				good_uris[i].protocol ? good_uris[i].protocol : COLLECTOR_IPFIX);
		g_assert_cmpint(c.records, ==,
				good_uris[i].records ? good_uris[i].records : COLLECTOR_BIFLOW);
		g_assert_cmpstr(c.template_name, ==,
				good_uris[i].template_name ? good_uris[i].template_name : "");
		g_assert_cmpint(c.has_observation_domain, ==, good_uris[i].has_observation_domain);
		g_assert_cmpuint(c.observation_domain, ==, good_uris[i].observation_domain);
	}
	for (i = 0; i < G_N_ELEMENTS(bad_uris); i++) {
		g_test_message("uri %s", bad_uris[i].uri);
		err[0] = '\0';
		g_assert_cmpint(config__parse_collector(&c, bad_uris[i].uri, err, sizeof(err)), ==,
				-EINVAL);
		g_test_message("message: %s", err);
		prefix = g_strdup_printf("\"%s\": ", bad_uris[i].uri);
		g_assert_true(g_str_has_prefix(err, prefix));
		g_assert_nonnull(strstr(err, bad_uris[i].want));
		g_free(prefix);
	}
}

static void test_parse_u32(void)
{
	uint32_t v = 77;

	g_assert_cmpint(config__parse_u32("0", 0, 10, &v), ==, 0);
	g_assert_cmpuint(v, ==, 0);
	g_assert_cmpint(config__parse_u32("4294967295", 0, UINT32_MAX, &v), ==, 0);
	g_assert_cmpuint(v, ==, UINT32_MAX);
	g_assert_cmpint(config__parse_u32("007", 0, 10, &v), ==, 0);
	g_assert_cmpuint(v, ==, 7);
	g_assert_cmpint(config__parse_u32("5", 5, 5, &v), ==, 0);

	v = 77;
	g_assert_cmpint(config__parse_u32(NULL, 0, 10, &v), ==, -EINVAL);
	g_assert_cmpint(config__parse_u32("", 0, 10, &v), ==, -EINVAL);
	g_assert_cmpint(config__parse_u32("+1", 0, 10, &v), ==, -EINVAL);
	g_assert_cmpint(config__parse_u32("-1", 0, 10, &v), ==, -EINVAL);
	g_assert_cmpint(config__parse_u32(" 1", 0, 10, &v), ==, -EINVAL);
	g_assert_cmpint(config__parse_u32("1 ", 0, 10, &v), ==, -EINVAL);
	g_assert_cmpint(config__parse_u32("1x", 0, 10, &v), ==, -EINVAL);
	g_assert_cmpint(config__parse_u32("0x10", 0, 100, &v), ==, -EINVAL);
	g_assert_cmpint(config__parse_u32("1.5", 0, 10, &v), ==, -EINVAL);
	g_assert_cmpint(config__parse_u32("99999999999999999999x", 0, UINT32_MAX, &v), ==, -EINVAL);
	g_assert_cmpint(config__parse_u32("4294967296", 0, UINT32_MAX, &v), ==, -ERANGE);
	g_assert_cmpint(config__parse_u32("18446744073709551617", 0, UINT32_MAX, &v), ==, -ERANGE);
	g_assert_cmpint(config__parse_u32("4", 5, 10, &v), ==, -ERANGE);
	g_assert_cmpint(config__parse_u32("11", 5, 10, &v), ==, -ERANGE);
	g_assert_cmpuint(v, ==, 77);	/* untouched on error */
}

/* config__set is what the command line uses: same checks, messages without a key name. */
static void test_set(void)
{
	struct config *cfg = new_defaults();
	char err[512];

	g_assert_cmpint(config__set(cfg, "flow", "active_timeout", "120", err, sizeof(err)), ==, 0);
	g_assert_cmpuint(cfg->active_timeout_s, ==, 120);
	g_assert_cmpint(config__set(cfg, "flow", "active_timeout", "0", err, sizeof(err)), ==,
			-ERANGE);
	g_assert_cmpstr(err, ==, "\"0\" is out of range; expected seconds 1..86400");
	g_assert_cmpint(config__set(cfg, "flow", "active_timeout", "x", err, sizeof(err)), ==,
			-EINVAL);
	g_assert_cmpstr(err, ==, "\"x\" is not a number; expected seconds 1..86400");
	g_assert_cmpuint(cfg->active_timeout_s, ==, 120);
	g_assert_cmpint(config__set(cfg, "flow", "nope", "1", err, sizeof(err)), ==, -ENOENT);
	g_assert_cmpint(config__set(cfg, "nope", "active_timeout", "1", err, sizeof(err)), ==,
			-ENOENT);
	/* err may be NULL */
	g_assert_cmpint(config__set(cfg, "log", "level", "loud", NULL, 0), ==, -EINVAL);

	/* A template is a name in the templates directory or a path; a bad one changes nothing. */
	g_assert_cmpint(config__set(cfg, "export", "template", "ntop", err, sizeof(err)), ==, 0);
	g_assert_cmpstr(cfg->template, ==, "ntop");
	g_assert_cmpint(config__set(cfg, "export", "template", "my-list_2.v1", err, sizeof(err)),
			==, 0);
	g_assert_cmpint(config__set(cfg, "export", "template", "./a b.tmpl", err, sizeof(err)), ==,
			0);
	g_assert_cmpstr(cfg->template, ==, "./a b.tmpl");
	g_assert_cmpint(config__set(cfg, "export", "template", ".hidden", err, sizeof(err)), ==,
			-EINVAL);
	g_assert_cmpint(config__set(cfg, "export", "template", "a\\b", err, sizeof(err)), ==,
			-EINVAL);
	g_assert_cmpstr(cfg->template, ==, "./a b.tmpl");
	g_assert_cmpint(config__set(cfg, "export", "enterprise_id", "1", err, sizeof(err)), ==, 0);
	g_assert_cmpuint(cfg->enterprise_id, ==, 1);
	g_assert_cmpint(config__set(cfg, "export", "enterprise_id", "4294967296", err, sizeof(err)),
			==, -ERANGE);
	g_assert_cmpint(config__set(cfg, "export", "enterprise_id", "35632", err, sizeof(err)), ==,
			-EINVAL);
	g_assert_cmpuint(cfg->enterprise_id, ==, 1);
	g_free(cfg);
}

static void test_resolve(void)
{
	struct config *cfg = new_defaults();
	char err[512];

	config__resolve(cfg);
	g_assert_cmpint(cfg->print, ==, PRINT_TEXT);

	config__defaults(cfg);
	g_assert_cmpint(config__add_collector(cfg, "udp://h:1", err, sizeof(err)), ==, 0);
	config__resolve(cfg);
	g_assert_cmpint(cfg->print, ==, PRINT_NONE);

	/* A choice already made stays. */
	config__defaults(cfg);
	g_assert_cmpint(config__set(cfg, "export", "print", "json", err, sizeof(err)), ==, 0);
	config__resolve(cfg);
	g_assert_cmpint(cfg->print, ==, PRINT_JSON);
	g_assert_cmpint(config__set(cfg, "export", "print", "auto", err, sizeof(err)), ==, 0);
	g_assert_cmpint(cfg->print, ==, 0);
	g_free(cfg);
}

/* What config__to_string writes, config__load reads back the same. */
static void test_round_trip(void)
{
	static const char uris[] = "udp://[::1]:4739 file:/tmp/a\\b tcp://h:9";
	struct config *a = new_defaults(), *b = new_defaults();
	char err[512], *text, *path;

	g_assert_cmpint(config__set(a, "export", "collectors", uris, err, sizeof(err)), ==, 0);
	g_assert_cmpint(config__set(a, "kernel", "ringbuf_size_kib", "1024", err, sizeof(err)), ==,
			0);
	g_assert_cmpint(config__set(a, "log", "level", "error", err, sizeof(err)), ==, 0);
	g_assert_cmpint(config__set(a, "export", "print", "none", err, sizeof(err)), ==, 0);
	g_assert_cmpint(config__set(a, "export", "template", "/tmp/my list\\1.tmpl", err,
				    sizeof(err)), ==, 0);
	g_assert_cmpint(config__set(a, "export", "enterprise_id", "12345", err, sizeof(err)), ==,
			0);
	a->stats_interval_s = 0;
	text = config__to_string(a);
	path = write_conf(text, -1);
	g_assert_cmpint(config__load(b, path, err, sizeof(err)), ==, 0);
	assert_same_config(a, b);
	g_assert_cmpstr(b->collectors[1].path, ==, "/tmp/a\\b");
	g_assert_cmpstr(b->template, ==, "/tmp/my list\\1.tmpl");
	g_assert_cmpuint(b->enterprise_id, ==, 12345);
	g_free(text);
	g_free(path);
	g_free(a);
	g_free(b);
}

/*
 * etc/sockflow.conf loads as shipped, shows every key, and the value shown for
 * each is the built-in default.
 */
static void test_shipped_file(void)
{
	static const char *const keys[] = {
		"collectors", "observation_domain_id", "template_refresh", "tcp_buffer_records",
		"exit_drain", "enterprise_id", "template", "print", "active_timeout", "idle_timeout", "max_flows",
		"max_sockets", "ringbuf_size_kib", "level", "stats_interval",
		"include_containers", "exclude_containers", "include_pod_namespaces",
		"exclude_pod_namespaces", "include_cgroups", "exclude_cgroups",
		"include_processes", "exclude_processes", "include_users", "exclude_users",
	};
	struct config *cfg = new_defaults(), *def = new_defaults();
	const char *srcdir = g_getenv("top_srcdir");
	char err[1024], *path, *text, *uncommented, *tmp_path, *pattern;
	GRegex *re;
	size_t i;

	if (!srcdir) {
		g_test_skip("top_srcdir not set (run through make check)");
		goto out;
	}
	path = g_build_filename(srcdir, "etc", "sockflow.conf", NULL);
	g_assert_cmpint(config__load(cfg, path, err, sizeof(err)), ==, 0);
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));

	/* "#key = value" lines are the shown defaults; make them settings. */
	re = g_regex_new("^#([a-z_]+ =)", G_REGEX_MULTILINE, 0, NULL);
	uncommented = g_regex_replace(re, text, -1, 0, "\\1", 0, NULL);
	for (i = 0; i < G_N_ELEMENTS(keys); i++) {
		pattern = g_strdup_printf("\n%s =", keys[i]);
		g_test_message("key %s", keys[i]);
		g_assert_nonnull(strstr(uncommented, pattern));
		g_free(pattern);
	}
	tmp_path = write_conf(uncommented, -1);
	g_assert_cmpint(config__load(cfg, tmp_path, err, sizeof(err)), ==, 0);
	assert_same_config(cfg, def);

	g_free(tmp_path);
	g_free(uncommented);
	g_regex_unref(re);
	g_free(text);
	g_free(path);
out:
	g_free(def);
	g_free(cfg);
}

/* Remove the temporary directory and the t<N>.conf files in it. */
static void remove_tmp_dir(void)
{
	GDir *dir = g_dir_open(tmp_dir, 0, NULL);
	const char *name;
	char *path;

	while (dir && (name = g_dir_read_name(dir))) {
		path = g_build_filename(tmp_dir, name, NULL);
		g_unlink(path);
		g_free(path);
	}
	if (dir)
		g_dir_close(dir);
	g_rmdir(tmp_dir);
	g_free(tmp_dir);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmp_dir = g_dir_make_tmp("test_config-XXXXXX", NULL);
	g_assert_nonnull(tmp_dir);

	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/every_key", test_every_key);
	g_test_add_func("/config/layout", test_layout);
	g_test_add_func("/config/missing_file", test_missing_file);
	g_test_add_func("/config/error_keeps_config", test_error_keeps_config);
	g_test_add_func("/config/bad_files", test_bad_files);
	g_test_add_func("/config/nul_byte", test_nul_byte);
	g_test_add_func("/config/collector_lists", test_collector_lists);
	g_test_add_func("/config/filter_lists", test_filter_lists);
	g_test_add_func("/config/uris", test_uris);
	g_test_add_func("/config/parse_u32", test_parse_u32);
	g_test_add_func("/config/set", test_set);
	g_test_add_func("/config/resolve", test_resolve);
	g_test_add_func("/config/round_trip", test_round_trip);
	g_test_add_func("/config/shipped_file", test_shipped_file);
	rc = g_test_run();
	remove_tmp_dir();
	return rc;
}
