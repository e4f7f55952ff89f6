// SPDX-License-Identifier: GPL-2.0
/* The kernel half of palisade-sensor: tracepoint programs (tp_btf only, no kprobes/fentry/LSM) that
 * turn exec/fork/exit and security-relevant syscalls into compact records on a BPF ring buffer. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "sensor.h"

char LICENSE[] SEC("license") = "GPL";

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define AT_FDCWD -100
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000

/* x86_64 syscall numbers this sensor reports. */
#define NR_write 1
#define NR_open 2
#define NR_pwrite64 18
#define NR_writev 20
#define NR_sendfile 40
#define NR_connect 42
#define NR_accept 43
#define NR_bind 49
#define NR_listen 50
#define NR_rename 82
#define NR_creat 85
#define NR_unlink 87
#define NR_chmod 90
#define NR_fchmod 91
#define NR_ptrace 101
#define NR_setuid 105
#define NR_setgid 106
#define NR_setreuid 113
#define NR_setregid 114
#define NR_setresuid 117
#define NR_setresgid 119
#define NR_capset 126
#define NR_mount 165
#define NR_init_module 175
#define NR_openat 257
#define NR_unlinkat 263
#define NR_renameat 264
#define NR_fchmodat 268
#define NR_unshare 272
#define NR_splice 275
#define NR_accept4 288
#define NR_pwritev 296
#define NR_setns 308
#define NR_finit_module 313
#define NR_renameat2 316
#define NR_memfd_create 319
#define NR_copy_file_range 326
#define NR_pwritev2 328
#define NR_openat2 437
#define NR_fchmodat2 452

/* Filled in by the loader before and after load. */
volatile __u32 sensor_tgid = 0;
volatile __u64 wake_threshold = 1 << 20;
volatile __u32 have_ignore_comms = 0;
volatile __u32 have_ignore_prefixes = 0;

struct scratch {
	__u8 buf[SCRATCH_SIZE];
};

struct counters {
	__u64 events;
	__u64 drops;
};

struct pending_call {
	__u64 args[6];
	__u32 nr;
	__u32 pad;
};

struct prefix_key {
	__u32 prefixlen; /* in bits */
	__u8 data[IGNORE_PREFIX_BYTES];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} counters_map SEC(".maps");

/* Syscall arguments saved at sys_enter until sys_exit gives the result. LRU so that threads which
 * die inside a syscall cannot leak entries. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct pending_call);
} pending_map SEC(".maps");

/* syscall number -> 1 when reported; the loader fills it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SYSCALL_NR);
	__type(key, __u32);
	__type(value, __u32);
} syscall_enabled SEC(".maps");

/* Open files a process has already written: write(2) and friends are reported once per open file
 * description and process, or the ring would carry every write of every log file. Keyed by the
 * struct file's address, so an entry is dropped when an open returns the same struct file again
 * (the slab reuses them); the LRU evicts the rest. An evicted entry costs one more event, never a
 * missed one. */
struct written_key {
	__u32 tgid;
	__u32 pad;
	__u64 file;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, struct written_key);
	__type(value, __u8);
} written_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, char[16]);
	__type(value, __u8);
} ignore_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct prefix_key);
	__type(value, __u8);
} ignore_prefixes SEC(".maps");

static __always_inline int is_ignored_task(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid == sensor_tgid)
		return 1;
	if (have_ignore_comms) {
		char comm[16] = {};
		bpf_get_current_comm(comm, sizeof(comm));
		if (bpf_map_lookup_elem(&ignore_comms, comm))
			return 1;
	}
	return 0;
}

static __always_inline __u8 *scratch_buf(__u32 slot)
{
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &slot);
	return s ? s->buf : 0;
}

static __always_inline void fill_hdr(struct ev_hdr *h, __u16 type, __s64 ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	h->type = type;
	h->len = 0;
	h->flags = 0;
	h->ts_boot_ns = bpf_ktime_get_boot_ns();
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	/* Effective ids: what permission checks use, and what Falco reports as user.uid. */
	h->uid = BPF_CORE_READ(task, cred, euid.val);
	h->gid = BPF_CORE_READ(task, cred, egid.val);
	h->cpu = bpf_get_smp_processor_id();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->ret = ret;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline void submit(__u8 *buf, __u32 len)
{
	__u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&counters_map, &zero);
	struct ev_hdr *h = (struct ev_hdr *)buf;
	__u64 flags = BPF_RB_NO_WAKEUP;
	/* Waking the reader per record costs far more than the record; the loader polls on a short
	 * timer and the kernel only forces a wake-up once the ring is filling. */
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wake_threshold)
		flags = BPF_RB_FORCE_WAKEUP;
	len &= SCRATCH_MASK;
	h->len = len;
	if (len < sizeof(struct ev_hdr))
		return;
	if (bpf_ringbuf_output(&events, buf, len, flags) == 0) {
		if (c)
			c->events++;
	} else if (c) {
		c->drops++;
	}
}

