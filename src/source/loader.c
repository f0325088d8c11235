// SPDX-License-Identifier: GPL-2.0-only
/* Probe, choose, load and attach: each capability from the best mechanism this kernel accepts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <glib.h>

#include "clock.h"
#include "sockflow.h"
#include "source/loader.h"
#include "sockflow.skel.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524	/* the kernel's internal "not supported", seen by user space */
#endif

/* How a mechanism's programs are attached. */
enum attach_kind {
	ATTACH_NONE,		/* user-space mechanism: nothing to load */
	ATTACH_AUTO,		/* tracing: tp_btf, fentry, kprobe, from the section name */
	ATTACH_CGROUP,		/* cgroup_skb on the v2 root */
	ATTACH_MAP_ITER,	/* iter/bpf_map_elem over the map named beside the program */
	ATTACH_ITER,		/* other iterators */
};

#define MAX_PROGS 4

struct mech_progs {
	enum attach_kind kind;
	const char *progs[MAX_PROGS];	/* skeleton program names, NULL-ended */
	const char *maps[MAX_PROGS];	/* ATTACH_MAP_ITER: the map each program walks */
};

static const struct mech_progs mech_progs[SF_MECH__MAX] = {
	[SF_MECH_SET_STATE_TP] = { ATTACH_AUTO, { "sf_set_state" } },
	[SF_MECH_CGROUP_SKB] = { ATTACH_CGROUP, { "sf_egress", "sf_ingress" } },
	[SF_MECH_TCP_PACKETS] = { ATTACH_NONE },
	[SF_MECH_TCP_SOCKET_COUNTERS] = { ATTACH_NONE },
	[SF_MECH_RINGBUF] = { ATTACH_NONE },
	[SF_MECH_MAP_ITER] = { ATTACH_MAP_ITER, { "sf_live_socks", "sf_live_udp" },
			       { "socks", "udp_flows" } },
	[SF_MECH_MAP_BATCH] = { ATTACH_NONE },
	[SF_MECH_MAP_LOOKUP] = { ATTACH_NONE },
	[SF_MECH_TASK_FILE_ITER] = { ATTACH_ITER, { "sf_existing" } },
	[SF_MECH_SOCK_DIAG_SCAN] = { ATTACH_NONE },
	[SF_MECH_SOCK_LENGTH_TP] = { ATTACH_AUTO, { "sf_send_length", "sf_recv_length" } },
	[SF_MECH_FENTRY] = { ATTACH_AUTO, { "sf_send_fentry", "sf_recv_fentry", "sf_send6_fentry",
					    "sf_recv6_fentry" } },
	[SF_MECH_KPROBE] = { ATTACH_AUTO, { "sf_send_kprobe", "sf_recv_kprobe", "sf_send6_kprobe",
					    "sf_recv6_kprobe" } },
	[SF_MECH_RESET_TP] = { ATTACH_AUTO, { "sf_send_reset", "sf_receive_reset" } },
	[SF_MECH_RETRANSMIT_TP] = { ATTACH_AUTO, { "sf_retransmit" } },
	[SF_MECH_SCHED_TP] = { ATTACH_AUTO, { "sf_fork", "sf_exit", "sf_cgroup_mkdir" } },
	[SF_MECH_EXEC_PATH_WALK] = { ATTACH_AUTO, { "sf_exec" } },
	[SF_MECH_EXEC_FILENAME] = { ATTACH_AUTO, { "sf_exec_filename" } },
};

static bool has_programs(enum sf_mech m)
{
	return mech_progs[m].kind != ATTACH_NONE;
}

/* Which of the capabilities that matter for loading BPF this process holds (effective). */
static void read_capabilities(struct kernel_probe *kp)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	uint64_t eff;

	if (syscall(SYS_capget, &hdr, data))
		return;
	eff = data[0].effective | (uint64_t)data[1].effective << 32;
	kp->caps_known = true;
	kp->cap_bpf = eff & (1ull << 39);		/* CAP_BPF */
	kp->cap_perfmon = eff & (1ull << 38);		/* CAP_PERFMON */
	kp->cap_sys_admin = eff & (1ull << CAP_SYS_ADMIN);
}

/*
 * The skeleton opened with nothing set to load: maps sized from @o, or
 * tiny when it only serves to learn whether the kernel accepts a program.
 */
static struct sockflow_bpf *open_skeleton(const struct loader_options *o, bool tiny)
{
	struct sockflow_bpf *skel = sockflow_bpf__open();
	struct bpf_program *prog;
	uint32_t ring = tiny ? 64 : o->ringbuf_kib;

