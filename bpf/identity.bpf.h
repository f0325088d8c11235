/* SPDX-License-Identifier: GPL-2.0-only */
/* Process and cgroup lifecycle events, for the identity caches in user space. */
#ifndef SOCKFLOW_IDENTITY_BPF_H
#define SOCKFLOW_IDENTITY_BPF_H

/* Included by sockflow.bpf.c after its maps and helpers. */

static __always_inline struct sf_proc_event *proc_event(__u32 type, struct task_struct *task)
{
	struct sf_proc_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		stat_inc(SF_STAT_PROC_EVENTS_LOST);
		return NULL;
	}
	e->type = type;
	e->pid = task->tgid;
	e->ppid = task->real_parent->tgid;
	e->uid = task->cred->uid.val;
	e->start_boottime_ns = task_start_boottime(task);
	e->parent_start_boottime_ns = 0;
	__builtin_memcpy(e->comm, task->comm, sizeof(e->comm));
	e->args_len = 0;
	e->pad = 0;
	e->exe[0] = '\0';
	e->args[0] = '\0';
	return e;
}

static __always_inline void proc_event_submit(struct sf_proc_event *e)
{
	stat_inc(SF_STAT_EVENTS);
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > wakeup_bytes ?
				       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

#define PATH_DEPTH 32
#define NAME_MAX_COPY 64

/*
 * Scratch space for building a path backwards, in a per-CPU map: the walk
 * keeps its state here rather than on the stack, so the verifier sees each
 * step with unknown values and verifies the loop body once.
 */
struct path_walk {
	char c[2 * SF_PATH_LEN];	/* the path ends at c[SF_PATH_LEN - 1] */
	__u64 dentry;			/* struct dentry * still to name */
	__u64 mnt;			/* struct mount * it is on */
	__u32 pos;			/* the path starts at c[pos] */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_walk);
} path_scratch SEC(".maps");

/* One step up: a name prepended, or a mount point crossed. 1 stops the walk. */
static long path_step(__u32 i, void *ctx)
{
	struct dentry *d, *parent, *mnt_root;
	struct mount *mnt, *mnt_parent;
	const unsigned char *name;
	struct path_walk *w;
	__u32 zero = 0, len, pos;

	w = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!w)
		return 1;
	d = (struct dentry *)w->dentry;
	mnt = (struct mount *)w->mnt;
	mnt_root = BPF_CORE_READ(mnt, mnt.mnt_root);
	if (d == mnt_root) {
		mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (mnt_parent == mnt)
			return 1;
		w->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = (__u64)mnt_parent;
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (d == parent)
		return 1;
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	if (len > NAME_MAX_COPY)
		len = NAME_MAX_COPY;
	pos = w->pos;
	if (pos > SF_PATH_LEN - 1 || len + 1 > pos)
		return 1;
	pos -= len;
	bpf_probe_read_kernel(&w->c[pos & (SF_PATH_LEN - 1)], len & (NAME_MAX_COPY * 2 - 1),
			      name);
	pos -= 1;
	w->c[pos & (SF_PATH_LEN - 1)] = '/';
	w->pos = pos;
	w->dentry = (__u64)parent;
	return 0;
}

/*
 * The absolute path of @file as d_path() gives it from the namespace's
 * root, crossing mount points, into @out (SF_PATH_LEN bytes). bpf_d_path()
 * is not allowed in tracepoints, so the dentry names are walked here.
 * Returns 0, or -1 if no path could be built (then @out is untouched). A
 * path too deep or too long keeps its last components.
 */
static __always_inline int file_path(struct file *file, char *out)
{
	struct path_walk *w;
	__u32 zero = 0, pos;

	w = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!w)
		return -1;
	w->dentry = (__u64)BPF_CORE_READ(file, f_path.dentry);
	w->mnt = (__u64)container_of(BPF_CORE_READ(file, f_path.mnt), struct mount, mnt);
	w->pos = SF_PATH_LEN - 1;
	w->c[SF_PATH_LEN - 1] = '\0';
	bpf_loop(PATH_DEPTH, path_step, NULL, 0);
	pos = w->pos;
	if (pos >= SF_PATH_LEN - 1)
		return -1;
	bpf_probe_read_kernel(out, SF_PATH_LEN, &w->c[pos & (SF_PATH_LEN - 1)]);
	return 0;
}

/* The arguments of @p's new program, NUL-separated and truncated, into @e. */
static __always_inline void exec_args(struct task_struct *p, struct sf_proc_event *e)
{
	unsigned long start, end, len;

	start = p->mm->arg_start;
	end = p->mm->arg_end;
	len = end > start ? end - start : 0;
	if (len > sizeof(e->args))
		len = sizeof(e->args);
	len &= sizeof(e->args) * 2 - 1;	/* a bound the verifier can see */
	if (len > sizeof(e->args))
		len = sizeof(e->args);
	if (len && bpf_probe_read_user(e->args, len, (void *)start) == 0)
		e->args_len = len;
}

/* exec_path_walk: the file run, named from its dentries (bpf_loop, 5.17). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sf_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct sf_proc_event *e = proc_event(SF_EVENT_EXEC, p);

	if (!e)
		return 0;
	/* No dentry path: fall back to the name given to execve(). */
	if (file_path(bprm->file, e->exe))
		bpf_probe_read_kernel_str(e->exe, sizeof(e->exe), bprm->filename);
	exec_args(p, e);
	proc_event_submit(e);
	return 0;
}

/*
 * exec_filename: the name given to execve(), as typed (it may be relative
 * or a symlink); for kernels that refuse the dentry walk.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sf_exec_filename, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct sf_proc_event *e = proc_event(SF_EVENT_EXEC, p);

	if (!e)
		return 0;
	bpf_probe_read_kernel_str(e->exe, sizeof(e->exe), bprm->filename);
	exec_args(p, e);
	proc_event_submit(e);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sf_fork, struct task_struct *parent, struct task_struct *child)
{
	struct sf_proc_event *e;

	if (child->pid != child->tgid)	/* a new thread, not a new process */
		return 0;
	e = proc_event(SF_EVENT_FORK, child);
	if (!e)
		return 0;
	e->ppid = parent->tgid;
	e->parent_start_boottime_ns = task_start_boottime(parent);
	proc_event_submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sf_exit, struct task_struct *p)
{
	struct sf_proc_event *e;

	/*
	 * The process ends with its last thread, whichever that is. A leader
	 * thread that dies while another one execs (de_thread) is not the end:
	 * the exec'ing thread takes over its pid.
	 */
	if (p->signal->live.counter)
		return 0;
	e = proc_event(SF_EVENT_EXIT, p);
	if (e)
		proc_event_submit(e);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(sf_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct sf_cgroup_event *e;

	if (cgrp->root->hierarchy_id != 0)	/* a v1 hierarchy; v2 is the default root */
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(SF_STAT_PROC_EVENTS_LOST);
		return 0;
	}
	e->type = SF_EVENT_CGROUP;
	e->pad = 0;
	e->id = kernfs_node_id(cgrp->kn);
	bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
	stat_inc(SF_STAT_EVENTS);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

#endif