/* Copies a user string to buf+off; returns the bytes written including the NUL (0 on failure). */
static __always_inline __u32 put_user_str(__u8 *buf, __u32 off, const void *src, __u32 *hflags)
{
	long n;
	if (!src)
		return 0;
	off &= SCRATCH_MASK;
	if (off > SCRATCH_SIZE - MAX_PATH_BYTES)
		return 0;
	n = bpf_probe_read_user_str(buf + off, MAX_PATH_BYTES, src);
	if (n <= 0)
		return 0;
	if (n == MAX_PATH_BYTES)
		*hflags |= HDR_TRUNCATED;
	return n;
}

static __always_inline __u32 put_kernel_str(__u8 *buf, __u32 off, const void *src, __u32 *hflags)
{
	long n;
	if (!src)
		return 0;
	off &= SCRATCH_MASK;
	if (off > SCRATCH_SIZE - MAX_PATH_BYTES)
		return 0;
	n = bpf_probe_read_kernel_str(buf + off, MAX_PATH_BYTES, src);
	if (n <= 0)
		return 0;
	if (n == MAX_PATH_BYTES)
		*hflags |= HDR_TRUNCATED;
	return n;
}

/* True when the path starting at buf+off matches a prefix the loader asked us to ignore. */
static __always_inline int path_is_ignored(__u8 *buf, __u32 off, __u32 len)
{
	__u8 *keybuf;
	struct prefix_key *key;
	if (!have_ignore_prefixes || len == 0)
		return 0;
	keybuf = scratch_buf(1);
	if (!keybuf)
		return 0;
	key = (struct prefix_key *)keybuf;
	off &= SCRATCH_MASK;
	if (off > SCRATCH_SIZE - IGNORE_PREFIX_BYTES)
		return 0;
	__builtin_memset(key->data, 0, IGNORE_PREFIX_BYTES);
	bpf_probe_read_kernel(key->data, IGNORE_PREFIX_BYTES, buf + off);
	/* The string's NUL and what follows it must not match a longer prefix. */
	key->prefixlen = (len - 1 > IGNORE_PREFIX_BYTES ? IGNORE_PREFIX_BYTES : len - 1) * 8;
	return bpf_map_lookup_elem(&ignore_prefixes, key) != 0;
}

/* ---------------------------------------------------------------- process lifecycle */

struct cwd_walk {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	__u32 off;
	__u32 start;
	__u32 truncated;
};

/* One step of the walk towards the root. The walk state lives in map memory (scratch slot 1), not
 * on the stack, so the verifier sees unknown scalars and converges on the bpf_loop callback. */
static long cwd_step(__u32 i, void *ctx)
{
	struct cwd_walk *w = (struct cwd_walk *)scratch_buf(1);
	struct dentry *mnt_root, *parent, *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	const unsigned char *name;
	__u8 *buf = scratch_buf(0);
	long n;
	__u32 o;

	if (!w)
		return 1;
	vfsmnt = w->vfsmnt;
	mnt = w->mnt;

	dentry = w->dentry;
	if (!buf || (dentry == w->root_dentry && vfsmnt == w->root_mnt))
		return 1;
	mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	parent = BPF_CORE_READ(dentry, d_parent);
	if (dentry == mnt_root || dentry == parent) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (dentry != mnt_root || mnt_parent == mnt)
			return 1;
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mnt_parent;
		w->vfsmnt = &mnt_parent->mnt;
		return 0;
	}
	if (w->off - w->start > MAX_CWD_BYTES - 256) {
		w->truncated = 1;
		return 1;
	}
	name = BPF_CORE_READ(dentry, d_name.name);
	o = w->off & SCRATCH_MASK;
	if (o > SCRATCH_SIZE - 256)
		return 1;
	n = bpf_probe_read_kernel_str(buf + o, 256, name);
	if (n <= 0)
		return 1;
	w->off += n;
	w->dentry = parent;
	return 0;
}

/* Writes the names of a path's components from the leaf up, each NUL-terminated, stopping at the
 * task's root so that a containerised process sees its own paths. */