	if (!skel)
		return NULL;
	bpf_object__for_each_program(prog, skel->obj) {
		bpf_program__set_autoload(prog, false);
		bpf_program__set_autoattach(prog, false);
	}
	bpf_map__set_max_entries(skel->maps.events, ring * 1024);
	bpf_map__set_max_entries(skel->maps.socks, tiny ? 64 : o->max_sockets);
	bpf_map__set_max_entries(skel->maps.active, tiny ? 64 : o->max_sockets);
	bpf_map__set_max_entries(skel->maps.udp_flows, tiny ? 64 : o->max_udp_flows);
	bpf_map__set_max_entries(skel->maps.udp_owners, tiny ? 1024 : o->max_udp_flows);
	if (tiny) {
		bpf_map__set_max_entries(skel->maps.listeners, 64);
		bpf_map__set_max_entries(skel->maps.handshakes, 1024);
	}
	skel->rodata->wakeup_bytes = (uint64_t)ring * 1024 / 4;
	return skel;
}

static void set_autoload(struct sockflow_bpf *skel, enum sf_mech m, bool on)
{
	const char *const *name;

	for (name = mech_progs[m].progs; *name && name < mech_progs[m].progs + MAX_PROGS; name++)
		bpf_program__set_autoload(bpf_object__find_program_by_name(skel->obj, *name), on);
}

/* The skeleton's link slot of program @name, where sockflow_bpf__destroy() finds it. */
static struct bpf_link **link_slot(struct sockflow_bpf *skel, const char *name)
{
	int i;

	for (i = 0; i < skel->skeleton->prog_cnt; i++) {
		if (!strcmp(skel->skeleton->progs[i].name, name))
			return skel->skeleton->progs[i].link;
	}
	return NULL;
}

static void detach(struct sockflow_bpf *skel, enum sf_mech m)
{
	const struct mech_progs *mp = &mech_progs[m];
	struct bpf_link **slot;
	int i;

	for (i = 0; i < MAX_PROGS && mp->progs[i]; i++) {
		slot = link_slot(skel, mp->progs[i]);
		if (slot) {
			bpf_link__destroy(*slot);
			*slot = NULL;
		}
	}
}

/* Run iterator @link once and read it to the end: some kernels refuse only here. */
static int iter_reads(struct bpf_link *link)
{
	char buf[4096];
	ssize_t got;
	int fd = bpf_iter_create(bpf_link__fd(link));

	if (fd < 0)
		return -errno;
	while ((got = read(fd, buf, sizeof(buf))) > 0 || (got < 0 && errno == EINTR))
		;
	got = got < 0 ? -errno : 0;
	close(fd);
	return (int)got;
}

/* Attach every program of @m; on failure nothing of @m stays attached. */
static int attach(struct sockflow_bpf *skel, enum sf_mech m, const struct loader_options *o,
		  const char **step)
{
	const struct mech_progs *mp = &mech_progs[m];
	LIBBPF_OPTS(bpf_iter_attach_opts, iter_opts);
	union bpf_iter_link_info info;
	struct bpf_program *prog;
	struct bpf_link *link = NULL, **slot;
	int i, err = 0;

	*step = "attach";
	for (i = 0; i < MAX_PROGS && mp->progs[i] && !err; i++) {
		prog = bpf_object__find_program_by_name(skel->obj, mp->progs[i]);
		slot = link_slot(skel, mp->progs[i]);
		switch (mp->kind) {
		case ATTACH_AUTO:
			link = bpf_program__attach(prog);
			break;
		case ATTACH_CGROUP:
			link = bpf_program__attach_cgroup(prog, o->cgroup_fd);
			break;
		case ATTACH_MAP_ITER:
			memset(&info, 0, sizeof(info));
			info.map.map_fd = bpf_object__find_map_fd_by_name(skel->obj, mp->maps[i]);
			iter_opts.link_info = &info;
			iter_opts.link_info_len = sizeof(info);
			link = bpf_program__attach_iter(prog, &iter_opts);
			break;
		case ATTACH_ITER:
			link = bpf_program__attach_iter(prog, NULL);
			break;
		case ATTACH_NONE:
			return 0;
		}
		if (!link) {
			err = -errno;
			break;
		}
		*slot = link;
		if (mp->kind == ATTACH_MAP_ITER) {
			err = iter_reads(link);
			if (err)
				*step = "read";
		}
	}
	if (err)
		detach(skel, m);
	return err;
}

