// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for flow/filter.c: every kind of rule, include/exclude, both ends, pid 0 ends. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "config.h"
#include "flow/filter.h"

#define ID_WEB "3f2a9c1b7d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"
#define ID_DB "3f2a9c1b7d4e0000000000000000000000000000000000000000000000000000"

/* The filter of "KEY", "VALUE", ..., NULL in [filter], through config__set as a file would. */
static struct flow_filter *filter_of(const char *key, ...)
{
	struct config *cfg = g_new0(struct config, 1);
	struct flow_filter *f;
	const char *k, *v;
	char err[512];
	va_list ap;

	config__defaults(cfg);
	va_start(ap, key);
	for (k = key; k; k = va_arg(ap, const char *)) {
		v = va_arg(ap, const char *);
		if (config__set(cfg, "filter", k, v, err, sizeof(err)))
			g_error("%s = %s: %s", k, v, err);
	}
	va_end(ap);
	g_assert_cmpint(flow_filter__new(&f, &cfg->filter, err, sizeof(err)), ==, 0);
	g_assert_nonnull(f);
	g_free(cfg);
	return f;
}

/* A local end: process @name (pid 100, uid 1000, /usr/bin/@name) in the host's user slice. */
static void local_end(struct flow_process *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->pid = 100;
	p->uid = 1000;
	g_strlcpy(p->name, name, sizeof(p->name));
	g_snprintf(p->exe, sizeof(p->exe), "/usr/bin/%s", name);
	g_strlcpy(p->cgroup, "/user.slice/user-1000.slice/session-1.scope", sizeof(p->cgroup));
}

/* A local end in a podman container. */
static void container_end(struct flow_process *p, const char *name, const char *id)
{
	local_end(p, "httpd");
	p->uid = 0;
	g_strlcpy(p->container.runtime, "podman", sizeof(p->container.runtime));
	g_strlcpy(p->container.id, id, sizeof(p->container.id));
	g_strlcpy(p->container.name, name, sizeof(p->container.name));
	g_snprintf(p->cgroup, sizeof(p->cgroup), "/libpod_parent/libpod-%s", id);
}

/* A record from a host client (wget) to a server end set up by the caller. */
static void record_init(struct flow_record *r)
{
	memset(r, 0, sizeof(*r));
	local_end(&r->client, "wget");
}

static void test_no_rules(void)
{
	struct flow_filter *f = filter_of(NULL);
	struct flow_record r;
	unsigned int ni, ne;

	record_init(&r);
	g_assert_true(flow_filter__pass(f, &r));
	g_assert_true(flow_filter__pass(NULL, &r));
	memset(&r, 0, sizeof(r));	/* no local end at all */
	g_assert_true(flow_filter__pass(f, &r));
	flow_filter__rules(f, &ni, &ne);
	g_assert_cmpuint(ni, ==, 0);
	g_assert_cmpuint(ne, ==, 0);
	flow_filter__free(f);
	flow_filter__free(NULL);
}