static __always_inline __u32 put_path(__u32 off, struct dentry *dentry, struct vfsmount *vfsmnt, __u32 *hflags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct cwd_walk *w = (struct cwd_walk *)scratch_buf(1);

	if (!w || !dentry || !vfsmnt)
		return 0;
	w->dentry = dentry;
	w->vfsmnt = vfsmnt;
	w->mnt = container_of(vfsmnt, struct mount, mnt);
	w->root_dentry = BPF_CORE_READ(fs, root.dentry);
	w->root_mnt = BPF_CORE_READ(fs, root.mnt);
	w->off = off;
	w->start = off;
	w->truncated = 0;
	bpf_loop(MAX_CWD_DEPTH * 2, cwd_step, 0, 0);
	if (w->truncated)
		*hflags |= HDR_TRUNCATED;
	return (w->off - w->start) & (MAX_CWD_BYTES - 1);
}

static __always_inline __u32 put_cwd(__u32 off, __u32 *hflags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	return put_path(off, BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt), hflags);
}

/* A file's path written root first ("/var/log/x"), so that the ignore-prefix trie can match it.
 * One loop climbs from the file to the task's root collecting the component names, a second writes
 * them out in reverse. The walk state lives in scratch slot 1, like struct cwd_walk. */
#define MAX_FWD_DEPTH 32

struct fwd_walk {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	__u32 depth;
	__u32 off;
	__u32 start;
	__u32 truncated;
	__u32 pseudo; /* a file of no mounted filesystem (memfd, anonymous): its bare name, no "/" */
	__u32 pad;
	const unsigned char *names[MAX_FWD_DEPTH];
};

static long fwd_collect_step(__u32 i, void *ctx)
{
	struct fwd_walk *w = (struct fwd_walk *)scratch_buf(1);
	struct dentry *mnt_root, *parent, *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;

	if (!w)
		return 1;
	dentry = w->dentry;
	vfsmnt = w->vfsmnt;
	if (dentry == w->root_dentry && vfsmnt == w->root_mnt)
		return 1;
	mnt = w->mnt;
	mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	parent = BPF_CORE_READ(dentry, d_parent);
	if (dentry == mnt_root || dentry == parent) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (dentry != mnt_root) {
			/* Its own parent yet not a mount's root: a pseudo file such as a memfd. */
			if (i == 0) {
				w->names[0] = BPF_CORE_READ(dentry, d_name.name);
				w->depth = 1;
				w->pseudo = 1;
			}
			return 1;
		}
		if (mnt_parent == mnt)
			return 1;
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mnt_parent;
		w->vfsmnt = &mnt_parent->mnt;
		return 0;
	}
	if (w->depth >= MAX_FWD_DEPTH) {
		w->truncated = 1;
		return 1;
	}
	w->names[w->depth & (MAX_FWD_DEPTH - 1)] = BPF_CORE_READ(dentry, d_name.name);
	w->depth++;
	w->dentry = parent;
	return 0;
}

static long fwd_write_step(__u32 i, void *ctx)
{
	struct fwd_walk *w = (struct fwd_walk *)scratch_buf(1);
	__u8 *buf = scratch_buf(0);
	__u32 o, idx;
	long n;

	if (!w || !buf || i >= w->depth)
		return 1;
	if (w->off - w->start > MAX_PATH_BYTES - 260) {
		w->truncated = 1;
		return 1;
	}
	idx = (w->depth - 1 - i) & (MAX_FWD_DEPTH - 1);
	o = w->off & SCRATCH_MASK;
	if (o > SCRATCH_SIZE - 260)
		return 1;
	if (!w->pseudo)
		buf[o++] = '/';
	n = bpf_probe_read_kernel_str(buf + o, 256, w->names[idx]);
	if (n <= 0)
		return 1;
	w->off = o + n - 1; /* the next component overwrites this one's NUL */
	return 0;
}

/* Writes the path of file f at buf+off, NUL-terminated; returns its length with the NUL. */
static __always_inline __u32 put_file_path(__u8 *buf, __u32 off, struct file *f, __u32 *hflags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct fwd_walk *w = (struct fwd_walk *)scratch_buf(1);
	struct vfsmount *vfsmnt = BPF_CORE_READ(f, f_path.mnt);
	__u32 o;

	if (!w || !vfsmnt)
		return 0;
	w->dentry = BPF_CORE_READ(f, f_path.dentry);
	w->vfsmnt = vfsmnt;
	w->mnt = container_of(vfsmnt, struct mount, mnt);
	w->root_dentry = BPF_CORE_READ(fs, root.dentry);
	w->root_mnt = BPF_CORE_READ(fs, root.mnt);
	w->depth = 0;
	w->truncated = 0;
	w->pseudo = 0;
	w->off = off;
	w->start = off;
	bpf_loop(MAX_FWD_DEPTH * 2, fwd_collect_step, 0, 0);
	if (w->depth == 0) {
		/* The root itself. */
		o = off & SCRATCH_MASK;
		if (o > SCRATCH_SIZE - 2)
			return 0;
		buf[o] = '/';
		w->off = off + 1;
	} else {
		bpf_loop(MAX_FWD_DEPTH, fwd_write_step, 0, 0);
	}
	o = w->off & SCRATCH_MASK;
	if (o > SCRATCH_SIZE - 1)
		return 0;
	buf[o] = 0;
	if (w->truncated)
		*hflags |= HDR_TRUNCATED;
	return (w->off - w->start + 1) & (MAX_PATH_BYTES - 1);
}