/* Whether batched lookups work on the socket map (5.6+; not every map type has them). */
static int try_batch(struct sockflow_bpf *skel)
{
	__u64 keys[4], batch = 0;
	struct sf_sock values[4];
	__u32 count = 4;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int err;

	err = bpf_map_lookup_batch(bpf_map__fd(skel->maps.socks), NULL, &batch, keys, values,
				   &count, &opts);
	if (err && errno != ENOENT)
		return -errno;
	return 0;
}

/* The kernel's answer for user-space mechanism @m, which loads no program. */
static int try_user_space(struct sockflow_bpf *skel, enum sf_mech m, const char **step)
{
	*step = "call";
	return m == SF_MECH_MAP_BATCH ? try_batch(skel) : 0;
}

/* Load a throwaway skeleton with @m's programs only: does the kernel accept them? */
static int probe_alone(const struct loader_options *o, enum sf_mech m)
{
	struct sockflow_bpf *skel = open_skeleton(o, true);
	int err;

	if (!skel)
		return -errno;
	set_autoload(skel, m, true);
	err = sockflow_bpf__load(skel);
	sockflow_bpf__destroy(skel);
	return err;
}

static void refuse(struct kernel_probe *kp, enum sf_mech m, int err, const char *step)
{
	kp->mech[m].outcome = MECH_REFUSED;
	kp->mech[m].err = err;
	kp->mech[m].step = step;
}

/*
 * Load every wanted program at once; where the kernel refuses that, learn
 * program by program which it refuses (a load is all or nothing) and load
 * the rest.
 */
static int load_accepted(const struct loader_options *o, struct kernel_probe *kp,
			 struct sockflow_bpf **out)
{
	struct sockflow_bpf *skel;
	int m, err, refused;

	for (;;) {
		skel = open_skeleton(o, false);
		if (!skel)
			return -errno;
		for (m = 0; m < SF_MECH__MAX; m++) {
			if (has_programs(m) && kp->mech[m].outcome == MECH_UNTRIED)
				set_autoload(skel, m, true);
		}
		err = sockflow_bpf__load(skel);
		if (!err) {
			*out = skel;
			return 0;
		}
		sockflow_bpf__destroy(skel);
		/* Find the refused ones and retry without them. */
		refused = 0;
		for (m = 0; m < SF_MECH__MAX; m++) {
			if (has_programs(m) && kp->mech[m].outcome == MECH_UNTRIED) {
				int why = probe_alone(o, m);

				if (why) {
					refuse(kp, m, why, "load");
					refused++;
				}
			}
		}
		if (!refused)
			return err;	/* each loads alone, not together */
	}
}

/* Attach per capability the first mechanism that works; with try_all, try the others too. */
static void choose(struct sockflow_bpf *skel, const struct loader_options *o,
		   struct kernel_probe *kp)
{
	const struct sf_cap_info *ci;
	const char *step = NULL;
	enum sf_mech m;
	int c, i, err;

	for (c = 0; c < SF_CAP__MAX; c++) {
		ci = sf_cap__info(c);
		kp->chosen[c] = SF_MECH_NONE;
		for (i = 0; (m = ci->mechs[i]) != SF_MECH_NONE; i++) {
			if (kp->mech[m].outcome != MECH_UNTRIED)
				continue;
			if (kp->chosen[c] != SF_MECH_NONE && !o->try_all)
				continue;
			err = has_programs(m) ? attach(skel, m, o, &step) :
						try_user_space(skel, m, &step);
			if (err) {
				refuse(kp, m, err, step);
				continue;
			}
			if (kp->chosen[c] == SF_MECH_NONE) {
				kp->chosen[c] = m;
				kp->mech[m].outcome = MECH_CHOSEN;
			} else {
				kp->mech[m].outcome = MECH_WORKS;
				detach(skel, m);
			}
		}
	}
}

/*
 * A required capability nothing provides, and the mechanism whose refusal
 * explains it best: a refused one (the ring buffer refused leaves the
 * programs untried), else its first. SF_CAP__MAX when none is missing.
 */
static enum sf_cap missing_required(const struct kernel_probe *kp, int *mech)
{
	enum sf_cap c, first = SF_CAP__MAX;
	int i, m;