static void test_containers(void)
{
	struct flow_filter *by_name = filter_of("include_containers", "web", NULL);
	struct flow_filter *by_id = filter_of("include_containers", ID_WEB, NULL);
	struct flow_filter *by_prefix = filter_of("include_containers", "3f2a9c1b7d4e5f", NULL);
	struct flow_filter *short_hex = filter_of("include_containers", "3f2a9c1b7d4", NULL);
	struct flow_filter *twelve = filter_of("include_containers", "3f2a9c1b7d4e", NULL);
	struct flow_filter *systemd = filter_of("include_containers", "nginx.service", NULL);
	struct flow_record r;
	unsigned int ni, ne;

	record_init(&r);
	container_end(&r.server, "web", ID_WEB);
	g_assert_true(flow_filter__pass(by_name, &r));
	g_assert_true(flow_filter__pass(by_id, &r));
	g_assert_true(flow_filter__pass(by_prefix, &r));
	g_assert_true(flow_filter__pass(twelve, &r));
	/* 11 digits are only a name, and no container is called that. */
	g_assert_false(flow_filter__pass(short_hex, &r));

	container_end(&r.server, "db", ID_DB);
	g_assert_false(flow_filter__pass(by_name, &r));
	g_assert_false(flow_filter__pass(by_id, &r));
	g_assert_false(flow_filter__pass(by_prefix, &r));
	/* The shared 12 digits select both containers. */
	g_assert_true(flow_filter__pass(twelve, &r));

	/* A container without a name (yet) is found by its id. */
	container_end(&r.server, "", ID_WEB);
	g_assert_false(flow_filter__pass(by_name, &r));
	g_assert_true(flow_filter__pass(by_prefix, &r));

	/* A name that looks like an id prefix still matches as a name. */
	container_end(&r.server, "3f2a9c1b7d4", ID_DB);
	g_assert_true(flow_filter__pass(short_hex, &r));

	/* Host processes and systemd units are no containers, whatever their fields say. */
	local_end(&r.server, "web");
	g_assert_false(flow_filter__pass(by_name, &r));
	g_strlcpy(r.server.container.runtime, "systemd", sizeof(r.server.container.runtime));
	g_strlcpy(r.server.container.id, "nginx.service", sizeof(r.server.container.id));
	g_strlcpy(r.server.container.name, "web", sizeof(r.server.container.name));
	g_assert_false(flow_filter__pass(by_name, &r));
	g_assert_false(flow_filter__pass(systemd, &r));

	flow_filter__rules(twelve, &ni, &ne);
	g_assert_cmpuint(ni, ==, 1);
	g_assert_cmpuint(ne, ==, 0);
	flow_filter__free(by_name);
	flow_filter__free(by_id);
	flow_filter__free(by_prefix);
	flow_filter__free(short_hex);
	flow_filter__free(twelve);
	flow_filter__free(systemd);
}

static void test_pod_namespaces(void)
{
	struct flow_filter *f = filter_of("include_pod_namespaces", "kube-system prod", NULL);
	struct flow_record r;

	record_init(&r);
	container_end(&r.server, "api", ID_WEB);
	g_strlcpy(r.server.container.runtime, "containerd", sizeof(r.server.container.runtime));
	g_assert_false(flow_filter__pass(f, &r));
	g_strlcpy(r.server.container.pod_namespace, "prod",
		  sizeof(r.server.container.pod_namespace));
	g_assert_true(flow_filter__pass(f, &r));
	g_strlcpy(r.server.container.pod_namespace, "production",
		  sizeof(r.server.container.pod_namespace));
	g_assert_false(flow_filter__pass(f, &r));
	g_strlcpy(r.server.container.pod_namespace, "kube-system",
		  sizeof(r.server.container.pod_namespace));
	g_assert_true(flow_filter__pass(f, &r));
	flow_filter__free(f);
}

struct cgroup_case {
	const char *pattern;
	const char *path;
	bool match;
};

static const struct cgroup_case cgroup_cases[] = {
	{ "/system.slice", "/system.slice", true },
	{ "/system.slice", "/system.slice/x.service", true },
	{ "/system.slice", "/system.slice/x.service/sub", true },
	{ "/system.slice", "/system.slice2", false },
	{ "/system.slice", "/system.slice2/x.service", false },
	{ "/system.slice", "/system.slic", false },
	{ "/system.slice", "/user.slice/system.slice", false },
	{ "/system.slice/", "/system.slice/x.service", true },	/* trailing '/' dropped */
	{ "/system.slice/x.service", "/system.slice", false },
	{ "/system.slice/x.service", "/system.slice/x.service", true },
	{ "/system.slice/x.service", "/system.slice/x.services", false },
	{ "/", "/", true },
	{ "/", "/anything/at/all", true },
	{ "/", "", false },					/* cgroup unknown */
	{ "/libpod_parent", "/libpod_parent/libpod-" ID_WEB, true },
};

