/* SPDX-License-Identifier: GPL-2.0-only */
/* Probe which mechanisms this kernel accepts, load and attach the best, and say what was chosen. */
#ifndef SOCKFLOW_SOURCE_LOADER_H
#define SOCKFLOW_SOURCE_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source/mechanism.h"

struct sockflow_bpf;

enum mech_outcome {
	MECH_UNTRIED = 0,	/* not needed: a better one was chosen first */
	MECH_CHOSEN,		/* in use */
	MECH_WORKS,		/* accepted, but a better one is in use (--probe tries them all) */
	MECH_REFUSED,		/* the kernel refused it: see err and step */
	MECH_DISABLED,		/* [kernel] disable_mechanisms */
};

struct mech_result {
	enum mech_outcome outcome;
	int err;		/* -errno of the refusal */
	const char *step;	/* where it was refused: "load", "attach", "read" */
};

/* What this kernel accepts, and what each capability is built from. */
struct kernel_probe {
	struct mech_result mech[SF_MECH__MAX];
	enum sf_mech chosen[SF_CAP__MAX];	/* SF_MECH_NONE: nothing works */
	bool caps_known;			/* capget() answered */
	bool cap_bpf, cap_perfmon, cap_sys_admin;
	uint64_t probe_ns;			/* time spent trying */
};

struct loader_options {
	uint32_t max_sockets;
	uint32_t max_udp_flows;
	uint32_t ringbuf_kib;
	uint32_t disabled;		/* 1 << enum sf_mech */
	int cgroup_fd;			/* cgroup v2 root for the packet counters */
	bool try_all;			/* try every mechanism, even after one works (--probe) */
};

/*
 * Open, size, load and attach the BPF programs: per capability the first
 * mechanism this kernel accepts, trying the next where one is refused.
 * Programs the kernel refuses are left out of the load, so an optional one
 * cannot take the others down. Fills @kp either way. Returns 0 with the
 * loaded skeleton in *@out, or -errno with the reason in @msg (a required
 * capability that no mechanism provides).
 */
int loader__load(const struct loader_options *o, struct kernel_probe *kp,
		 struct sockflow_bpf **out, char *msg, size_t msg_len);

/*
 * One line saying how capability @cap is provided (or what is lost), as
 * logged at start: "socket_owner: fentry (fentry on ...); refused:
 * sock_length_tp (load: not in this kernel)".
 */
void loader__describe(const struct kernel_probe *kp, enum sf_cap cap, char *buf, size_t len);

/* Why @m was refused, for a person: the raw error and whether privileges were the cause. */
void loader__refusal(const struct kernel_probe *kp, enum sf_mech m, char *buf, size_t len);

/* The table `sockflow --probe` prints: every capability and every mechanism. */
char *loader__table(const struct kernel_probe *kp);

#endif
