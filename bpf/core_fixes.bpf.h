/* SPDX-License-Identifier: GPL-2.0-only */
/* CO-RE reads of kernel fields whose layout changed across the kernels sockflow runs on. */
#ifndef SOCKFLOW_CORE_FIXES_BPF_H
#define SOCKFLOW_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/*
 * Before 5.15 (commit 8520e224f547 "bpf, cgroups: Fix cgroup v2 fallback
 * on v1/v2 mixed mode"), struct sock_cgroup_data packed the cgroup pointer
 * into a u64 shared with the v1 net_prio/net_cls ids: bit 0 set meant "v1
 * data, no pointer".
 */
struct sock_cgroup_data___old {
	union {
		struct {
			__u8 is_data : 1;
			__u8 no_refcnt : 1;
			__u8 unused : 6;
			__u8 padding;
			__u16 prioidx;
			__u32 classid;
		};
		__u64 val;
	};
};

/*
 * Before 5.5 (commit 67c0496e87d1 "kernfs: convert kernfs_node->id from
 * union kernfs_node_id to u64"), a kernfs id was a union whose 64-bit view
 * is the id the cgroup v2 interfaces report.
 */
union kernfs_node_id___old {
	struct {
		__u32 ino;
		__u32 generation;
	};
	__u64 id;
};

struct kernfs_node___old {
	union kernfs_node_id___old id;
};

/*
 * Before 5.5 (commit cf25e24db61c "time: Rename tsk->real_start_time to
 * ->start_boottime"), the boot-based start time had another name.
 */
struct task_struct___old {
	__u64 real_start_time;
};

/* The cgroup v2 id of a kernfs node (a cgroup's directory). */
static __always_inline __u64 kernfs_node_id(const struct kernfs_node *kn)
{
	if (!kn)
		return 0;
	if (!bpf_core_type_exists(union kernfs_node_id___old))
		return BPF_CORE_READ(kn, id);
	return BPF_CORE_READ((const struct kernfs_node___old *)kn, id.id);
}

/* The cgroup v2 id of the cgroup a socket was created in (its owner's, also in softirq). */
static __always_inline __u64 sock_cgroup_id(const struct sock *sk)
{
	struct cgroup *cg;

	if (bpf_core_field_exists(struct sock_cgroup_data, cgroup)) {
		cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	} else {
		const struct sock_cgroup_data___old *d = (const void *)&sk->sk_cgrp_data;
		__u64 v = BPF_CORE_READ(d, val);

		cg = (v & 1) ? NULL : (struct cgroup *)(unsigned long)v;
	}
	return cg ? kernfs_node_id(BPF_CORE_READ(cg, kn)) : 0;
}

/* When a thread group's leader started, in ns since boot (suspend included). */
static __always_inline __u64 task_start_boottime(const struct task_struct *task)
{
	const struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	if (bpf_core_field_exists(leader->start_boottime))
		return BPF_CORE_READ(leader, start_boottime);
	return BPF_CORE_READ((const struct task_struct___old *)leader, real_start_time);
}

/*
 * Payload bytes a TCP socket sent, retransmissions included, as a capture
 * sees them. tcp_sock.bytes_sent came in 4.19 (commit ba113c3aa79a "tcp:
 * add data bytes sent stats"); before it, bytes acknowledged is the
 * nearest count (it leaves out retransmissions and data in flight).
 */
static __always_inline __u64 tcp_bytes_sent(const struct tcp_sock *tp)
{
	if (bpf_core_field_exists(tp->bytes_sent))
		return BPF_CORE_READ(tp, bytes_sent);
	return BPF_CORE_READ(tp, bytes_acked);
}

#endif