static __always_inline __u32 tty_dev(struct task_struct *task)
{
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	int major, minor;
	if (!tty)
		return 0;
	major = BPF_CORE_READ(tty, driver, major);
	minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	return ((__u32)major << 20) | (__u32)minor;
}

static __always_inline void fill_exe(struct exec_payload *p, struct task_struct *task)
{
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct inode *inode = BPF_CORE_READ(exe, f_inode);
	char name[6] = {};

	p->exe_ino = BPF_CORE_READ(inode, i_ino);
	p->exe_dev = BPF_CORE_READ(inode, i_sb, s_dev);
	p->exe_nlink = BPF_CORE_READ(inode, __i_nlink);
	p->exe_flags = 0;
	if (BPF_CORE_READ(inode, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC) {
		/* The overlay inode is embedded in struct ovl_inode; __upperdentry is set once the file
		 * exists in the upper layer (written or copied up inside the container). */
		struct ovl_inode *oi = (void *)inode - bpf_core_field_offset(struct ovl_inode, vfs_inode);
		p->exe_flags |= EXE_OVERLAY;
		if (BPF_CORE_READ(oi, __upperdentry))
			p->exe_flags |= EXE_UPPER;
	}
	bpf_probe_read_kernel(name, sizeof(name), BPF_CORE_READ(exe, f_path.dentry, d_name.name));
	if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' && name[5] == ':')
		p->exe_flags |= EXE_MEMFD;
}

/* The task's tgid as its own pid namespace numbers it: numbers[level] of its thread group leader. */
static __always_inline __u32 task_vpid(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};
	if (level > 32)
		return 0;
	bpf_probe_read_kernel(&up, sizeof(up), (void *)pid + bpf_core_field_offset(struct pid, numbers) +
						       level * bpf_core_type_size(struct upid));
	return up.nr;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct exec_payload *pl;
	struct ev_hdr *h;
	unsigned long arg_start, arg_end, args_len;
	__u32 off, n;
	__u8 *buf;

	if (is_ignored_task())
		return 0;
	buf = scratch_buf(0);
	if (!buf)
		return 0;
	h = (struct ev_hdr *)buf;
	fill_hdr(h, REC_EXEC, 0);
	pl = (struct exec_payload *)(buf + sizeof(*h));
	fill_exe(pl, task);
	pl->tty = tty_dev(task);
	pl->loginuid = bpf_core_field_exists(task->loginuid) ? BPF_CORE_READ(task, loginuid.val) : (__u32)-1;
	pl->vpid = task_vpid(task);
	off = sizeof(*h) + sizeof(*pl);

	n = put_kernel_str(buf, off, BPF_CORE_READ(bprm, filename), &h->flags);
	pl->filename_len = n;
	off += n;

	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	args_len = arg_end - arg_start;
	if (args_len > MAX_ARGS_BYTES - 1) {
		args_len = MAX_ARGS_BYTES - 1;
		h->flags |= HDR_TRUNCATED;
	}
	pl->args_len = 0;
	off &= SCRATCH_MASK;
	if (off <= SCRATCH_SIZE - MAX_ARGS_BYTES && args_len > 0 &&
	    bpf_probe_read_user(buf + off, args_len & (MAX_ARGS_BYTES - 1), (void *)arg_start) == 0) {
		pl->args_len = args_len;
		off += args_len;
	}

	n = put_cwd(off, &h->flags);
	pl->cwd_len = n;
	off += n;
	{
		struct file *exe = BPF_CORE_READ(task, mm, exe_file);
		n = put_path(off, BPF_CORE_READ(exe, f_path.dentry), BPF_CORE_READ(exe, f_path.mnt), &h->flags);
		pl->exepath_len = n;
		off += n;
	}
	submit(buf, off);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	struct fork_payload *pl;
	struct ev_hdr *h;
	__u8 *buf;
	__u32 child_pid = BPF_CORE_READ(child, pid);

	/* Threads are not processes; the rule engine only needs process creation. */
	if (child_pid != BPF_CORE_READ(child, tgid))
		return 0;
	if (is_ignored_task())
		return 0;
	buf = scratch_buf(0);
	if (!buf)
		return 0;
	h = (struct ev_hdr *)buf;
	fill_hdr(h, REC_FORK, child_pid);
	pl = (struct fork_payload *)(buf + sizeof(*h));
	pl->child_pid = child_pid;
	pl->pad = 0;
	submit(buf, sizeof(*h) + sizeof(*pl));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	struct ev_hdr *h;
	__u8 *buf;

	/* Report the process, not each thread: signal->live reaches 0 with the last thread. */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	if (is_ignored_task())
		return 0;
	buf = scratch_buf(0);
	if (!buf)
		return 0;
	h = (struct ev_hdr *)buf;
	fill_hdr(h, REC_EXIT, BPF_CORE_READ(p, exit_code));
	submit(buf, sizeof(*h));
	return 0;
}

