/* SPDX-License-Identifier: GPL-2.0-only */
/* What sockflow needs from the kernel: capabilities, and the mechanisms that can provide each. */
#ifndef SOCKFLOW_SOURCE_MECHANISM_H
#define SOCKFLOW_SOURCE_MECHANISM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One thing a record is built from. Each is provided by the first of its
 * mechanisms, in order of preference, that this kernel accepts and the
 * configuration does not disable ([kernel] disable_mechanisms).
 */
enum sf_cap {
	SF_CAP_TCP_LIFECYCLE,	/* required */
	SF_CAP_PACKET_COUNTERS,	/* required */
	SF_CAP_TCP_COUNTERS,	/* required */
	SF_CAP_EVENT_RING,	/* required */
	SF_CAP_LIVE_COUNTERS,
	SF_CAP_EXISTING_SOCKETS,
	SF_CAP_SOCKET_OWNER,
	SF_CAP_TCP_RESETS,
	SF_CAP_TCP_RETRANSMITS,
	SF_CAP_PROCESS_EVENTS,
	SF_CAP_EXEC_PATH,
	SF_CAP__MAX,
};

enum sf_mech {
	SF_MECH_SET_STATE_TP,	/* tp_btf sock:inet_sock_set_state */
	SF_MECH_CGROUP_SKB,	/* cgroup_skb ingress/egress at the v2 root */
	SF_MECH_TCP_PACKETS,	/* TCP counted packet by packet by those programs: exact */
	SF_MECH_TCP_SOCKET_COUNTERS,	/* TCP's own segment and byte counters: octets estimated */
	SF_MECH_RINGBUF,	/* BPF ring buffer */
	SF_MECH_MAP_ITER,	/* iter/bpf_map_elem */
	SF_MECH_MAP_BATCH,	/* bpf_map_lookup_batch() */
	SF_MECH_MAP_LOOKUP,	/* one lookup per key */
	SF_MECH_TASK_FILE_ITER,	/* iter/task_file + bpf_sock_from_file() */
	SF_MECH_SOCK_DIAG_SCAN,	/* sock_diag dumps + /proc/PID/fd */
	SF_MECH_SOCK_LENGTH_TP,	/* tp_btf sock:sock_send_length / sock_recv_length */
	SF_MECH_FENTRY,		/* fentry on inet(6)_sendmsg / inet(6)_recvmsg */
	SF_MECH_KPROBE,		/* kprobes on the same */
	SF_MECH_RESET_TP,	/* tp_btf tcp:tcp_send_reset / tcp_receive_reset */
	SF_MECH_RETRANSMIT_TP,	/* tp_btf tcp:tcp_retransmit_skb */
	SF_MECH_SCHED_TP,	/* tp_btf sched_process_fork/exit, cgroup_mkdir */
	SF_MECH_EXEC_PATH_WALK,	/* tp_btf sched_process_exec, dentry walk with bpf_loop() */
	SF_MECH_EXEC_FILENAME,	/* tp_btf sched_process_exec, the name given to execve() */
	SF_MECH__MAX,
	SF_MECH_NONE = SF_MECH__MAX,
};

struct sf_cap_info {
	const char *name;		/* "socket_owner" */
	bool required;			/* sockflow cannot run without it */
	const char *lost;		/* what records lack when no mechanism works */
	enum sf_mech mechs[4];		/* in order of preference, ended by SF_MECH_NONE */
};

struct sf_mech_info {
	const char *name;		/* "sock_length_tp": the word [kernel] disable_mechanisms takes */
	enum sf_cap cap;
	bool in_kernel;			/* a BPF program or map the kernel may refuse */
	bool fixed;			/* cannot be disabled: nothing would replace it */
	const char *what;		/* the mechanism, as a person looks it up */
	const char *first_kernel;	/* the first mainline kernel that has it */
	const char *kconfig;		/* the kernel option that provides it, or NULL */
};

const struct sf_cap_info *sf_cap__info(enum sf_cap cap);
const struct sf_mech_info *sf_mech__info(enum sf_mech mech);

/* The mechanism called @name, or SF_MECH_NONE. */
enum sf_mech sf_mech__by_name(const char *name);

/*
 * Parse a list of mechanism names separated by spaces, commas or ';' into a
 * bit mask (1 << enum sf_mech) and its normal form ("a b", "" for none).
 * Returns 0, or -EINVAL with "what is wrong; what is expected" in @err.
 */
int sf_mech__parse_list(const char *list, uint32_t *mask, char *normal, size_t normal_len,
			char *err, size_t err_len);

#endif
