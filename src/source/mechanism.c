// SPDX-License-Identifier: GPL-2.0-only
/* The table of capabilities and mechanisms, and the names [kernel] disable_mechanisms takes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "source/mechanism.h"

#define END SF_MECH_NONE

static const struct sf_cap_info caps[SF_CAP__MAX] = {
	[SF_CAP_TCP_LIFECYCLE] = { "tcp_lifecycle", true, "no TCP flows at all",
				   { SF_MECH_SET_STATE_TP, END } },
	[SF_CAP_PACKET_COUNTERS] = { "packet_counters", true, "no packet or byte counts",
				     { SF_MECH_CGROUP_SKB, END } },
	[SF_CAP_TCP_COUNTERS] = { "tcp_counters", true, "no TCP packet or byte counts",
				  { SF_MECH_TCP_PACKETS, SF_MECH_TCP_SOCKET_COUNTERS, END } },
	[SF_CAP_EVENT_RING] = { "event_ring", true, "no events from the kernel",
				{ SF_MECH_RINGBUF, END } },
	[SF_CAP_LIVE_COUNTERS] = { "live_counters", true,
				   "no interim records, no UDP flows",
				   { SF_MECH_MAP_ITER, SF_MECH_MAP_BATCH, SF_MECH_MAP_LOOKUP, END } },
	[SF_CAP_EXISTING_SOCKETS] = { "existing_sockets", false,
				      "connections open before start are not exported",
				      { SF_MECH_TASK_FILE_ITER, SF_MECH_SOCK_DIAG_SCAN, END } },
	[SF_CAP_SOCKET_OWNER] = { "socket_owner", false,
				  "an accepted connection's server end is named after the "
				  "listener's process; UDP flows name no process",
				  { SF_MECH_SOCK_LENGTH_TP, SF_MECH_FENTRY, SF_MECH_KPROBE, END } },
	[SF_CAP_TCP_RESETS] = { "tcp_resets", false,
				"resets are not flagged (tcpControlBits RST, resets elements)",
				{ SF_MECH_RESET_TP, END } },
	[SF_CAP_TCP_RETRANSMITS] = { "tcp_retransmits", false,
				     "interim records count retransmissions only from sock_diag "
				     "polls (final records stay exact)",
				     { SF_MECH_RETRANSMIT_TP, END } },
	[SF_CAP_PROCESS_EVENTS] = { "process_events", false,
				    "processes and containers are named from /proc when a flow "
				    "is exported: short-lived ones are missed",
				    { SF_MECH_SCHED_TP, END } },
	[SF_CAP_EXEC_PATH] = { "exec_path", false,
			       "executables and command lines come from /proc when a flow is "
			       "exported: short-lived processes lose them",
			       { SF_MECH_EXEC_PATH_WALK, SF_MECH_EXEC_FILENAME, END } },
};

static const struct sf_mech_info mechs[SF_MECH__MAX] = {
	[SF_MECH_SET_STATE_TP] = { "set_state_tp", SF_CAP_TCP_LIFECYCLE, true, true,
				   "tp_btf sock:inet_sock_set_state with socket cookies", "5.12",
				   "CONFIG_DEBUG_INFO_BTF" },
	[SF_MECH_CGROUP_SKB] = { "cgroup_skb", SF_CAP_PACKET_COUNTERS, true, true,
				 "cgroup_skb ingress/egress on the cgroup v2 root", "5.2",
				 "CONFIG_CGROUP_BPF" },
	[SF_MECH_TCP_PACKETS] = { "tcp_packets", SF_CAP_TCP_COUNTERS, false, false,
				  "every TCP packet counted by the cgroup_skb programs: exact "
				  "IP-layer packets and octets, as a capture counts them",
				  "5.2", "CONFIG_CGROUP_BPF" },
	[SF_MECH_TCP_SOCKET_COUNTERS] = { "tcp_socket_counters", SF_CAP_TCP_COUNTERS, false,
					  true,
					  "TCP's own per-socket counters (segments, payload "
					  "bytes) at close and from sock_diag polls: octets "
					  "estimated, no work per TCP packet",
					  "4.19", "CONFIG_INET_DIAG" },
	[SF_MECH_RINGBUF] = { "ringbuf", SF_CAP_EVENT_RING, true, true, "BPF ring buffer map",
			      "5.8", "CONFIG_BPF_SYSCALL" },
	[SF_MECH_MAP_ITER] = { "map_iter", SF_CAP_LIVE_COUNTERS, true, false,
			       "iter/bpf_map_elem over the socket and UDP maps", "5.9",
			       "CONFIG_BPF_SYSCALL" },
	[SF_MECH_MAP_BATCH] = { "map_batch", SF_CAP_LIVE_COUNTERS, true, false,
				"bpf_map_lookup_batch() from user space", "5.6",
				"CONFIG_BPF_SYSCALL" },
	[SF_MECH_MAP_LOOKUP] = { "map_lookup", SF_CAP_LIVE_COUNTERS, false, true,
				 "one map lookup per key from user space", "4.4",
				 "CONFIG_BPF_SYSCALL" },
	[SF_MECH_TASK_FILE_ITER] = { "task_file_iter", SF_CAP_EXISTING_SOCKETS, true, false,
				     "iter/task_file with bpf_sock_from_file()", "5.11",
				     "CONFIG_BPF_SYSCALL" },
	[SF_MECH_SOCK_DIAG_SCAN] = { "sock_diag_scan", SF_CAP_EXISTING_SOCKETS, false, false,
				     "sock_diag dump of every namespace + /proc/PID/fd owners",
				     "4.4", "CONFIG_INET_DIAG, CONFIG_INET_UDP_DIAG" },
	[SF_MECH_SOCK_LENGTH_TP] = { "sock_length_tp", SF_CAP_SOCKET_OWNER, true, false,
				     "tp_btf sock:sock_send_length / sock_recv_length", "6.3",
				     "CONFIG_DEBUG_INFO_BTF" },
	[SF_MECH_FENTRY] = { "fentry", SF_CAP_SOCKET_OWNER, true, false,
			     "fentry on inet_sendmsg, inet_recvmsg, inet6_sendmsg, inet6_recvmsg",
			     "5.12", "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS" },
	[SF_MECH_KPROBE] = { "kprobe", SF_CAP_SOCKET_OWNER, true, false,
			     "kprobes on inet_sendmsg, inet_recvmsg, inet6_sendmsg, inet6_recvmsg",
			     "5.11", "CONFIG_KPROBES" },
	[SF_MECH_RESET_TP] = { "reset_tp", SF_CAP_TCP_RESETS, true, false,
			       "tp_btf tcp:tcp_send_reset / tcp_receive_reset", "5.12",
			       "CONFIG_DEBUG_INFO_BTF" },
	[SF_MECH_RETRANSMIT_TP] = { "retransmit_tp", SF_CAP_TCP_RETRANSMITS, true, false,
				    "tp_btf tcp:tcp_retransmit_skb", "5.12",
				    "CONFIG_DEBUG_INFO_BTF" },
	[SF_MECH_SCHED_TP] = { "sched_tp", SF_CAP_PROCESS_EVENTS, true, false,
			       "tp_btf sched:sched_process_fork / sched_process_exit, "
			       "cgroup:cgroup_mkdir", "5.8", "CONFIG_DEBUG_INFO_BTF" },
	[SF_MECH_EXEC_PATH_WALK] = { "exec_path_walk", SF_CAP_EXEC_PATH, true, false,
				     "tp_btf sched:sched_process_exec, path from dentries "
				     "(bpf_loop)", "5.17", "CONFIG_DEBUG_INFO_BTF" },
	[SF_MECH_EXEC_FILENAME] = { "exec_filename", SF_CAP_EXEC_PATH, true, false,
				    "tp_btf sched:sched_process_exec, the name given to execve()",
				    "5.8", "CONFIG_DEBUG_INFO_BTF" },
};

const struct sf_cap_info *sf_cap__info(enum sf_cap cap)
{
	return cap < SF_CAP__MAX ? &caps[cap] : NULL;
}

const struct sf_mech_info *sf_mech__info(enum sf_mech mech)
{
	return mech < SF_MECH__MAX ? &mechs[mech] : NULL;
}

enum sf_mech sf_mech__by_name(const char *name)
{
	int m;

	for (m = 0; m < SF_MECH__MAX; m++) {
		if (!strcmp(mechs[m].name, name))
			return m;
	}
	return SF_MECH_NONE;
}

/* "a, b or c": the names a list may hold. */
static void disableable_names(GString *out)
{
	int m, n = 0, total = 0;

	for (m = 0; m < SF_MECH__MAX; m++)
		total += !mechs[m].fixed;
	for (m = 0; m < SF_MECH__MAX; m++) {
		if (mechs[m].fixed)
			continue;
		if (n++)
			g_string_append(out, n == total ? " or " : ", ");
		g_string_append(out, mechs[m].name);
	}
}

