/* Record layouts shared by the BPF programs and the loader, and mirrored by src/record-layout.ts.
 * Every record starts with struct ev_hdr; `len` is the whole record's length in bytes. */
#ifndef PALISADE_SENSOR_H
#define PALISADE_SENSOR_H

/* Record types. Stream records (HELLO, STATS) are written by the loader, the rest by the kernel. */
#define REC_EXEC 1
#define REC_FORK 2
#define REC_EXIT 3
#define REC_SYSCALL 4
#define REC_HELLO 100
#define REC_STATS 101
#define REC_ACK 102 /* one per control line read from stdin; carries the count of lines so far */

#define SENSOR_PROTOCOL_VERSION 1

/* Scratch buffer in which a record is assembled before bpf_ringbuf_output; the mask keeps the
 * verifier convinced that every variable offset stays inside it. */
#define SCRATCH_SIZE 16384
#define SCRATCH_MASK (SCRATCH_SIZE - 1)
#define MAX_PATH_BYTES 4096
#define MAX_ARGS_BYTES 4096
#define MAX_CWD_BYTES 2048
#define MAX_CWD_DEPTH 32
#define IGNORE_PREFIX_BYTES 64
#define MAX_SYSCALL_NR 512

/* ev_hdr.flags */
#define HDR_TRUNCATED 1 /* a string in the record was cut at its bound */

struct ev_hdr {
	__u16 type;
	__u16 len;
	__u32 flags;
	__u64 ts_boot_ns; /* bpf_ktime_get_boot_ns(); HELLO carries the offset to the Unix epoch */
	__u32 pid;        /* tgid */
	__u32 tid;
	__u32 ppid;       /* real_parent's tgid */
	__u32 uid;        /* effective uid, as Falco's user.uid */
	__u32 gid;        /* effective gid */
	__u32 cpu;
	__u64 cgroup_id;  /* cgroup v2 id (the inode of the cgroup directory) */
	__s64 ret;        /* syscall result (negative errno), exit code for EXIT */
	char comm[16];
};

/* exec_payload.exe_flags */
#define EXE_OVERLAY 1     /* the executable sits on an overlay mount */
#define EXE_UPPER 2       /* ... and in its upper (writable) layer: not from the image */
#define EXE_MEMFD 4       /* the executable is a memfd (name "memfd:...") */

/* REC_EXEC: ev_hdr, exec_payload, filename (NUL-terminated), argv (NUL-separated, args_len bytes),
 * cwd components from the leaf up, NUL-separated (cwd_len bytes), then the executable's own path
 * (mm->exe_file, symlinks resolved) as components from the leaf up (exepath_len bytes). */
struct exec_payload {
	__u64 exe_ino;
	__u32 exe_dev;    /* kernel dev_t: major << 20 | minor */
	__u32 exe_nlink;
	__u32 tty;        /* kernel dev_t of the controlling terminal, 0 when none */
	__u32 exe_flags;
	__u32 loginuid;
	__u32 vpid;       /* the pid inside the process's own pid namespace (1 = a container's init) */
	__u16 filename_len;
	__u16 args_len;
	__u16 cwd_len;
	__u16 exepath_len;
};

/* REC_FORK: ev_hdr (the parent), fork_payload. Only new processes, not threads. */
struct fork_payload {
	__u32 child_pid;
	__u32 pad;
};

/* REC_EXIT: ev_hdr (ret = exit code as wait(2) encodes it). Only when the whole process is gone. */

/* REC_SYSCALL: ev_hdr, syscall_payload, str1 (str1_len), str2 (str2_len), the directory a relative
 * str1 is resolved against as components from the leaf up (dir_len), then a sockaddr_pair when
 * has_addr is set. The meaning of arg[] per syscall is listed in README.md. */
struct syscall_payload {
	__u32 nr;         /* x86_64 syscall number */
	__u16 str1_len;
	__u16 str2_len;
	__u64 arg[4];
	__u16 has_addr;
	__u16 dir_len;
	__u16 pad[2];
};

struct sockaddr_pair {
	__u16 family;     /* AF_INET, AF_INET6, AF_UNIX */
	__u16 lport;      /* host byte order */
	__u16 rport;
	__u8 proto;       /* IPPROTO_TCP, IPPROTO_UDP, 0 when unknown */
	__u8 sock_type;   /* SOCK_STREAM, SOCK_DGRAM, 0 when unknown */
	__u8 laddr[16];
	__u8 raddr[16];
};

/* The loader's first record. */
struct hello_payload {
	__s64 boot_to_epoch_ns;
	__u32 version;
	__u32 ncpu;
	__u32 sensor_pid;
	__u32 pad;
};

/* Periodic statistics: ncpu pairs of (events, drops) follow, each a u64. */
struct stats_payload {
	__u64 polls;
	__u64 bytes_out;
	__u32 ncpu;
	__u32 pad;
};

struct ack_payload {
	__u64 seq;
};

#endif
