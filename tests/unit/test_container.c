// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for container.c, cgroup_path.c, runtime_state.c: each runtime's paths, caches, JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "enrich/container.h"

#define HOUR_NS (3600ull * 1000000000ull)

#define PODMAN_ID "4ca96cf29ceca3c8819bd2113ee54a68d64b81ebf0685fdbe0e4f3d3bf770147"
#define PODMAN_NOIMAGE_ID "0f6a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef"
#define CRIO_ID "5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c"
#define CRIO_POD "a5c1f8d5-1919-434d-add7-4afaafdaef89"
#define CRIO_SANDBOX_ID "0ba8ac17e4e7a31fb82279503552fe94e64bab4745bf6fd2ff231e7c8ca8bed0"
#define CRIO_SANDBOX_POD "2ca4a155-3599-498d-bb9d-4446693fa3ea"
#define CONTAINERD_ID "09d185410c4e25236cc24717f881589bb0978b24eafd101624e627a4dd8d3439"
#define CONTAINERD_POD "03f3f104-3215-44f2-9686-d4dd1f05a7ed"
#define DOCKER_ID "ff90ed5efd657539ce42198e0d61661d62f2a5d8de9439e2aeb046fb1ef4e0af"
#define DOCKERSHIM_ID "d28e0087cf8f3f0429f755d60b0de415b20fcf76736ded7bab6e30e7b739ee36"
#define DOCKERSHIM_POD "9a18ffb8-8513-11e7-b26e-7e29fbe2a5a3"

/* Underscored form of a pod UID, as kubelet's systemd slices write it. */
#define CRIO_POD_ "a5c1f8d5_1919_434d_add7_4afaafdaef89"
#define CRIO_SANDBOX_POD_ "2ca4a155_3599_498d_bb9d_4446693fa3ea"
#define CONTAINERD_POD_ "03f3f104_3215_44f2_9686_d4dd1f05a7ed"

static const char *top_srcdir(void)
{
	const char *dir = g_getenv("top_srcdir");

	return dir ? dir : ".";
}

/* ---- parsing: fixtures ----------------------------------------------------- */

/* What a line of a fixture must parse to; none: -ENOENT. */
struct expect {
	bool set;
	bool none;
	char runtime[32];
	char id[80];
	char pod[48];
};

static void expect__parse(const char *text, struct expect *e, const char *file)
{
	char **words = g_strsplit_set(text, " \t", -1);
	size_t i;

	memset(e, 0, sizeof(*e));
	e->set = true;
	for (i = 0; words[i]; i++) {
		const char *w = words[i];

		if (!w[0])
			continue;
		if (!strcmp(w, "none"))
			e->none = true;
		else if (g_str_has_prefix(w, "runtime="))
			g_strlcpy(e->runtime, w + 8, sizeof(e->runtime));
		else if (g_str_has_prefix(w, "id="))
			g_strlcpy(e->id, w + 3, sizeof(e->id));
		else if (g_str_has_prefix(w, "pod="))
			g_strlcpy(e->pod, w + 4, sizeof(e->pod));
		else
			g_error("%s: unknown word '%s' in an expect line", file, w);
	}
	g_strfreev(words);
}

static void check_parse(const char *file, const char *path, const struct expect *e)
{
	struct flow_container c;
	int ret;

	memset(&c, 'x', sizeof(c));
	ret = container__parse_cgroup_path(path, &c);
	if (e->none) {
		if (ret != -ENOENT)
			g_error("%s: %s: expected no identity, got %s %s", file, path, c.runtime,
				c.id);
		g_assert_cmpstr(c.runtime, ==, "");
		g_assert_cmpstr(c.id, ==, "");
		return;
	}
	if (ret != 0)
		g_error("%s: %s: expected %s %s, got %d", file, path, e->runtime, e->id, ret);
	g_assert_cmpstr(c.runtime, ==, e->runtime);
	g_assert_cmpstr(c.id, ==, e->id);
	g_assert_cmpstr(c.pod_uid, ==, e->pod);
	g_assert_cmpstr(c.name, ==, "");
	g_assert_cmpstr(c.image, ==, "");
}

/*
 * A fixture holds /proc/PID/cgroup lines after comment lines that say
 * where they come from and what they must parse to:
 * "# expect: runtime=R id=I pod=P" (or "none") for every line,
 * "# expect-v1:" / "# expect-v2:" for the v1 lines / the "0::" line only.
 * A line whose path is "/" must give no identity.
 */