int sf_mech__parse_list(const char *list, uint32_t *mask, char *normal, size_t normal_len,
			char *err, size_t err_len)
{
	gchar **words = g_strsplit_set(list, " \t,;", -1);
	GString *out = g_string_new(NULL), *names;
	enum sf_mech m;
	int rc = 0, i;

	*mask = 0;
	for (i = 0; words[i] && !rc; i++) {
		if (!words[i][0])
			continue;
		m = sf_mech__by_name(words[i]);
		if (m == SF_MECH_NONE || mechs[m].fixed) {
			names = g_string_new(NULL);
			disableable_names(names);
			if (err)
				snprintf(err, err_len, "\"%s\" is not a mechanism that can be "
					 "disabled%s; expected %s", words[i],
					 m == SF_MECH_NONE ? "" : " (nothing would replace it)",
					 names->str);
			g_string_free(names, TRUE);
			rc = -EINVAL;
			break;
		}
		if (*mask & (1u << m))
			continue;
		*mask |= 1u << m;
	}
	for (m = 0; m < SF_MECH__MAX && !rc; m++) {
		if (*mask & (1u << m))
			g_string_append_printf(out, "%s%s", out->len ? " " : "", mechs[m].name);
	}
	if (!rc && out->len >= normal_len) {
		if (err)
			snprintf(err, err_len, "list too long");
		rc = -EINVAL;
	}
	if (!rc)
		snprintf(normal, normal_len, "%s", out->str);
	g_string_free(out, TRUE);
	g_strfreev(words);
	return rc;
}