	for (c = 0; c < SF_CAP__MAX; c++) {
		if (!sf_cap__info(c)->required || kp->chosen[c] != SF_MECH_NONE)
			continue;
		for (i = 0; (m = sf_cap__info(c)->mechs[i]) != SF_MECH_NONE; i++) {
			if (kp->mech[m].outcome == MECH_REFUSED) {
				*mech = m;
				return c;
			}
		}
		if (first == SF_CAP__MAX) {
			first = c;
			*mech = sf_cap__info(c)->mechs[0];
		}
	}
	return first;
}

int loader__load(const struct loader_options *o, struct kernel_probe *kp,
		 struct sockflow_bpf **out, char *msg, size_t msg_len)
{
	struct sockflow_bpf *skel = NULL;
	const struct sf_mech_info *mi;
	char why[512];
	int c, m, err;

	*out = NULL;
	memset(kp, 0, sizeof(*kp));
	kp->probe_ns = now_ns();
	read_capabilities(kp);
	for (m = 0; m < SF_MECH__MAX; m++) {
		if (o->disabled & (1u << m))
			kp->mech[m].outcome = MECH_DISABLED;
	}
	for (c = 0; c < SF_CAP__MAX; c++)
		kp->chosen[c] = SF_MECH_NONE;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(msg, msg_len, "kernel has no BTF (/sys/kernel/btf/vmlinux): sockflow needs "
			 "CONFIG_DEBUG_INFO_BTF=y (Linux 5.12 or later)");
		return -ENOTSUP;
	}
	/* Made by hand, not with libbpf's probe: that one says "unsupported" for EPERM too. */
	err = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, 64 * 1024, NULL);
	if (err < 0)
		refuse(kp, SF_MECH_RINGBUF, -errno, "create");
	else
		close(err);

	if (kp->mech[SF_MECH_RINGBUF].outcome != MECH_REFUSED) {
		err = load_accepted(o, kp, &skel);
		if (err) {
			snprintf(msg, msg_len, "loading the BPF programs failed: %s (errno %d); "
				 "--log-level debug shows libbpf's and the verifier's messages",
				 strerror(-err), -err);
			kp->probe_ns = now_ns() - kp->probe_ns;
			return err;
		}
		choose(skel, o, kp);
	}
	kp->probe_ns = now_ns() - kp->probe_ns;

	c = missing_required(kp, &m);
	if (c != SF_CAP__MAX) {
		mi = sf_mech__info(m);
		loader__refusal(kp, m, why, sizeof(why));
		if (kp->mech[m].err == -EPERM)	/* privileges: the kernel is not the question */
			snprintf(msg, msg_len, "%s: %s: %s", sf_cap__info(c)->name, mi->what, why);
		else
			snprintf(msg, msg_len, "%s: %s: %s; it needs %s and Linux %s or later",
				 sf_cap__info(c)->name, mi->what, why, mi->kconfig,
				 mi->first_kernel);
		sockflow_bpf__destroy(skel);
		return kp->mech[m].err ? kp->mech[m].err : -ENOTSUP;
	}
	*out = skel;
	return 0;
}

void loader__refusal(const struct kernel_probe *kp, enum sf_mech m, char *buf, size_t len)
{
	const struct mech_result *r = &kp->mech[m];
	int e = -r->err;
	const char *step = r->step ? r->step : "load";

	switch (r->outcome) {
	case MECH_DISABLED:
		snprintf(buf, len, "disabled by [kernel] disable_mechanisms");
		return;
	case MECH_REFUSED:
		break;
	default:
		snprintf(buf, len, "not refused");
		return;
	}
	if (e == EPERM) {
		if (kp->caps_known && !kp->cap_bpf && !kp->cap_sys_admin)
			snprintf(buf, len, "refused at %s: %s (errno %d); sockflow does not hold "
				 "CAP_BPF (nor CAP_SYS_ADMIN): run it as root or grant CAP_BPF and "
				 "CAP_PERFMON", step, strerror(e), e);
		else if (kp->caps_known && !kp->cap_perfmon && !kp->cap_sys_admin)
			snprintf(buf, len, "refused at %s: %s (errno %d); sockflow does not hold "
				 "CAP_PERFMON (nor CAP_SYS_ADMIN), which tracing programs need",
				 step, strerror(e), e);
		else if (kp->caps_known && !kp->cap_sys_admin)
			/* 6.18 refuses tp_btf sock:inet_sock_set_state so, not tcp:* ones. */
			snprintf(buf, len, "refused at %s: %s (errno %d); sockflow holds CAP_BPF "
				 "and CAP_PERFMON but not CAP_SYS_ADMIN, which this kernel may ask "
				 "for this program: grant CAP_SYS_ADMIN", step, strerror(e), e);
		else
			snprintf(buf, len, "refused at %s: %s (errno %d) although sockflow holds "
				 "CAP_BPF and CAP_PERFMON: this kernel does not allow it (its "
				 "configuration, lockdown or an LSM), not a missing privilege",
				 step, strerror(e), e);
	} else if (e == ESRCH || e == ENOENT) {
		snprintf(buf, len, "not in this kernel (%s: %s, errno %d)", step, strerror(e), e);
	} else if (e == ENOTSUPP || e == EOPNOTSUPP) {
		snprintf(buf, len, "not supported by this kernel (%s: %s, errno %d)", step,
			 e == ENOTSUPP ? "not supported" : strerror(e), e);
	} else if (!strcmp(step, "load") && (e == EACCES || e == EINVAL)) {
		snprintf(buf, len, "rejected by this kernel's verifier (%s, errno %d); "
			 "--log-level debug shows its log", strerror(e), e);
	} else {
		snprintf(buf, len, "refused at %s: %s (errno %d)", step, strerror(e), e);
	}
}