static unsigned int check_fixture(const char *file, const char *text)
{
	struct expect all = { 0 }, v1 = { 0 }, v2 = { 0 }, root = { .set = true, .none = true };
	char **lines = g_strsplit(text, "\n", -1);
	unsigned int checked = 0, comments = 0;
	size_t i;

	for (i = 0; lines[i]; i++) {
		const char *l = lines[i];

		if (l[0] != '#')
			continue;
		comments++;
		if (g_str_has_prefix(l, "# expect: "))
			expect__parse(l + 10, &all, file);
		else if (g_str_has_prefix(l, "# expect-v1: "))
			expect__parse(l + 13, &v1, file);
		else if (g_str_has_prefix(l, "# expect-v2: "))
			expect__parse(l + 13, &v2, file);
	}
	if (!g_str_has_prefix(text, "#") || comments < 2)
		g_error("%s: must start with comment lines saying where it comes from", file);
	if (!all.set && !(v1.set || v2.set))
		g_error("%s: no expect line", file);
	for (i = 0; lines[i]; i++) {
		const char *l = lines[i], *c1, *c2;
		const struct expect *e;
		bool is_v2;

		if (!l[0] || l[0] == '#')
			continue;
		c1 = strchr(l, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			g_error("%s: not a /proc/PID/cgroup line: %s", file, l);
		is_v2 = c1 - l == 1 && l[0] == '0' && c2 == c1 + 1;
		e = is_v2 ? (v2.set ? &v2 : &all) : (v1.set ? &v1 : &all);
		if (!strcmp(c2 + 1, "/"))
			e = &root;
		if (!e->set)
			g_error("%s: no expect line for %s", file, l);
		check_parse(file, c2 + 1, e);
		checked++;
	}
	g_strfreev(lines);
	return checked;
}

static void test_parse_fixtures(void)
{
	char *dir_path = g_build_filename(top_srcdir(), "tests", "data", "cgroup", NULL);
	GDir *dir = g_dir_open(dir_path, 0, NULL);
	unsigned int files = 0, lines = 0;
	const char *name;

	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir))) {
		char *path, *text;

		if (!g_str_has_suffix(name, ".txt"))
			continue;
		path = g_build_filename(dir_path, name, NULL);
		g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
		lines += check_fixture(name, text);
		files++;
		g_free(text);
		g_free(path);
	}
	g_dir_close(dir);
	g_free(dir_path);
	g_test_message("%u fixtures, %u lines", files, lines);
	g_assert_cmpuint(files, >=, 20);
	g_assert_cmpuint(lines, >=, 60);
}

/* ---- parsing: layouts and malformed input -------------------------------------- */

struct parse_case {
	const char *path;
	const char *runtime;	/* NULL: -ENOENT */
	const char *id;
	const char *pod;
};

static void run_parse_cases(const struct parse_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct expect e = { .set = true };

		if (cases[i].runtime) {
			g_strlcpy(e.runtime, cases[i].runtime, sizeof(e.runtime));
			g_strlcpy(e.id, cases[i].id, sizeof(e.id));
			g_strlcpy(e.pod, cases[i].pod, sizeof(e.pod));
		} else {
			e.none = true;
		}
		check_parse("case", cases[i].path, &e);
	}
}

static void test_parse_layouts(void)
{
	static const struct parse_case cases[] = {
		/* podman */
		{ "/libpod_parent/libpod-" PODMAN_ID, "podman", PODMAN_ID, "" },
		{ "libpod_parent/libpod-" PODMAN_ID, "podman", PODMAN_ID, "" },
		{ "/machine.slice/libpod-" PODMAN_ID ".scope", "podman", PODMAN_ID, "" },
		{ "/machine.slice/libpod-" PODMAN_ID ".scope/container", "podman", PODMAN_ID, "" },
		{ "/machine.slice/libpod-conmon-" PODMAN_ID ".scope", NULL, NULL, NULL },
		{ "/libpod_parent/conmon", NULL, NULL, NULL },
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" PODMAN_ID
		  ".scope", "podman", PODMAN_ID, "" },
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/"
		  "user-libpod_pod_" PODMAN_NOIMAGE_ID ".slice/libpod-" PODMAN_ID
		  ".scope/container",
		  "podman", PODMAN_ID, "" },
		{ "/system.slice/foo.service/libpod-payload-" PODMAN_ID, "podman", PODMAN_ID, "" },
		/* docker */
		{ "/docker/" DOCKER_ID, "docker", DOCKER_ID, "" },
		{ "/system.slice/docker-" DOCKER_ID ".scope", "docker", DOCKER_ID, "" },
		{ "/docker/" DOCKER_ID "/docker/" DOCKERSHIM_ID, "docker", DOCKERSHIM_ID, "" },
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/docker-" DOCKER_ID
		  ".scope", "docker", DOCKER_ID, "" },
		/* containerd, CRI */
		{ "/system.slice/cri-containerd-" CONTAINERD_ID ".scope", "containerd",
		  CONTAINERD_ID, "" },
		{ "/kubepods/besteffort/pod" DOCKERSHIM_POD "/" DOCKERSHIM_ID, "containerd",
		  DOCKERSHIM_ID, DOCKERSHIM_POD },
		{ "/kubepods/pod" DOCKERSHIM_POD "/" DOCKERSHIM_ID, "containerd", DOCKERSHIM_ID,
		  DOCKERSHIM_POD },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" CONTAINERD_POD_
		  ".slice/cri-containerd-" CONTAINERD_ID ".scope", "containerd", CONTAINERD_ID,
		  CONTAINERD_POD },
		{ "/kubepods.slice/kubepods-pod" CONTAINERD_POD_ ".slice/cri-containerd-"
		  CONTAINERD_ID ".scope", "containerd", CONTAINERD_ID, CONTAINERD_POD },
		/* CRI-O */
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" CRIO_POD_
		  ".slice/crio-" CRIO_ID ".scope", "cri-o", CRIO_ID, CRIO_POD },
		{ "/kubepods/burstable/pod" CRIO_POD "/crio-" CRIO_ID, "cri-o", CRIO_ID, CRIO_POD },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" CRIO_POD_
		  ".slice/crio-conmon-" CRIO_ID ".scope", NULL, NULL, NULL },
		{ "/system.slice/crio-conmon-" CRIO_ID ".scope", NULL, NULL, NULL },
		/* a pod's own cgroup, pause/sandbox without a container id */
		{ "/kubepods/besteffort/pod" CRIO_POD, "kubernetes", "", CRIO_POD },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" CRIO_POD_
		  ".slice", "kubernetes", "", CRIO_POD },
		/* kind: a kubelet pod inside a docker container is the pod, not the docker one */
		{ "/docker/" DOCKER_ID "/kubepods/besteffort/pod" CRIO_POD, "kubernetes", "",
		  CRIO_POD },
		/* systemd units */
		{ "/system.slice/nginx.service", "systemd", "nginx.service", "" },
		{ "/system.slice/system-getty.slice/getty@tty1.service", "systemd",
		  "getty@tty1.service", "" },
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/pipewire.service",
		  "systemd", "pipewire.service", "" },
		{ "/user.slice/user-1000.slice/session-3.scope", NULL, NULL, NULL },
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/"
		  "app-org.gnome.Terminal.slice/vte-spawn-f22f14d2.scope", NULL, NULL, NULL },
		{ "/init.scope", NULL, NULL, NULL },
		{ "/system.slice", NULL, NULL, NULL },
		{ "/process_api/82de3f90ee0f0372a7096b6cf4160fa7", NULL, NULL, NULL },
	};

	run_parse_cases(cases, G_N_ELEMENTS(cases));
}

