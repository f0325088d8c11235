// SPDX-License-Identifier: GPL-2.0-only
/* The Linux capabilities sockflow needs, what each is for, and dropping the rest once attached. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include <glib.h>

#include "log.h"
#include "privileges.h"

/* Older uapi headers lack them; the numbers are fixed (Linux 5.8). */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static const struct privilege_info privileges[PRIV__MAX] = {
	[PRIV_BPF] = { "CAP_BPF", CAP_BPF, true,
		       "loading the BPF programs and creating their maps",
		       "no BPF programs: sockflow cannot start" },
	[PRIV_PERFMON] = { "CAP_PERFMON", CAP_PERFMON, true,
			   "tracing programs (tp_btf) and the kernel memory they read",
			   "no tracing programs: sockflow cannot start" },
	[PRIV_NET_ADMIN] = { "CAP_NET_ADMIN", CAP_NET_ADMIN, false,
			     "conntrack events and tables in every network namespace, big "
			     "netlink receive buffers for sock_diag",
			     "no conntrack: records carry no tuples after NAT and connections "
			     "through NAT are not joined" },
	[PRIV_SYS_ADMIN] = { "CAP_SYS_ADMIN", CAP_SYS_ADMIN, false,
			     "entering other network namespaces (setns) for sock_diag and "
			     "conntrack; some kernels ask it for tp_btf programs too",
			     "sockets, RTT and NAT of other network namespaces (containers); "
			     "where the kernel asks it for tp_btf programs, sockflow cannot start" },
	[PRIV_SYS_PTRACE] = { "CAP_SYS_PTRACE", CAP_SYS_PTRACE, false,
			      "other users' /proc/PID/exe and /proc/PID/fd",
			      "executable paths of other users' processes, and the processes "
			      "of other users' sockets open before start" },
	[PRIV_DAC_READ_SEARCH] = { "CAP_DAC_READ_SEARCH", CAP_DAC_READ_SEARCH, false,
				   "container runtimes' state directories (readable by root only)",
				   "container names and images (ids still come from cgroups)" },
};

/* The three sets of capget()/capset(), as 64-bit masks. */
struct cap_sets {
	uint64_t eff, prm, inh;
};

static uint64_t bit(unsigned int cap)
{
	return cap < 64 ? 1ull << cap : 0;
}

static int caps_get(struct cap_sets *s)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, d))
		return -errno;
	s->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	s->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	s->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct cap_sets *s)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {
		{ (uint32_t)s->eff, (uint32_t)s->prm, (uint32_t)s->inh },
		{ (uint32_t)(s->eff >> 32), (uint32_t)(s->prm >> 32), (uint32_t)(s->inh >> 32) },
	};

	return syscall(SYS_capset, &hdr, d) ? -errno : 0;
}

/* Whether the running kernel knows @cap (CAP_BPF and CAP_PERFMON came with 5.8). */
static bool kernel_knows(unsigned int cap)
{
	return prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0;
}

static uint64_t needed(bool load_only_too)
{
	uint64_t m = 0;
	int p;

	for (p = 0; p < PRIV__MAX; p++) {
		if (load_only_too || !privileges[p].load_only)
			m |= bit(privileges[p].cap);
	}
	return m;
}

/* The names of the capabilities in @mask that sockflow knows, comma-separated, or "none". */
static void names(uint64_t mask, char *buf, size_t len)
{
	GString *s = g_string_new(NULL);
	int p;

	for (p = 0; p < PRIV__MAX; p++) {
		if (mask & bit(privileges[p].cap))
			g_string_append_printf(s, "%s%s", s->len ? ", " : "", privileges[p].name);
	}
	snprintf(buf, len, "%s", s->len ? s->str : "none");
	g_string_free(s, TRUE);
}

const struct privilege_info *privileges__info(enum privilege p)
{
	return p < PRIV__MAX ? &privileges[p] : NULL;
}

