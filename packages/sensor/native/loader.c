// SPDX-License-Identifier: Apache-2.0
/* The user-space half of palisade-sensor: loads the embedded BPF skeleton, applies ignore lists,
 * and streams ring-buffer records plus HELLO/STATS/ACK records to stdout; control lines on stdin. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include "sensor.h"
#include "sensor.skel.h"

#define EXIT_NO_BTF 2
#define EXIT_NO_BPF 3
#define EXIT_LOAD 4
#define EXIT_USAGE 64

/* The syscalls the BPF side understands (see the switch in sensor.bpf.c). */
static const int reported_syscalls[] = {
	1,   /* write */ 18, /* pwrite64 */ 20, /* writev */ 296, /* pwritev */ 328, /* pwritev2 */
	40,  /* sendfile */ 275, /* splice */ 326, /* copy_file_range */
	2,   /* open */ 42,  /* connect */ 43, /* accept */ 49, /* bind */ 50, /* listen */
	82,  /* rename */ 85, /* creat */ 87, /* unlink */ 90, /* chmod */ 91, /* fchmod */
	101, /* ptrace */ 105, /* setuid */ 106, /* setgid */ 113, /* setreuid */ 114, /* setregid */
	117, /* setresuid */ 119, /* setresgid */ 126, /* capset */ 165, /* mount */
	175, /* init_module */ 257, /* openat */ 263, /* unlinkat */ 264, /* renameat */
	268, /* fchmodat */ 272, /* unshare */ 288, /* accept4 */ 308, /* setns */
	313, /* finit_module */ 316, /* renameat2 */ 319, /* memfd_create */ 437, /* openat2 */
	452, /* fchmodat2 */
};

static volatile sig_atomic_t stopping;
static struct sensor_bpf *skel;
static int ncpu;

/* Output buffer: records are batched and written with one write(2) per poll round. */
static char *out;
static size_t out_len;
static size_t out_cap = 4 << 20;
static unsigned long long bytes_out, polls, acks;