static void test_parse_malformed(void)
{
	static const struct parse_case cases[] = {
		{ "", NULL, NULL, NULL },
		{ "/", NULL, NULL, NULL },
		{ "//", NULL, NULL, NULL },
		/* 63 and 65 hex digits */
		{ "/docker/ff90ed5efd657539ce42198e0d61661d62f2a5d8de9439e2aeb046fb1ef4e0a", NULL,
		  NULL, NULL },
		{ "/docker/ff90ed5efd657539ce42198e0d61661d62f2a5d8de9439e2aeb046fb1ef4e0af0", NULL,
		  NULL, NULL },
		{ "/libpod_parent/libpod-"
		  "4ca96cf29ceca3c8819bd2113ee54a68d64b81ebf0685fdbe0e4f3d3bf77014", NULL, NULL,
		  NULL },
		{ "/system.slice/docker-"
		  "ff90ed5efd657539ce42198e0d61661d62f2a5d8de9439e2aeb046fb1ef4e0a.scope", NULL,
		  NULL, NULL },
		/* not hex, upper case */
		{ "/docker/gf90ed5efd657539ce42198e0d61661d62f2a5d8de9439e2aeb046fb1ef4e0af", NULL,
		  NULL, NULL },
		{ "/docker/FF90ED5EFD657539CE42198E0D61661D62F2A5D8DE9439E2AEB046FB1EF4E0AF", NULL,
		  NULL, NULL },
		{ "/machine.slice/libpod-" DOCKER_ID ".scopex", NULL, NULL, NULL },
		{ "/machine.slice/libpod-" DOCKER_ID "-x.scope", NULL, NULL, NULL },
		/* a bare id is a container only below docker/ or a pod */
		{ "/" DOCKER_ID, NULL, NULL, NULL },
		{ "/machine/" DOCKER_ID, NULL, NULL, NULL },
		/* malformed pod UIDs: no pod, so the bare id below is nothing */
		{ "/kubepods/besteffort/pod9a18ffb8-8513-11e7-b26e-7e29fbe2a5a/" DOCKERSHIM_ID,
		  NULL, NULL, NULL },
		{ "/kubepods/besteffort/pod9a18ffb8_8513_11e7_b26e_7e29fbe2a5a3/" DOCKERSHIM_ID,
		  NULL, NULL, NULL },
		{ "/kubepods/besteffort/pod9A18FFB8-8513-11E7-B26E-7E29FBE2A5A3/" DOCKERSHIM_ID,
		  NULL, NULL, NULL },
		/* "pod<uid>" outside kubepods is not a pod */
		{ "/pod" DOCKERSHIM_POD "/" DOCKERSHIM_ID, NULL, NULL, NULL },
		/* a malformed pod slice leaves the container without a pod */
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podzz.slice/crio-"
		  CRIO_ID ".scope", "cri-o", CRIO_ID, "" },
		/* runc's notation with an unknown prefix or a bad id */
		{ "/kubepods-besteffort-pod" CRIO_POD_ ".slice:foo:" CRIO_ID, NULL, NULL, NULL },
		{ "/kubepods-besteffort-pod" CRIO_POD_ ".slice:crio:" CRIO_ID "0", NULL, NULL,
		  NULL },
		{ "/kubepods-besteffort-pod" CRIO_POD_ ".slice:crio:" CRIO_ID, "cri-o", CRIO_ID,
		  CRIO_POD },
		{ ":::", NULL, NULL, NULL },
	};
	struct flow_container c;

	run_parse_cases(cases, G_N_ELEMENTS(cases));
	memset(&c, 'x', sizeof(c));
	g_assert_cmpint(container__parse_cgroup_path(NULL, &c), ==, -ENOENT);
	g_assert_cmpstr(c.runtime, ==, "");
	g_assert_cmpstr(c.pod_uid, ==, "");
}

/* A unit name longer than flow_container.id is cut, still NUL-terminated. */
static void test_parse_long_unit(void)
{
	GString *path = g_string_new("/system.slice/");
	struct flow_container c;

	while (path->len < 300)
		g_string_append(path, "abcdefgh");
	g_string_append(path, ".service");
	g_assert_cmpint(container__parse_cgroup_path(path->str, &c), ==, 0);
	g_assert_cmpstr(c.runtime, ==, "systemd");
	g_assert_cmpuint(strlen(c.id), ==, sizeof(c.id) - 1);
	g_string_free(path, TRUE);
}

/* ---- the cache: a fake cgroup2 root and the state fixtures ---------------------------- */

struct fake_root {
	char *dir;
};

static void fake_root__init(struct fake_root *r)
{
	r->dir = g_dir_make_tmp("sockflow-cgroup-XXXXXX", NULL);
	g_assert_nonnull(r->dir);
}