/* ---------------------------------------------------------------- syscalls */

static __always_inline int syscall_is_enabled(__u32 nr)
{
	__u32 *on = bpf_map_lookup_elem(&syscall_enabled, &nr);
	return on && *on;
}

/* The struct file behind descriptor fd of the current task, or NULL. */
static __always_inline struct file *file_of_fd(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* Calls that write into a file descriptor: write(2) and its vector and positioned forms, and the
 * in-kernel copies (cat and cp use copy_file_range or sendfile rather than write). */
static __always_inline int is_write_call(long nr)
{
	return nr == NR_write || nr == NR_pwrite64 || nr == NR_writev || nr == NR_pwritev || nr == NR_pwritev2 ||
	       nr == NR_sendfile || nr == NR_splice || nr == NR_copy_file_range;
}

/* Which argument is the descriptor written to. */
static __always_inline int written_fd_arg(long nr)
{
	return nr == NR_splice || nr == NR_copy_file_range ? 2 : 0;
}

/* file_of_fd for the hottest path: the task's descriptor table is reached with direct BTF loads
 * (no helper calls), only the table slot itself needs a probe read. */
static __always_inline struct file *file_of_fd_fast(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file *f = 0;
	if (fd < 0 || fd >= fdt->max_fds)
		return 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]);
	return f;
}

#define WRITTEN_FILE 1  /* a regular file, reported */
#define WRITTEN_OTHER 2 /* a pipe, socket, device ...: never reported, remembered to skip the inode read */

/* The struct file of the first write of this process to this open regular file, else NULL: every
 * later write, and writes to pipes, sockets and devices, stop here before anything is copied. */
static __always_inline struct file *first_write(long fd)
{
	struct file *f = file_of_fd_fast(fd);
	struct written_key key = {};
	__u8 kind;

	if (!f)
		return 0;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	key.file = (__u64)f;
	if (bpf_map_lookup_elem(&written_files, &key))
		return 0;
	kind = (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) == S_IFREG ? WRITTEN_FILE : WRITTEN_OTHER;
	/* NOEXIST: of two threads racing on the same file only one reports it. */
	if (bpf_map_update_elem(&written_files, &key, &kind, BPF_NOEXIST) != 0 || kind != WRITTEN_FILE)
		return 0;
	return f;
}

/* A new open file description: if the slab handed out a struct file this process wrote through
 * before, its next first write must be reported again. */
static __always_inline void forget_written(long fd)
{
	struct written_key key = {};
	struct file *f = file_of_fd_fast(fd);
	if (!f)
		return;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	key.file = (__u64)f;
	/* Every open passes here: look before taking the bucket lock that a delete takes. */
	if (bpf_map_lookup_elem(&written_files, &key))
		bpf_map_delete_elem(&written_files, &key);
}

/* Bytes a writev/pwritev asks to write, from its first 16 iovecs. */
#define MAX_IOV_SUMMED 16
static __always_inline __u64 iov_bytes(const struct iovec *iov, __u64 cnt)
{
	__u64 total = 0;
	for (int i = 0; i < MAX_IOV_SUMMED; i++) {
		struct iovec v = {};
		if (i >= cnt)
			break;
		bpf_probe_read_user(&v, sizeof(v), &iov[i]);
		total += v.iov_len;
	}
	return total;
}

/* Writes are reported from sys_enter, with the bytes asked for and no result: deciding there that
 * a call is not a first write lets sys_exit skip it without a hash lookup, and almost every write
 * on a machine is not a first one. */