static void die(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("palisade-sensor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void flush_out(void)
{
	size_t done = 0;
	while (done < out_len) {
		ssize_t n = write(STDOUT_FILENO, out + done, out_len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE)
				exit(0); /* the reader went away: nothing left to do */
			die(1, "write stdout: %s", strerror(errno));
		}
		done += n;
	}
	bytes_out += out_len;
	out_len = 0;
}

static void emit(const void *rec, size_t len)
{
	if (out_len + len > out_cap)
		flush_out();
	memcpy(out + out_len, rec, len);
	out_len += len;
}

static int on_record(void *ctx, void *data, size_t size)
{
	emit(data, size);
	return 0;
}

static void loader_hdr(struct ev_hdr *h, __u16 type, size_t len)
{
	struct timespec ts;
	memset(h, 0, sizeof(*h));
	clock_gettime(CLOCK_BOOTTIME, &ts);
	h->type = type;
	h->len = len;
	h->ts_boot_ns = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	h->pid = getpid();
	h->tid = h->pid;
	memcpy(h->comm, "palisade-sensor", 15);
}

static void emit_hello(void)
{
	struct {
		struct ev_hdr h;
		struct hello_payload p;
	} rec;
	struct timespec rt, bt;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	loader_hdr(&rec.h, REC_HELLO, sizeof(rec));
	memset(&rec.p, 0, sizeof(rec.p));
	rec.p.boot_to_epoch_ns = ((__s64)rt.tv_sec - bt.tv_sec) * 1000000000ll + (rt.tv_nsec - bt.tv_nsec);
	rec.p.version = SENSOR_PROTOCOL_VERSION;
	rec.p.ncpu = ncpu;
	rec.p.sensor_pid = getpid();
	emit(&rec, sizeof(rec));
}

static void emit_stats(void)
{
	size_t len = sizeof(struct ev_hdr) + sizeof(struct stats_payload) + (size_t)ncpu * 16;
	char *rec = calloc(1, len);
	struct stats_payload *p = (struct stats_payload *)(rec + sizeof(struct ev_hdr));
	__u64 *pairs = (__u64 *)(p + 1);
	struct { __u64 events, drops; } *vals = calloc(ncpu, sizeof(*vals));
	__u32 zero = 0;

	if (!rec || !vals)
		die(1, "out of memory");
	bpf_map__lookup_elem(skel->maps.counters_map, &zero, sizeof(zero), vals, sizeof(*vals) * ncpu, 0);
	loader_hdr((struct ev_hdr *)rec, REC_STATS, len);
	p->polls = polls;
	p->bytes_out = bytes_out;
	p->ncpu = ncpu;
	for (int i = 0; i < ncpu; i++) {
		pairs[2 * i] = vals[i].events;
		pairs[2 * i + 1] = vals[i].drops;
	}
	emit(rec, len);
	free(vals);
	free(rec);
}

static void emit_ack(void)
{
	struct {
		struct ev_hdr h;
		struct ack_payload p;
	} rec;
	loader_hdr(&rec.h, REC_ACK, sizeof(rec));
	rec.p.seq = ++acks;
	emit(&rec, sizeof(rec));
}

static int ignored_comms, ignored_prefixes;

static void set_comm(const char *name, int add)
{
	char key[16] = {};
	__u8 one = 1;
	strncpy(key, name, sizeof(key) - 1);
	if (add) {
		if (bpf_map__update_elem(skel->maps.ignore_comms, key, sizeof(key), &one, 1, BPF_ANY) == 0)
			ignored_comms++;
	} else if (bpf_map__delete_elem(skel->maps.ignore_comms, key, sizeof(key), 0) == 0) {
		ignored_comms--;
	}
	skel->bss->have_ignore_comms = ignored_comms > 0;
}

static void set_prefix(const char *path, int add)
{
	struct {
		__u32 prefixlen;
		__u8 data[IGNORE_PREFIX_BYTES];
	} key = {};
	__u8 one = 1;
	size_t n = strlen(path);
	if (n == 0)
		return;
	if (n > IGNORE_PREFIX_BYTES)
		n = IGNORE_PREFIX_BYTES; /* longer prefixes match on their first 64 bytes */
	memcpy(key.data, path, n);
	key.prefixlen = n * 8;
	if (add) {
		if (bpf_map__update_elem(skel->maps.ignore_prefixes, &key, sizeof(key), &one, 1, BPF_ANY) == 0)
			ignored_prefixes++;
	} else if (bpf_map__delete_elem(skel->maps.ignore_prefixes, &key, sizeof(key), 0) == 0) {
		ignored_prefixes--;
	}
	skel->bss->have_ignore_prefixes = ignored_prefixes > 0;
}

/* One control line: "ignore-comm NAME", "unignore-comm NAME", "ignore-prefix PATH",
 * "unignore-prefix PATH", "stats". Every line is answered with an ACK record. */
static void handle_line(char *line)
{
	char *arg = strchr(line, ' ');
	if (arg)
		*arg++ = 0;
	if (strcmp(line, "ignore-comm") == 0 && arg)
		set_comm(arg, 1);
	else if (strcmp(line, "unignore-comm") == 0 && arg)
		set_comm(arg, 0);
	else if (strcmp(line, "ignore-prefix") == 0 && arg)
		set_prefix(arg, 1);
	else if (strcmp(line, "unignore-prefix") == 0 && arg)
		set_prefix(arg, 0);
	else if (strcmp(line, "stats") == 0)
		emit_stats();
	else
		fprintf(stderr, "palisade-sensor: unknown control line: %s\n", line);
	emit_ack();
}

static char in_buf[65536];
static size_t in_len;

/* Returns 0 on EOF of stdin (the parent is gone or wants us to stop). */
static int read_control(void)
{
	ssize_t n = read(STDIN_FILENO, in_buf + in_len, sizeof(in_buf) - 1 - in_len);
	char *start, *nl;
	if (n == 0)
		return 0;
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	in_len += n;
	start = in_buf;
	while ((nl = memchr(start, '\n', in_buf + in_len - start))) {
		*nl = 0;
		if (nl > start)
			handle_line(start);
		start = nl + 1;
	}
	in_len = in_buf + in_len - start;
	memmove(in_buf, start, in_len);
	if (in_len == sizeof(in_buf) - 1)
		in_len = 0; /* a line longer than the buffer is garbage */
	return 1;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("PALISADE_SENSOR_VERBOSE") != NULL;
	if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && !verbose))
		return 0;
	if (!verbose && level == LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void on_signal(int sig)
{
	stopping = 1;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: palisade-sensor [--ignore-comm NAME]... [--ignore-prefix PATH]... [--ring-mb N]\n"
		"                       [--poll-ms N] [--stats-ms N] [--no-syscalls] [--btf FILE]\n"
		"Streams kernel events as binary records on stdout (see README.md); control lines on stdin.\n");
	exit(EXIT_USAGE);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ignore-comm", required_argument, 0, 'c' }, { "ignore-prefix", required_argument, 0, 'p' },
		{ "ring-mb", required_argument, 0, 'r' },     { "poll-ms", required_argument, 0, 't' },
		{ "stats-ms", required_argument, 0, 's' },    { "no-syscalls", no_argument, 0, 'n' },
		{ "btf", required_argument, 0, 'b' },         { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *comms[256], *prefixes[256];
	const char *btf_path = NULL;
	int ncomms = 0, nprefixes = 0, ring_mb = 16, poll_ms = 10, stats_ms = 1000, syscalls = 1;
	struct ring_buffer *rb;
	struct sigaction sa = { .sa_handler = on_signal };
	long next_stats;
	int c, err;

	while ((c = getopt_long(argc, argv, "h", opts, 0)) != -1) {
		switch (c) {
		case 'c':
			if (ncomms < 256)
				comms[ncomms++] = optarg;
			break;
		case 'p':
			if (nprefixes < 256)
				prefixes[nprefixes++] = optarg;
			break;
		case 'r':
			ring_mb = atoi(optarg);
			break;
		case 't':
			poll_ms = atoi(optarg);
			break;
		case 's':
			stats_ms = atoi(optarg);
			break;
		case 'n':
			syscalls = 0;
			break;
		case 'b':
			btf_path = optarg;
			break;
		default:
			usage();
		}
	}
	/* The ring size must be a power of two number of pages. */
	if (ring_mb < 1 || ring_mb > 1024 || (ring_mb & (ring_mb - 1)) || poll_ms < 1 || poll_ms > 1000 ||
	    stats_ms < 10)
		die(EXIT_USAGE, "bad option value: --ring-mb must be a power of two in 1..1024, --poll-ms in "
				"1..1000, --stats-ms >= 10");

	/* CO-RE needs the running kernel's type information: built in, or a file for this kernel
	 * (e.g. from BTFHub) passed with --btf. */
	if (btf_path && access(btf_path, R_OK) != 0)
		die(EXIT_NO_BTF, "no BTF at %s (--btf): %s", btf_path, strerror(errno));
	if (!btf_path && access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		die(EXIT_NO_BTF, "this kernel has no BTF (/sys/kernel/btf/vmlinux missing); it needs "
				 "CONFIG_DEBUG_INFO_BTF=y or --btf FILE");

	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, 0);
	sigaction(SIGINT, &sa, 0);
	libbpf_set_print(print_libbpf);
	setrlimit(RLIMIT_MEMLOCK, &(struct rlimit){ RLIM_INFINITY, RLIM_INFINITY });
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		die(1, "cannot count CPUs");
	out = malloc(out_cap);
	if (!out)
		die(1, "out of memory");

	{
		LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = btf_path);
		skel = sensor_bpf__open_opts(&open_opts);
	}
	if (!skel)
		die(errno == EPERM ? EXIT_NO_BPF : EXIT_LOAD, "cannot open the BPF object: %s", strerror(errno));
	bpf_map__set_max_entries(skel->maps.events, (__u32)ring_mb << 20);
	err = sensor_bpf__load(skel);
	if (err) {
		if (err == -EPERM || errno == EPERM)
			die(EXIT_NO_BPF, "bpf() refused (EPERM): run as root or with CAP_BPF and CAP_PERFMON");
		die(EXIT_LOAD, "cannot load the BPF programs: %s (set PALISADE_SENSOR_VERBOSE=1 for the "
			       "verifier log)",
		    strerror(-err));
	}
	skel->bss->sensor_tgid = getpid();
	skel->data->wake_threshold = ((__u64)ring_mb << 20) / 4;
	if (syscalls) {
		__u32 one = 1;
		for (size_t i = 0; i < sizeof(reported_syscalls) / sizeof(reported_syscalls[0]); i++) {
			__u32 nr = reported_syscalls[i];
			bpf_map__update_elem(skel->maps.syscall_enabled, &nr, sizeof(nr), &one, sizeof(one), BPF_ANY);
		}
	}
	for (int i = 0; i < ncomms; i++)
		set_comm(comms[i], 1);
	for (int i = 0; i < nprefixes; i++)
		set_prefix(prefixes[i], 1);

	err = sensor_bpf__attach(skel);
	if (err)
		die(err == -EPERM ? EXIT_NO_BPF : EXIT_LOAD, "cannot attach the tracepoint programs: %s",
		    strerror(-err));
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, 0, 0);
	if (!rb)
		die(EXIT_LOAD, "cannot open the ring buffer: %s", strerror(errno));

	emit_hello();
	flush_out();
	next_stats = now_ms() + stats_ms;
	while (!stopping) {
		struct pollfd fds[2] = {
			{ .fd = ring_buffer__epoll_fd(rb), .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		int n = poll(fds, 2, poll_ms);
		if (n < 0 && errno != EINTR)
			die(1, "poll: %s", strerror(errno));
		/* Records are submitted without wake-ups, so consume on every timer tick, not only on
		 * readiness. */
		ring_buffer__consume(rb);
		polls++;
		if (n > 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (!read_control())
				stopping = 1;
		}
		if (now_ms() >= next_stats) {
			emit_stats();
			next_stats = now_ms() + stats_ms;
		}
		if (out_len)
			flush_out();
	}
	ring_buffer__consume(rb);
	emit_stats();
	flush_out();
	ring_buffer__free(rb);
	sensor_bpf__destroy(skel);
	return 0;
}

/* The TypeScript decoder (src/record-layout.ts) hard-codes these offsets. */
#include <stddef.h>
_Static_assert(sizeof(struct ev_hdr) == 72, "ev_hdr layout");
_Static_assert(offsetof(struct ev_hdr, cgroup_id) == 40, "ev_hdr layout");
_Static_assert(offsetof(struct ev_hdr, comm) == 56, "ev_hdr layout");
_Static_assert(sizeof(struct exec_payload) == 40, "exec_payload layout");
_Static_assert(offsetof(struct exec_payload, filename_len) == 32, "exec_payload layout");
_Static_assert(sizeof(struct syscall_payload) == 48, "syscall_payload layout");
_Static_assert(offsetof(struct syscall_payload, arg) == 8, "syscall_payload layout");
_Static_assert(sizeof(struct sockaddr_pair) == 40, "sockaddr_pair layout");
_Static_assert(sizeof(struct hello_payload) == 24, "hello_payload layout");
_Static_assert(sizeof(struct stats_payload) == 24, "stats_payload layout");