/* mkdir -p @rel below the root; returns its inode number, the cgroup id it stands for. */
static uint64_t fake_root__mkdir(struct fake_root *r, const char *rel)
{
	char *path = g_build_filename(r->dir, rel, NULL);
	struct stat st;

	g_assert_cmpint(g_mkdir_with_parents(path, 0755), ==, 0);
	g_assert_cmpint(stat(path, &st), ==, 0);
	g_free(path);
	return st.st_ino;
}

static void fake_root__rmdir(struct fake_root *r, const char *rel)
{
	char *path = g_build_filename(r->dir, rel, NULL);

	g_assert_cmpint(rmdir(path), ==, 0);
	g_free(path);
}

static void rm_rf(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir) {
		while ((name = g_dir_read_name(dir))) {
			char *child = g_build_filename(path, name, NULL);

			rm_rf(child);
			g_free(child);
		}
		g_dir_close(dir);
		g_assert_cmpint(rmdir(path), ==, 0);
	} else {
		g_assert_cmpint(unlink(path), ==, 0);
	}
}

static void fake_root__fini(struct fake_root *r)
{
	rm_rf(r->dir);
	g_free(r->dir);
}

static struct container_cache *cache_new(const char *cgroup_root, const char *state_root,
					 uint64_t refresh_ns)
{
	struct container_cache_options opts = {
		.cgroup2_root = cgroup_root,
		.state_root = state_root,
		.refresh_ns = refresh_ns,
	};
	struct container_cache *cc = container_cache__new(&opts);

	g_assert_nonnull(cc);
	return cc;
}

static char *state_fixtures(void)
{
	return g_build_filename(top_srcdir(), "tests", "data", "state", NULL);
}

#define PODMAN_PATH "libpod_parent/libpod-" PODMAN_ID
#define PODMAN_NOIMAGE_PATH "libpod_parent/libpod-" PODMAN_NOIMAGE_ID
#define CRIO_PATH "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" CRIO_POD_ \
	".slice/crio-" CRIO_ID ".scope"
#define CRIO_SANDBOX_PATH "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" \
	CRIO_SANDBOX_POD_ ".slice/crio-" CRIO_SANDBOX_ID ".scope"
#define CONTAINERD_PATH "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" \
	CONTAINERD_POD_ ".slice/cri-containerd-" CONTAINERD_ID ".scope"
#define DOCKER_PATH "docker/" DOCKER_ID
#define DOCKERSHIM_PATH "kubepods/besteffort/pod" DOCKERSHIM_POD "/" DOCKERSHIM_ID

static void assert_container(const struct flow_container *c, const char *runtime, const char *id,
			     const char *name, const char *image)
{
	g_assert_cmpstr(c->runtime, ==, runtime);
	g_assert_cmpstr(c->id, ==, id);
	g_assert_cmpstr(c->name, ==, name);
	g_assert_cmpstr(c->image, ==, image);
}

static void assert_pod(const struct flow_container *c, const char *name, const char *ns,
		       const char *uid)
{
	g_assert_cmpstr(c->pod_name, ==, name);
	g_assert_cmpstr(c->pod_namespace, ==, ns);
	g_assert_cmpstr(c->pod_uid, ==, uid);
}