static __always_inline void report_write(struct pt_regs *regs, long nr)
{
	int vector = nr == NR_writev || nr == NR_pwritev || nr == NR_pwritev2;
	int copy = nr == NR_sendfile || nr == NR_splice || nr == NR_copy_file_range;
	/* regs is a BTF pointer here: direct loads, no helper calls, on the path every write takes. */
	__u64 fd = written_fd_arg(nr) == 2 ? regs->dx : regs->di;
	struct file *f = first_write((int)fd);
	struct syscall_payload *pl;
	struct ev_hdr *h;
	__u64 a0, a1, a2;
	__u32 off, n;
	__u8 *buf;

	if (!f)
		return;
	a0 = BPF_CORE_READ(regs, di);
	a1 = BPF_CORE_READ(regs, si);
	a2 = BPF_CORE_READ(regs, dx);
	buf = scratch_buf(0);
	if (!buf)
		return;
	h = (struct ev_hdr *)buf;
	fill_hdr(h, REC_SYSCALL, 0);
	pl = (struct syscall_payload *)(buf + sizeof(*h));
	__builtin_memset(pl, 0, sizeof(*pl));
	pl->nr = nr;
	off = sizeof(*h) + sizeof(*pl);
	/* arg: the fd written, bytes asked for, the file offset of p* calls (-1 otherwise), and the
	 * iovec count of the vector calls or the source fd of the copies. */
	pl->arg[0] = fd;
	if (vector)
		pl->arg[1] = iov_bytes((const struct iovec *)a1, a2);
	else if (nr == NR_sendfile)
		pl->arg[1] = BPF_CORE_READ(regs, r10);
	else if (copy)
		pl->arg[1] = BPF_CORE_READ(regs, r8);
	else
		pl->arg[1] = a2;
	pl->arg[2] = nr == NR_pwrite64 || nr == NR_pwritev || nr == NR_pwritev2 ? BPF_CORE_READ(regs, r10) : (__u64)-1;
	if (vector)
		pl->arg[3] = a2;
	else if (copy)
		pl->arg[3] = nr == NR_sendfile ? a1 : a0;
	n = put_file_path(buf, off, f, &h->flags);
	if (path_is_ignored(buf, off, n))
		return;
	pl->str1_len = n;
	off += n;
	submit(buf, off);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	struct pending_call call = {};
	__u64 key;

	if (id < 0 || id >= MAX_SYSCALL_NR || !syscall_is_enabled(id))
		return 0;
	if (is_ignored_task())
		return 0;
	if (is_write_call(id)) {
		report_write(regs, id);
		return 0;
	}
	call.nr = id;
	call.args[0] = BPF_CORE_READ(regs, di);
	call.args[1] = BPF_CORE_READ(regs, si);
	call.args[2] = BPF_CORE_READ(regs, dx);
	call.args[3] = BPF_CORE_READ(regs, r10);
	call.args[4] = BPF_CORE_READ(regs, r8);
	call.args[5] = BPF_CORE_READ(regs, r9);
	key = bpf_get_current_pid_tgid();
	bpf_map_update_elem(&pending_map, &key, &call, BPF_ANY);
	return 0;
}