static void test_cgroups(void)
{
	struct flow_filter *f;
	struct flow_record r;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cgroup_cases); i++) {
		const struct cgroup_case *c = &cgroup_cases[i];

		g_test_message("pattern %s, path \"%s\"", c->pattern, c->path);
		f = filter_of("include_cgroups", c->pattern, NULL);
		record_init(&r);
		g_strlcpy(r.client.cgroup, c->path, sizeof(r.client.cgroup));
		g_assert_cmpint(flow_filter__pass(f, &r), ==, c->match);
		flow_filter__free(f);
	}

	/* Several prefixes, one of them deep. */
	f = filter_of("include_cgroups", "/a/b/c /system.slice", NULL);
	record_init(&r);
	g_strlcpy(r.client.cgroup, "/a/b/c/d", sizeof(r.client.cgroup));
	g_assert_true(flow_filter__pass(f, &r));
	g_strlcpy(r.client.cgroup, "/a/b", sizeof(r.client.cgroup));
	g_assert_false(flow_filter__pass(f, &r));
	flow_filter__free(f);
}

static void test_processes(void)
{
	struct flow_filter *by_comm = filter_of("include_processes", "curl", NULL);
	struct flow_filter *by_exe = filter_of("include_processes", "/usr/bin/curl", NULL);
	struct flow_filter *long_comm = filter_of("include_processes", "abcdefghijklmno", NULL);
	struct flow_record r;

	record_init(&r);
	g_assert_false(flow_filter__pass(by_comm, &r));
	g_assert_false(flow_filter__pass(by_exe, &r));
	local_end(&r.client, "curl");
	g_assert_true(flow_filter__pass(by_comm, &r));
	g_assert_true(flow_filter__pass(by_exe, &r));

	/* A renamed comm with curl's executable: the path pattern still sees it. */
	g_strlcpy(r.client.name, "worker", sizeof(r.client.name));
	g_assert_false(flow_filter__pass(by_comm, &r));
	g_assert_true(flow_filter__pass(by_exe, &r));
	/* Another executable named curl: only the comm pattern. */
	local_end(&r.client, "curl");
	g_strlcpy(r.client.exe, "/opt/curl/bin/curl", sizeof(r.client.exe));
	g_assert_true(flow_filter__pass(by_comm, &r));
	g_assert_false(flow_filter__pass(by_exe, &r));

	/* The 15 characters the kernel keeps. */
	local_end(&r.client, "abcdefghijklmno");
	g_assert_true(flow_filter__pass(long_comm, &r));
	flow_filter__free(by_comm);
	flow_filter__free(by_exe);
	flow_filter__free(long_comm);
}

static void test_users(void)
{
	struct flow_filter *f = filter_of("include_users", "root 4294967294;1000", NULL);
	struct flow_filter *none = filter_of("include_users", "1", NULL);
	struct flow_record r;

	record_init(&r);
	r.client.uid = 1000;
	g_assert_true(flow_filter__pass(f, &r));
	g_assert_false(flow_filter__pass(none, &r));
	r.client.uid = 0;
	g_assert_true(flow_filter__pass(f, &r));	/* "root", resolved to 0 */
	r.client.uid = 4294967294u;
	g_assert_true(flow_filter__pass(f, &r));
	r.client.uid = 999;
	g_assert_false(flow_filter__pass(f, &r));
	flow_filter__free(f);
	flow_filter__free(none);
}