/* A cgroup id the kernel reported at creation resolves without any walk (no such directory). */
static void test_fill_created_event(void)
{
	char *state = state_fixtures(), path[256];
	struct container_cache *cc = cache_new("/nonexistent", state, HOUR_NS);
	struct flow_container c;

	container_cache__cgroup_created(cc, 0xdead0001, "/" DOCKER_PATH);
	container_cache__cgroup_created(cc, 0xdead0002, "system.slice/nginx.service");
	g_assert_cmpint(container_cache__fill(cc, 0xdead0001, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(path, ==, "/" DOCKER_PATH);
	/* docker's name has its leading '/' removed; NetworkSettings.Service.Name is not it */
	assert_container(&c, "docker", DOCKER_ID, "dazzling_tesla", "docker/getting-started");
	assert_pod(&c, "", "", "");
	g_assert_cmpint(container_cache__fill(cc, 0xdead0002, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(path, ==, "/system.slice/nginx.service");
	assert_container(&c, "systemd", "nginx.service", "", "");
	/* a re-created id takes its new path */
	container_cache__cgroup_created(cc, 0xdead0002, "/system.slice/sshd.service");
	g_assert_cmpint(container_cache__fill(cc, 0xdead0002, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(c.id, ==, "sshd.service");
	/* unknown, and the walk of a missing root finds nothing */
	g_assert_cmpint(container_cache__fill(cc, 0xdead0003, path, sizeof(path), &c), ==,
			-ENOENT);
	g_assert_cmpstr(path, ==, "");
	container_cache__free(cc);
	g_free(state);
}

/*
 * A miss walks the hierarchy once: every directory found is cached, and a
 * directory made after the walk stays unknown until refresh_ns has passed.
 */
static void test_fill_walk(void)
{
	char *state = state_fixtures(), path[512];
	struct container_cache *cc;
	struct fake_root root;
	uint64_t podman, noimage, later, unknown = 0xfffffff0, root_id;
	struct flow_container c;
	struct stat st;

	fake_root__init(&root);
	podman = fake_root__mkdir(&root, PODMAN_PATH);
	noimage = fake_root__mkdir(&root, PODMAN_NOIMAGE_PATH);
	g_assert_cmpint(stat(root.dir, &st), ==, 0);
	root_id = st.st_ino;
	cc = cache_new(root.dir, state, HOUR_NS);

	g_assert_cmpint(container_cache__fill(cc, podman, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(path, ==, "/" PODMAN_PATH);
	assert_container(&c, "podman", PODMAN_ID, "ctest1", "localhost/sfctest:latest");
	assert_pod(&c, "", "", "");
	/* from the same walk; image name from images.json (metadata has none) */
	g_assert_cmpint(container_cache__fill(cc, noimage, path, sizeof(path), &c), ==, 0);
	assert_container(&c, "podman", PODMAN_NOIMAGE_ID, "ctest-noimage",
			 "localhost/sfctest:latest");
	/* the root itself: known, no identity */
	g_assert_cmpint(container_cache__fill(cc, root_id, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(path, ==, "/");
	assert_container(&c, "", "", "", "");
	/* unknown: -ENOENT; no second walk within refresh_ns, so a new directory is not seen */
	g_assert_cmpint(container_cache__fill(cc, unknown, path, sizeof(path), &c), ==, -ENOENT);
	later = fake_root__mkdir(&root, "system.slice/late.service");
	g_assert_cmpint(container_cache__fill(cc, later, path, sizeof(path), &c), ==, -ENOENT);
	g_assert_cmpint(container_cache__fill(cc, unknown, path, sizeof(path), &c), ==, -ENOENT);
	/* the path buffer may be short: cut, terminated */
	g_assert_cmpint(container_cache__fill(cc, podman, path, 8, &c), ==, 0);
	g_assert_cmpstr(path, ==, "/libpod");
	g_assert_cmpint(container_cache__fill(cc, podman, NULL, 0, &c), ==, 0);
	g_assert_cmpstr(c.name, ==, "ctest1");
	container_cache__free(cc);

	/* with a short refresh_ns, the next miss after it walks again */
	cc = cache_new(root.dir, state, 1000000);
	g_assert_cmpint(container_cache__fill(cc, unknown, path, sizeof(path), &c), ==, -ENOENT);
	later = fake_root__mkdir(&root, "system.slice/later.service");
	g_usleep(3000);
	g_assert_cmpint(container_cache__fill(cc, later, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(path, ==, "/system.slice/later.service");
	assert_container(&c, "systemd", "later.service", "", "");
	container_cache__free(cc);

	fake_root__fini(&root);
	g_free(state);
}

/* A container that exited (its cgroup removed) still resolves, path and names. */
static void test_fill_removed(void)
{
	char *state = state_fixtures(), path[512];
	struct container_cache *cc;
	struct fake_root root;
	struct flow_container c;
	uint64_t id;

	fake_root__init(&root);
	id = fake_root__mkdir(&root, "system.slice/docker-" DOCKER_ID ".scope");
	cc = cache_new(root.dir, state, 0);
	g_assert_cmpint(container_cache__fill(cc, id, path, sizeof(path), &c), ==, 0);
	assert_container(&c, "docker", DOCKER_ID, "dazzling_tesla", "docker/getting-started");
	fake_root__rmdir(&root, "system.slice/docker-" DOCKER_ID ".scope");
	/* refresh_ns 0: a miss would walk again and not find it; a hit never walks */
	g_assert_cmpint(container_cache__fill(cc, id, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(path, ==, "/system.slice/docker-" DOCKER_ID ".scope");
	assert_container(&c, "docker", DOCKER_ID, "dazzling_tesla", "docker/getting-started");
	container_cache__free(cc);
	fake_root__fini(&root);
	g_free(state);
}

/* Kubernetes: pod fields from CRI-O's and containerd's annotations and from dockershim's labels. */
static void test_fill_kubernetes(void)
{
	char *state = state_fixtures(), path[512];
	struct container_cache *cc;
	struct fake_root root;
	struct flow_container c;
	uint64_t podman, crio, sandbox, containerd, shim;

	fake_root__init(&root);
	podman = fake_root__mkdir(&root, PODMAN_PATH);
	crio = fake_root__mkdir(&root, CRIO_PATH);
	sandbox = fake_root__mkdir(&root, CRIO_SANDBOX_PATH);
	containerd = fake_root__mkdir(&root, CONTAINERD_PATH);
	shim = fake_root__mkdir(&root, DOCKERSHIM_PATH);
	cc = cache_new(root.dir, state, HOUR_NS);

	/*
	 * podman's containers.json also lists the CRI-O container; reading
	 * it first must not make the CRI-O container a podman one.
	 */
	g_assert_cmpint(container_cache__fill(cc, podman, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(c.name, ==, "ctest1");

	g_assert_cmpint(container_cache__fill(cc, crio, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(path, ==, "/" CRIO_PATH);
	assert_container(&c, "cri-o", CRIO_ID, "calico-node", "docker.io/calico/node:v3.26.1");
	assert_pod(&c, "calico-node-hx7cw", "kube-system", CRIO_POD);

	/* a CRI-O sandbox (pause) in the run root: pod fields only in the labels annotation */
	g_assert_cmpint(container_cache__fill(cc, sandbox, path, sizeof(path), &c), ==, 0);
	assert_container(&c, "cri-o", CRIO_SANDBOX_ID, "POD", "registry.k8s.io/pause:3.9");
	assert_pod(&c, "kube-proxy-7xk2p", "kube-system", CRIO_SANDBOX_POD);

	g_assert_cmpint(container_cache__fill(cc, containerd, path, sizeof(path), &c), ==, 0);
	assert_container(&c, "containerd", CONTAINERD_ID, "netdata",
			 "docker.io/netdata/netdata:v1.31.0");
	assert_pod(&c, "netdata-child-5xq9z", "monitoring", CONTAINERD_POD);

	/* a bare id under a pod: no containerd bundle, docker's state has it */
	g_assert_cmpint(container_cache__fill(cc, shim, path, sizeof(path), &c), ==, 0);
	assert_container(&c, "docker", DOCKERSHIM_ID, "web", "registry.example/web@sha256:"
			 "3b1c9e8f0a7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e3d");
	assert_pod(&c, "web-6c54dd8b9-h2x4k", "default", DOCKERSHIM_POD);

	container_cache__free(cc);
	fake_root__fini(&root);
	g_free(state);
}

/* No runtime installed (empty state root): ids from the path, no names, no error. */
static void test_fill_no_runtime(void)
{
	char *state = g_dir_make_tmp("sockflow-state-XXXXXX", NULL), path[512];
	struct container_cache *cc = cache_new("/nonexistent", state, HOUR_NS);
	struct flow_container c;

	container_cache__cgroup_created(cc, 10, PODMAN_PATH);
	container_cache__cgroup_created(cc, 11, CRIO_PATH);
	container_cache__cgroup_created(cc, 12, CONTAINERD_PATH);
	container_cache__cgroup_created(cc, 13, DOCKERSHIM_PATH);
	g_assert_cmpint(container_cache__fill(cc, 10, path, sizeof(path), &c), ==, 0);
	assert_container(&c, "podman", PODMAN_ID, "", "");
	g_assert_cmpint(container_cache__fill(cc, 11, path, sizeof(path), &c), ==, 0);
	assert_container(&c, "cri-o", CRIO_ID, "", "");
	assert_pod(&c, "", "", CRIO_POD);
	g_assert_cmpint(container_cache__fill(cc, 12, path, sizeof(path), &c), ==, 0);
	assert_container(&c, "containerd", CONTAINERD_ID, "", "");
	g_assert_cmpint(container_cache__fill(cc, 13, path, sizeof(path), &c), ==, 0);
	assert_container(&c, "containerd", DOCKERSHIM_ID, "", "");
	assert_pod(&c, "", "", DOCKERSHIM_POD);
	container_cache__free(cc);
	rm_rf(state);
	g_free(state);
	container_cache__free(NULL);
}

/* ---- runtime state: a container started after the last read, hostile files ------------- */

static void write_file(const char *root, const char *rel, const char *text, gssize len)
{
	char *path = g_build_filename(root, rel, NULL), *dir = g_path_get_dirname(path);

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(path, text, len, NULL));
	g_free(dir);
	g_free(path);
}

#define CONTAINERS_JSON "var/lib/containers/storage/overlay-containers/containers.json"

static const char podman_json[] =
	"[{\"id\":\"" PODMAN_ID "\",\"names\":[\"ctest1\"],"
	"\"image\":\"28719695b0ab6cfbca361036d2ec26c88c47990e0deff1d26c51a8fd8fb49c07\","
	"\"metadata\":\"{\\\"image-name\\\":\\\"localhost/sfctest:latest\\\","
	"\\\"name\\\":\\\"ctest1\\\"}\"}]";

/*
 * A container not yet in the runtime's state is found as soon as the state
 * file changes (podman writes it before the container runs), not only
 * after refresh_ns; an unchanged file is not re-read within refresh_ns.
 */
static void test_fill_new_container(void)
{
	char *state = g_dir_make_tmp("sockflow-state-XXXXXX", NULL), path[512];
	struct container_cache *cc = cache_new("/nonexistent", state, HOUR_NS);
	struct flow_container c;

	write_file(state, CONTAINERS_JSON, "[]", -1);
	container_cache__cgroup_created(cc, 20, PODMAN_PATH);
	g_assert_cmpint(container_cache__fill(cc, 20, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(c.name, ==, "");
	/* within refresh_ns, file unchanged: not re-read */
	g_assert_cmpint(container_cache__fill(cc, 20, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(c.name, ==, "");
	/* within refresh_ns, file changed: read at once */
	write_file(state, CONTAINERS_JSON, podman_json, -1);
	g_assert_cmpint(container_cache__fill(cc, 20, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(c.name, ==, "ctest1");
	container_cache__free(cc);

	cc = cache_new("/nonexistent", state, 1000000);
	write_file(state, CONTAINERS_JSON, "[]", -1);
	container_cache__cgroup_created(cc, 20, PODMAN_PATH);
	g_assert_cmpint(container_cache__fill(cc, 20, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(c.name, ==, "");
	write_file(state, CONTAINERS_JSON, podman_json, -1);
	g_usleep(3000);
	g_assert_cmpint(container_cache__fill(cc, 20, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(c.name, ==, "ctest1");
	/* found names stay, even when the runtime forgets the container */
	write_file(state, CONTAINERS_JSON, "[]", -1);
	g_usleep(3000);
	g_assert_cmpint(container_cache__fill(cc, 20, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(c.name, ==, "ctest1");
	container_cache__free(cc);
	rm_rf(state);
	g_free(state);
}

/* The podman name read from @json (written as containers.json unless NULL), with refresh_ns 0. */
static void podman_name(const char *state, const char *json, gssize len, char *name,
			size_t size)
{
	struct container_cache *cc = cache_new("/nonexistent", state, 0);
	struct flow_container c;

	if (json)
		write_file(state, CONTAINERS_JSON, json, len);
	container_cache__cgroup_created(cc, 30, PODMAN_PATH);
	g_assert_cmpint(container_cache__fill(cc, 30, NULL, 0, &c), ==, 0);
	g_assert_cmpstr(c.runtime, ==, "podman");
	g_assert_cmpstr(c.id, ==, PODMAN_ID);
	g_strlcpy(name, c.name, size);
	container_cache__free(cc);
}

static void test_json_strings(void)
{
	char *state = g_dir_make_tmp("sockflow-state-XXXXXX", NULL), name[64], *json;
	GString *long_name = g_string_new("");
	struct flow_container c;

	/* escapes, \u with a surrogate pair, pretty-printed, unknown members of every type */
	podman_name(state,
		    "[\n  {\n    \"x\": [1, -2.5e3, true, false, null, {\"a\": [[]]}],\n"
		    "    \"id\" : \"" PODMAN_ID "\",\n"
		    "    \"names\": [ \"a\\\"b\\\\c\\/d\\u00e9\\ud83d\\ude00\\t\" ]\n  }\n]\n",
		    -1, name, sizeof(name));
	g_assert_cmpstr(name, ==, "a\"b\\c/d\xc3\xa9\xf0\x9f\x98\x80\t");
	/*
	 * a lone surrogate: jansson refuses the whole file (the runtimes, all
	 * written in Go, never write one: Go's encoder replaces bad text with U+FFFD)
	 */
	podman_name(state, "[{\"id\":\"" PODMAN_ID "\",\"names\":[\"x\\ud800y\"]}]", -1, name,
		    sizeof(name));
	g_assert_cmpstr(name, ==, "");
	/* so does \u0000, which would end the C string */
	podman_name(state, "[{\"id\":\"" PODMAN_ID "\",\"names\":[\"x\\u0000y\"]}]", -1, name,
		    sizeof(name));
	g_assert_cmpstr(name, ==, "x\xef\xbf\xbdy");
	/* a name longer than the field is cut at a character boundary */
	while (long_name->len < 100)
		g_string_append(long_name, "\xc3\xa9");
	json = g_strdup_printf("[{\"id\":\"" PODMAN_ID "\",\"names\":[\"ab%s\"]}]", long_name->str);
	podman_name(state, json, -1, name, sizeof(name));
	g_assert_cmpuint(strlen(name), ==, sizeof(c.name) - 2);
	g_assert_true(g_utf8_validate(name, -1, NULL));
	g_free(json);
	/* the same key at another level is not the member asked for */
	podman_name(state, "[{\"metadata\":\"{\\\"id\\\":\\\"x\\\"}\","
		    "\"y\":{\"id\":\"" PODMAN_NOIMAGE_ID "\"},"
		    "\"id\":\"" PODMAN_ID "\",\"names\":[\"right\"]}]", -1, name, sizeof(name));
	g_assert_cmpstr(name, ==, "right");
	/* names empty: the metadata's name */
	podman_name(state, "[{\"id\":\"" PODMAN_ID "\",\"names\":[],"
		    "\"metadata\":\"{\\\"name\\\":\\\"from-metadata\\\"}\"}]", -1, name,
		    sizeof(name));
	g_assert_cmpstr(name, ==, "from-metadata");
	g_string_free(long_name, TRUE);
	rm_rf(state);
	g_free(state);
}

/* Malformed state: never a crash, an over-read (valgrind) or a wrong name; at worst no name. */
static void test_json_malformed(void)
{
	static const char *const bad[] = {
		"", "[", "]", "{}", "nonsense", "[{", "[{\"id\"", "[{\"id\":",
		"[{\"id\":\"" PODMAN_ID,
		"[{\"id\":\"" PODMAN_ID "\",\"names\":[\"ctest1\"]", "[{\"id\":1}]",
		"[{\"id\":\"" PODMAN_ID "\",\"names\":\"ctest1\"}]",
		"[{\"id\":\"" PODMAN_ID "\",\"names\":[\"\\x\"]}]",
		"[{\"id\":\"" PODMAN_ID "\",\"names\":[\"\\u12\"]}]",
		"[{\"id\":\"" PODMAN_ID "\",\"names\":[\"a\nb\"]}]",
		"[{\"id\" \"" PODMAN_ID "\"}]", "[{\"id\":\"" PODMAN_ID "\",,}]", "[1 2]",
		"[{\"id\":\"" PODMAN_ID "\",\"names\":[\"ctest1\"],\"x\":tru}]",
	};
	char *state = g_dir_make_tmp("sockflow-state-XXXXXX", NULL), name[64], *path;
	size_t i, len = strlen(podman_json);
	GString *deep = g_string_new("[{\"id\":\"" PODMAN_ID "\",\"names\":[\"deep\"],\"x\":");
	int fd;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		podman_name(state, bad[i], -1, name, sizeof(name));
		g_assert_cmpstr(name, ==, "");
	}
	/* every prefix of a good file: no name, or the right one */
	for (i = 0; i < len; i++) {
		podman_name(state, podman_json, (gssize)i, name, sizeof(name));
		if (name[0])
			g_assert_cmpstr(name, ==, "ctest1");
	}
	podman_name(state, podman_json, (gssize)len, name, sizeof(name));
	g_assert_cmpstr(name, ==, "ctest1");
	/* nested deeper than jansson goes (2048 levels): refused, not recursed into */
	for (i = 0; i < 100000; i++)
		g_string_append_c(deep, '[');
	podman_name(state, deep->str, (gssize)deep->len, name, sizeof(name));
	g_assert_cmpstr(name, ==, "");
	g_string_free(deep, TRUE);

	/* bigger than 16 MiB: not read */
	path = g_build_filename(state, CONTAINERS_JSON, NULL);
	write_file(state, CONTAINERS_JSON, podman_json, -1);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, (17 << 20)), ==, 0);
	close(fd);
	podman_name(state, NULL, 0, name, sizeof(name));
	g_assert_cmpstr(name, ==, "");
	/* a FIFO in its place: refused without blocking */
	g_assert_cmpint(unlink(path), ==, 0);
	g_assert_cmpint(mkfifo(path, 0600), ==, 0);
	podman_name(state, NULL, 0, name, sizeof(name));
	g_assert_cmpstr(name, ==, "");
	g_free(path);
	rm_rf(state);
	g_free(state);
}

/*
 * Names that are not valid UTF-8 never come out: \u0000 and a systemd unit
 * or cgroup directory named in Latin-1 become U+FFFD; raw bytes that are
 * not UTF-8 inside a state file make jansson refuse the file.
 */
static void test_utf8_names(void)
{
	char *state = g_dir_make_tmp("sockflow-state-XXXXXX", NULL), name[64], path[64];
	struct container_cache *cc = cache_new("/nonexistent", state, 0);
	struct flow_container c;

	podman_name(state, "[{\"id\":\"" PODMAN_ID "\",\"names\":[\"caf\xe9\"]}]", -1, name,
		    sizeof(name));
	g_assert_cmpstr(name, ==, "");
	podman_name(state, "[{\"id\":\"" PODMAN_ID "\",\"names\":[\"a\\u0000\\u00e9\"]}]", -1,
		    name, sizeof(name));
	g_assert_cmpstr(name, ==, "a\xef\xbf\xbd\xc3\xa9");

	g_assert_cmpint(container__parse_cgroup_path("/system.slice/caf\xe9.service", &c), ==, 0);
	g_assert_cmpstr(c.id, ==, "caf\xef\xbf\xbd.service");

	/* a cgroup path cut to the caller's buffer, and sanitized */
	container_cache__cgroup_created(cc, 40, "system.slice/x\xff\xc3\xa9.service");
	g_assert_cmpint(container_cache__fill(cc, 40, path, 8, &c), ==, 0);
	g_assert_cmpstr(path, ==, "/system");
	g_assert_cmpint(container_cache__fill(cc, 40, path, sizeof(path), &c), ==, 0);
	g_assert_cmpstr(path, ==, "/system.slice/x\xef\xbf\xbd\xc3\xa9.service");
	g_assert_cmpint(container_cache__fill(cc, 40, path, 18, &c), ==, 0);
	g_assert_cmpstr(path, ==, "/system.slice/x");
	container_cache__free(cc);
	rm_rf(state);
	g_free(state);
}

/*
 * A crafted state file that would make jansson allocate more than the
 * parse's budget (an empty object every 3 bytes, estimated at 512 bytes
 * each: 4 MiB of them > 256 MiB) is refused before it is parsed, not a
 * crash; the next good file reads again.
 */
static void test_json_budget(void)
{
	char *state = g_dir_make_tmp("sockflow-state-XXXXXX", NULL), name[64];
	GString *big = g_string_new("[{\"id\":\"" PODMAN_ID "\",\"names\":[\"big\"]}");
	size_t head = big->len;

	while (big->len < (4u << 20))
		g_string_append(big, ",{}");
	g_string_append_c(big, ']');
	podman_name(state, big->str, (gssize)big->len, name, sizeof(name));
	g_assert_cmpstr(name, ==, "");
	/* a smaller one of the same kind is within its budget */
	g_string_truncate(big, head + 3 * ((256u << 10) / 3));
	g_string_append_c(big, ']');
	podman_name(state, big->str, (gssize)big->len, name, sizeof(name));
	g_assert_cmpstr(name, ==, "big");
	podman_name(state, podman_json, -1, name, sizeof(name));
	g_assert_cmpstr(name, ==, "ctest1");
	g_string_free(big, TRUE);
	rm_rf(state);
	g_free(state);
}

/*
 * Found by tests/fuzz (runtime_state): arrays nested 2,142 deep inside a
 * container record. jansson 2.14 aborted (an assertion in its lexer) when
 * our allocator refused memory mid-parse; such a file is now refused by
 * its shape (nested deeper than 64) before jansson sees it.
 */
static void test_json_deep(void)
{
	char *state = g_dir_make_tmp("sockflow-state-XXXXXX", NULL), name[64];
	GString *deep = g_string_new("[{\"id\":\"" PODMAN_ID "\",\"names\":[\"deep\"],\"x\":");
	int i;

	for (i = 0; i < 2142; i++)
		g_string_append_c(deep, '[');
	podman_name(state, deep->str, (gssize)deep->len, name, sizeof(name));
	g_assert_cmpstr(name, ==, "");
	/* nested as deep as allowed, and closed: parsed */
	g_string_truncate(deep, deep->len - 2142);
	for (i = 0; i < 62; i++)
		g_string_append_c(deep, '[');
	for (i = 0; i < 62; i++)
		g_string_append_c(deep, ']');
	g_string_append(deep, "}]");
	podman_name(state, deep->str, (gssize)deep->len, name, sizeof(name));
	g_assert_cmpstr(name, ==, "deep");
	g_string_free(deep, TRUE);
	rm_rf(state);
	g_free(state);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/container/parse/fixtures", test_parse_fixtures);
	g_test_add_func("/container/parse/layouts", test_parse_layouts);
	g_test_add_func("/container/parse/malformed", test_parse_malformed);
	g_test_add_func("/container/parse/long_unit", test_parse_long_unit);
	g_test_add_func("/container/fill/created_event", test_fill_created_event);
	g_test_add_func("/container/fill/walk", test_fill_walk);
	g_test_add_func("/container/fill/removed", test_fill_removed);
	g_test_add_func("/container/fill/kubernetes", test_fill_kubernetes);
	g_test_add_func("/container/fill/no_runtime", test_fill_no_runtime);
	g_test_add_func("/container/fill/new_container", test_fill_new_container);
	g_test_add_func("/container/json/strings", test_json_strings);
	g_test_add_func("/container/json/deep", test_json_deep);
	g_test_add_func("/container/json/malformed", test_json_malformed);
	g_test_add_func("/container/json/budget", test_json_budget);
	g_test_add_func("/container/utf8_names", test_utf8_names);
	return g_test_run();
}
