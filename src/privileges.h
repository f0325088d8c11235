/* SPDX-License-Identifier: GPL-2.0-only */
/* The Linux capabilities sockflow needs, what each is for, and dropping the rest once attached. */
#ifndef SOCKFLOW_PRIVILEGES_H
#define SOCKFLOW_PRIVILEGES_H

#include <stdbool.h>
#include <stdint.h>

enum privilege {
	PRIV_BPF,
	PRIV_PERFMON,
	PRIV_NET_ADMIN,
	PRIV_SYS_ADMIN,
	PRIV_SYS_PTRACE,
	PRIV_DAC_READ_SEARCH,
	PRIV__MAX,
};

struct privilege_info {
	const char *name;		/* "CAP_BPF" */
	unsigned int cap;		/* its number in the capability sets */
	bool load_only;			/* needed to load and attach, then dropped if it can be */
	const char *used_for;
	const char *lost;		/* what sockflow cannot do without it */
};

const struct privilege_info *privileges__info(enum privilege p);

/*
 * Log one warning per capability sockflow needs and does not hold (in its
 * effective set), naming what is lost. Returns how many are missing.
 */
int privileges__check(void);

/* The block `sockflow --probe` prints: each capability, held or missing, what for. */
char *privileges__table(void);

/*
 * Once the programs are loaded and attached: keep only the capabilities
 * sockflow still needs, in the effective and permitted sets; empty the
 * inheritable and ambient sets, cut the bounding set (when CAP_SETPCAP is
 * held) and set no_new_privs. CAP_BPF and CAP_PERFMON go unless
 * @map_read, tried without them, is refused with -EPERM (older kernels
 * with kernel.unprivileged_bpf_disabled set check them on every bpf()
 * call, map reads too). Logs one line saying what was kept. 0, or -errno
 * after logging why.
 */
int privileges__drop(int (*map_read)(void *ctx), void *ctx);

#endif