static __always_inline struct sock *sock_of_fd(long fd)
{
	struct file *f = file_of_fd(fd);
	struct socket *sock;
	if (!f)
		return 0;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	sock = BPF_CORE_READ(f, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : 0;
}

/* Local (and, with remote set, peer) address of a socket. */
static __always_inline void addr_from_sock(struct sockaddr_pair *a, struct sock *sk, int local, int remote)
{
	__u16 family;
	if (!sk)
		return;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	a->family = family;
	a->proto = BPF_CORE_READ(sk, sk_protocol);
	a->sock_type = BPF_CORE_READ(sk, sk_type);
	if (local)
		a->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (remote)
		a->rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		if (local)
			bpf_core_read(a->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		if (remote)
			bpf_core_read(a->raddr, 4, &sk->__sk_common.skc_daddr);
	} else if (family == AF_INET6) {
		if (local)
			bpf_core_read(a->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		if (remote)
			bpf_core_read(a->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

/* An address the process passed in (connect's peer, bind's local address). Unix socket paths go
 * to str1 instead; returns that string's length. */
static __always_inline __u32 addr_from_user(struct sockaddr_pair *a, const void *uaddr, int remote, __u8 *buf,
					    __u32 off)
{
	__u16 family = 0;
	__u16 port = 0;
	if (!uaddr)
		return 0;
	bpf_probe_read_user(&family, sizeof(family), uaddr);
	a->family = family;
	if (family == AF_INET || family == AF_INET6) {
		bpf_probe_read_user(&port, sizeof(port), uaddr + 2);
		port = __builtin_bswap16(port);
		if (remote)
			a->rport = port;
		else
			a->lport = port;
		if (family == AF_INET)
			bpf_probe_read_user(remote ? a->raddr : a->laddr, 4, uaddr + 4);
		else
			bpf_probe_read_user(remote ? a->raddr : a->laddr, 16, uaddr + 8);
	} else if (family == AF_UNIX) {
		off &= SCRATCH_MASK;
		if (off > SCRATCH_SIZE - 128)
			return 0;
		long n = bpf_probe_read_user_str(buf + off, 108, uaddr + 2);
		return n > 0 ? n : 0;
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 key = bpf_get_current_pid_tgid();
	struct pending_call *call;
	struct syscall_payload *pl;
	struct sockaddr_pair *addr = 0;
	struct ev_hdr *h;
	__u32 nr, off, n;
	__u8 *buf;
	__u64 a0, a1, a2, a3, a4;
	long id = BPF_CORE_READ(regs, orig_ax);
	int want_dir = 0; /* str1 is a path that may be relative to arg[0] (a dirfd or AT_FDCWD) */

	if (id < 0 || id >= MAX_SYSCALL_NR || is_write_call(id) || !syscall_is_enabled(id))
		return 0;
	call = bpf_map_lookup_elem(&pending_map, &key);
	if (!call)
		return 0;
	nr = call->nr;
	a0 = call->args[0];
	a1 = call->args[1];
	a2 = call->args[2];
	a3 = call->args[3];
	a4 = call->args[4];
	bpf_map_delete_elem(&pending_map, &key);
	if (nr != id)
		return 0;

	buf = scratch_buf(0);
	if (!buf)
		return 0;
	h = (struct ev_hdr *)buf;
	fill_hdr(h, REC_SYSCALL, ret);
	pl = (struct syscall_payload *)(buf + sizeof(*h));
	__builtin_memset(pl, 0, sizeof(*pl));
	pl->nr = nr;
	off = sizeof(*h) + sizeof(*pl);

	switch (nr) {
	case NR_open:
	case NR_creat:
	case NR_openat:
	case NR_openat2: {
		const void *path = (nr == NR_open || nr == NR_creat) ? (void *)a0 : (void *)a1;
		if (ret >= 0)
			forget_written(ret);
		pl->arg[0] = (nr == NR_open || nr == NR_creat) ? (__u64)(__s64)AT_FDCWD : a0;
		if (nr == NR_open) {
			pl->arg[1] = a1;
			pl->arg[2] = a2;
		} else if (nr == NR_creat) {
			pl->arg[1] = 01 | 0100 | 01000; /* O_WRONLY|O_CREAT|O_TRUNC */
			pl->arg[2] = a1;
		} else if (nr == NR_openat) {
			pl->arg[1] = a2;
			pl->arg[2] = a3;
		} else {
			struct open_how how = {};
			bpf_probe_read_user(&how, sizeof(how), (void *)a2);
			pl->arg[1] = how.flags;
			pl->arg[2] = how.mode;
			pl->arg[3] = how.resolve;
		}
		n = put_user_str(buf, off, path, &h->flags);
		if (path_is_ignored(buf, off, n))
			return 0;
		pl->str1_len = n;
		want_dir = 1;
		off += n;
		break;
	}
	case NR_unlink:
	case NR_unlinkat:
	case NR_chmod:
	case NR_fchmodat:
	case NR_fchmodat2: {
		const void *path = (nr == NR_unlink || nr == NR_chmod) ? (void *)a0 : (void *)a1;
		pl->arg[0] = (nr == NR_unlink || nr == NR_chmod) ? (__u64)(__s64)AT_FDCWD : a0;
		if (nr == NR_unlinkat)
			pl->arg[1] = a2; /* flags */
		else if (nr == NR_chmod)
			pl->arg[1] = a1; /* mode */
		else if (nr == NR_fchmodat || nr == NR_fchmodat2) {
			pl->arg[1] = a2;
			pl->arg[2] = nr == NR_fchmodat2 ? a3 : 0;
		}
		n = put_user_str(buf, off, path, &h->flags);
		if (path_is_ignored(buf, off, n))
			return 0;
		pl->str1_len = n;
		want_dir = 1;
		off += n;
		break;
	}
	case NR_fchmod:
		pl->arg[0] = a0;
		pl->arg[1] = a1;
		break;
	case NR_rename:
	case NR_renameat:
	case NR_renameat2: {
		const void *from = nr == NR_rename ? (void *)a0 : (void *)a1;
		const void *to = nr == NR_rename ? (void *)a1 : (void *)a3;
		pl->arg[0] = nr == NR_rename ? (__u64)(__s64)AT_FDCWD : a0;
		pl->arg[1] = nr == NR_rename ? (__u64)(__s64)AT_FDCWD : a2;
		pl->arg[2] = nr == NR_renameat2 ? a4 : 0;
		n = put_user_str(buf, off, from, &h->flags);
		if (path_is_ignored(buf, off, n))
			return 0;
		pl->str1_len = n;
		want_dir = 1;
		off += n;
		n = put_user_str(buf, off, to, &h->flags);
		pl->str2_len = n;
		off += n;
		break;
	}
	case NR_connect:
	case NR_bind:
	case NR_accept:
	case NR_accept4:
	case NR_listen: {
		struct sockaddr_pair a = {};
		pl->arg[0] = a0;
		if (nr == NR_listen)
			pl->arg[1] = a1;
		if (nr == NR_connect) {
			addr_from_sock(&a, sock_of_fd(a0), 1, 0);
			n = addr_from_user(&a, (void *)a1, 1, buf, off);
		} else if (nr == NR_bind) {
			addr_from_sock(&a, sock_of_fd(a0), 0, 0);
			n = addr_from_user(&a, (void *)a1, 0, buf, off);
		} else if (nr == NR_listen) {
			addr_from_sock(&a, sock_of_fd(a0), 1, 0);
			n = 0;
		} else {
			if (ret >= 0)
				addr_from_sock(&a, sock_of_fd(ret), 1, 1);
			n = 0;
		}
		pl->str1_len = n;
		off += n;
		pl->has_addr = 1;
		off &= SCRATCH_MASK;
		if (off > SCRATCH_SIZE - sizeof(a))
			return 0;
		__builtin_memcpy(buf + off, &a, sizeof(a));
		off += sizeof(a);
		break;
	}
	case NR_setuid:
	case NR_setgid:
	case NR_setreuid:
	case NR_setregid:
	case NR_setresuid:
	case NR_setresgid:
		pl->arg[0] = a0;
		pl->arg[1] = a1;
		pl->arg[2] = a2;
		break;
	case NR_capset: {
		/* Two __user_cap_data_struct {effective, permitted, inheritable}: low and high 32 bits. */
		__u32 data[6] = {};
		if (a1)
			bpf_probe_read_user(data, sizeof(data), (void *)a1);
		pl->arg[0] = (__u64)data[3] << 32 | data[0];
		pl->arg[1] = (__u64)data[4] << 32 | data[1];
		pl->arg[2] = (__u64)data[5] << 32 | data[2];
		break;
	}
	case NR_ptrace:
		pl->arg[0] = a0;
		pl->arg[1] = a1;
		pl->arg[2] = a2;
		pl->arg[3] = a3;
		break;
	case NR_init_module:
		pl->arg[0] = a1; /* image length */
		n = put_user_str(buf, off, (void *)a2, &h->flags);
		pl->str1_len = n;
		off += n;
		break;
	case NR_finit_module:
		pl->arg[0] = a0;
		pl->arg[1] = a2;
		n = put_user_str(buf, off, (void *)a1, &h->flags);
		pl->str1_len = n;
		off += n;
		break;
	case NR_memfd_create:
		if (ret >= 0)
			forget_written(ret);
		pl->arg[0] = a1;
		n = put_user_str(buf, off, (void *)a0, &h->flags);
		pl->str1_len = n;
		off += n;
		break;
	case NR_mount:
		pl->arg[0] = a3; /* flags */
		n = put_user_str(buf, off, (void *)a0, &h->flags);
		pl->str1_len = n;
		off += n;
		/* str2 holds the target, a NUL, then the filesystem type. */
		n = put_user_str(buf, off, (void *)a1, &h->flags);
		n += put_user_str(buf, off + n, (void *)a2, &h->flags);
		pl->str2_len = n;
		off += n;
		break;
	case NR_setns:
	case NR_unshare:
		pl->arg[0] = a0;
		pl->arg[1] = a1;
		break;
	default:
		return 0;
	}
	/* Rules match absolute paths; resolving a relative one needs the directory it was relative to,
	 * which only the kernel knows for sure (cwd or the dirfd's file), so send that along. */
	if (want_dir && pl->str1_len > 1 && buf[sizeof(*h) + sizeof(*pl)] != '/') {
		long dirfd = (int)pl->arg[0];
		if (dirfd == AT_FDCWD) {
			n = put_cwd(off, &h->flags);
		} else {
			struct file *f = file_of_fd(dirfd);
			n = f ? put_path(off, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt), &h->flags) : 0;
		}
		pl->dir_len = n;
		off += n;
	}
	submit(buf, off);
	return 0;
}