/* Include rules add up across kinds; an exclude rule wins; either end can match. */
static void test_include_exclude(void)
{
	struct flow_filter *f = filter_of("include_containers", "web db", "include_users", "1000",
					  "exclude_processes", "wget", "exclude_cgroups",
					  "/libpod_parent/libpod-" ID_DB, NULL);
	struct flow_filter *only_exclude = filter_of("exclude_containers", "web", NULL);
	struct flow_record r;
	unsigned int ni, ne;

	flow_filter__rules(f, &ni, &ne);
	g_assert_cmpuint(ni, ==, 3);
	g_assert_cmpuint(ne, ==, 2);

	/* curl (uid 1000) on the host to web: included twice over. */
	record_init(&r);
	local_end(&r.client, "curl");
	container_end(&r.server, "web", ID_WEB);
	g_assert_true(flow_filter__pass(f, &r));
	g_assert_false(flow_filter__pass(only_exclude, &r));
	/* wget to web: included by both, excluded by the client. */
	local_end(&r.client, "wget");
	g_assert_false(flow_filter__pass(f, &r));
	/* curl to db: included by name, excluded by db's cgroup. */
	local_end(&r.client, "curl");
	container_end(&r.server, "db", ID_DB);
	g_assert_false(flow_filter__pass(f, &r));
	/* curl as uid 1001 to another container: nothing includes it. */
	r.client.uid = 1001;
	container_end(&r.server, "cache", ID_WEB);
	g_assert_false(flow_filter__pass(f, &r));
	g_assert_true(flow_filter__pass(only_exclude, &r));
	/* The same, but the client is the included container: the client end matches. */
	container_end(&r.client, "web", ID_WEB);
	local_end(&r.server, "sshd");
	r.server.uid = 0;
	g_assert_true(flow_filter__pass(f, &r));
	g_assert_false(flow_filter__pass(only_exclude, &r));
	flow_filter__free(f);
	flow_filter__free(only_exclude);
}

/*
 * An end with pid 0 is remote or unknown: it matches no rule, whatever its
 * other fields hold, so it can neither include nor exclude a flow.
 */
static void test_pid0_ends(void)
{
	struct flow_filter *inc = filter_of("include_containers", "web", "include_cgroups", "/",
					    "include_users", "0", NULL);
	struct flow_filter *exc = filter_of("exclude_containers", "web", "exclude_users", "0",
					    NULL);
	struct flow_record r;

	memset(&r, 0, sizeof(r));	/* both ends unknown: uid 0, runtime "" */
	g_assert_false(flow_filter__pass(inc, &r));
	g_assert_true(flow_filter__pass(exc, &r));

	/* Stale identity on a pid 0 end is ignored. */
	container_end(&r.server, "web", ID_WEB);
	r.server.pid = 0;
	g_assert_false(flow_filter__pass(inc, &r));
	g_assert_true(flow_filter__pass(exc, &r));

	/* A remote client to a local server in web: the server decides. */
	r.server.pid = 42;
	g_assert_true(flow_filter__pass(inc, &r));
	g_assert_false(flow_filter__pass(exc, &r));
	flow_filter__free(inc);
	flow_filter__free(exc);
}

/* flow_filter__new() refuses what config.c would not have let through. */
static void test_bad_lists(void)
{
	struct filter_lists *lists = g_new0(struct filter_lists, 1);
	static int not_a_filter;
	struct flow_filter *f = (void *)&not_a_filter;
	char err[256];

	g_strlcpy(lists->exclude[FILTER_USERS], "0 root", sizeof(lists->exclude[0]));
	g_assert_cmpint(flow_filter__new(&f, lists, err, sizeof(err)), ==, -EINVAL);
	g_assert_null(f);
	g_assert_cmpstr(err, ==, "\"root\" is not a uid");

	memset(lists, 0, sizeof(*lists));
	g_strlcpy(lists->include[FILTER_CGROUPS], "system.slice", sizeof(lists->include[0]));
	g_assert_cmpint(flow_filter__new(&f, lists, err, sizeof(err)), ==, -EINVAL);
	g_assert_null(f);
	g_free(lists);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/filter/no_rules", test_no_rules);
	g_test_add_func("/filter/containers", test_containers);
	g_test_add_func("/filter/pod_namespaces", test_pod_namespaces);
	g_test_add_func("/filter/cgroups", test_cgroups);
	g_test_add_func("/filter/processes", test_processes);
	g_test_add_func("/filter/users", test_users);
	g_test_add_func("/filter/include_exclude", test_include_exclude);
	g_test_add_func("/filter/pid0_ends", test_pid0_ends);
	g_test_add_func("/filter/bad_lists", test_bad_lists);
	return g_test_run();
}