void loader__describe(const struct kernel_probe *kp, enum sf_cap cap, char *buf, size_t len)
{
	const struct sf_cap_info *ci = sf_cap__info(cap);
	enum sf_mech m, chosen = kp->chosen[cap];
	GString *s = g_string_new(NULL);
	char why[512];
	int i;

	if (chosen != SF_MECH_NONE)
		g_string_printf(s, "%s: %s (%s)", ci->name, sf_mech__info(chosen)->name,
				sf_mech__info(chosen)->what);
	else
		g_string_printf(s, "%s: none works; lost: %s", ci->name, ci->lost);
	/* Why the better ones were passed over; the worse ones do not matter. */
	for (i = 0; (m = ci->mechs[i]) != SF_MECH_NONE && m != chosen; i++) {
		if (kp->mech[m].outcome != MECH_REFUSED && kp->mech[m].outcome != MECH_DISABLED)
			continue;
		loader__refusal(kp, m, why, sizeof(why));
		g_string_append_printf(s, "; %s: %s", sf_mech__info(m)->name, why);
	}
	snprintf(buf, len, "%s", s->str);
	g_string_free(s, TRUE);
}

static const char *outcome_word(enum mech_outcome o)
{
	switch (o) {
	case MECH_CHOSEN:
		return "chosen";
	case MECH_WORKS:
		return "works";
	case MECH_REFUSED:
		return "refused";
	case MECH_DISABLED:
		return "disabled";
	case MECH_UNTRIED:
		break;
	}
	return "not tried";
}

char *loader__table(const struct kernel_probe *kp)
{
	GString *s = g_string_new(NULL);
	const struct sf_cap_info *ci;
	const struct sf_mech_info *mi;
	char why[512];
	enum sf_mech m;
	int c, i, w = 0;	/* the mechanism column: as wide as the longest name */

	for (m = 0; m < SF_MECH__MAX; m++)
		w = MAX(w, (int)strlen(sf_mech__info(m)->name));
	g_string_append_printf(s, "%-17s %-*s %-9s %s\n", "capability", w, "mechanism", "result",
			       "what (first kernel; option)");
	for (c = 0; c < SF_CAP__MAX; c++) {
		ci = sf_cap__info(c);
		for (i = 0; (m = ci->mechs[i]) != SF_MECH_NONE; i++) {
			mi = sf_mech__info(m);
			g_string_append_printf(s, "%-17s %-*s %-9s %s (%s; %s)\n",
					       i ? "" : ci->name, w, mi->name,
					       outcome_word(kp->mech[m].outcome), mi->what,
					       mi->first_kernel, mi->kconfig);
			if (kp->mech[m].outcome == MECH_REFUSED) {
				loader__refusal(kp, m, why, sizeof(why));
				g_string_append_printf(s, "%-17s %-*s %-9s   %s\n", "", w, "", "",
						       why);
			}
		}
		if (kp->chosen[c] == SF_MECH_NONE)
			g_string_append_printf(s, "%-17s %-*s %-9s   %s: %s\n", "", w, "", "",
					       ci->required ? "REQUIRED, missing" : "lost", ci->lost);
	}
	g_string_append_printf(s, "probed in %.0f ms\n", kp->probe_ns / 1e6);
	return g_string_free(s, FALSE);
}