int privileges__check(void)
{
	struct cap_sets s;
	int p, missing = 0, err;

	err = caps_get(&s);
	if (err) {
		log_warn("privileges: reading the capabilities failed: %s", strerror(-err));
		return 0;
	}
	for (p = 0; p < PRIV__MAX; p++) {
		const struct privilege_info *pi = &privileges[p];

		if (s.eff & bit(pi->cap))
			continue;
		if (!kernel_knows(pi->cap)) {
			log_info("privileges: this kernel has no %s (before Linux 5.8): "
				 "CAP_SYS_ADMIN covers it", pi->name);
			continue;
		}
		/* The kernel checks CAP_SYS_ADMIN where CAP_BPF or CAP_PERFMON is missing. */
		if (pi->load_only && (s.eff & bit(CAP_SYS_ADMIN)))
			log_warn("privileges: %s not held (it is for %s): CAP_SYS_ADMIN stands "
				 "in for it, nothing lost", pi->name, pi->used_for);
		else
			log_warn("privileges: %s not held (it is for %s): lost: %s", pi->name,
				 pi->used_for, pi->lost);
		missing++;
	}
	return missing;
}

char *privileges__table(void)
{
	GString *out = g_string_new("privileges (Linux capabilities), held or missing:\n");
	struct cap_sets s;
	int p;

	if (caps_get(&s)) {
		g_string_append_printf(out, "  unknown: capget failed: %s\n", strerror(errno));
		return g_string_free(out, FALSE);
	}
	for (p = 0; p < PRIV__MAX; p++) {
		const struct privilege_info *pi = &privileges[p];
		bool held = s.eff & bit(pi->cap);

		g_string_append_printf(out, "  %-19s %-7s for %s%s%s%s\n", pi->name,
				       held ? "held" : "missing", pi->used_for,
				       held ? "" : "; lost: ", held ? "" : pi->lost,
				       pi->load_only ? "; dropped once attached" : "");
	}
	return g_string_free(out, FALSE);
}

/* Drop every capability but @keep from the bounding set; needs CAP_SETPCAP effective. */
static int cut_bounding_set(uint64_t keep)
{
	unsigned int cap;
	int in;

	for (cap = 0; (in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) >= 0; cap++) {
		if (in && !(keep & bit(cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return -errno;
	}
	return 0;
}

int privileges__drop(int (*map_read)(void *ctx), void *ctx)
{
	const uint64_t loaders = bit(CAP_BPF) | bit(CAP_PERFMON);
	struct cap_sets now, next;
	uint64_t keep;
	char kept[256], why_loaders[128] = "";
	const char *bounding;
	int err;

	err = caps_get(&now);
	if (err)
		goto err_log;
	keep = now.prm & needed(true);
	if (keep & loaders) {
		/* The maps are read as long as sockflow runs: try one read without them. */
		next = now;
		next.eff &= ~loaders;
		err = caps_set(&next);
		if (err)
			goto err_log;
		err = map_read(ctx);
		if (caps_set(&now)) {
			err = -errno;
			goto err_log;
		}
		if (err == -EPERM) {
			snprintf(why_loaders, sizeof(why_loaders), "; CAP_BPF and CAP_PERFMON kept: "
				 "this kernel refuses map reads without them");
		} else {
			keep &= ~loaders;
		}
	}
	/* The bounding set first: PR_CAPBSET_DROP needs CAP_SETPCAP, which the capset drops. */
	if (now.eff & bit(CAP_SETPCAP)) {
		err = cut_bounding_set(keep);
		if (err)
			goto err_log;
		bounding = "bounding set cut to them";
	} else {
		bounding = "bounding set left as it was (no CAP_SETPCAP to cut it)";
	}
	/* EINVAL: no ambient set before Linux 4.3, nothing to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		err = -errno;
		goto err_log;
	}
	next = (struct cap_sets){ .eff = keep, .prm = keep, .inh = 0 };
	err = caps_set(&next);
	if (err)
		goto err_log;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		err = -errno;
		goto err_log;
	}
	names(keep, kept, sizeof(kept));
	log_info("privileges: kept %s%s; every other capability dropped, inheritable and ambient "
		 "sets empty, %s, no new privileges", kept, why_loaders, bounding);
	return 0;
err_log:
	log_warn("privileges: dropping capabilities failed: %s; sockflow keeps more than it needs",
		 strerror(-err));
	return err;
}
