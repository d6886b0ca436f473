/*
 * Kernel time a seccomp filter adds to a recorded workload's system calls, measured without running them.
 *
 * usage: replay-cost ROUNDS PASSES JOB...      JOB is FILTER,CALLS (FILTER "-": the deny-all filter alone)
 *   FILTER: raw struct sock_filter array (the filter under test, F)
 *   CALLS:  records of 7 little-endian uint64 (nr, args 0..5): the calls to replay, in order
 * Output (stdout): {"jobs":[{"bestNs":N,"medianNs":N},...]} in JOB order: ns per replayed call, the fastest
 * pass of all processes and the median of each process's fastest pass.
 *
 * A recorded workload cannot be replayed for real (write, close, exit_group, clone...). Each measurement runs
 * in a fresh child process that sets PR_SET_NO_NEW_PRIVS and installs G, then the filter under test F:
 *
 *   G: arch == native && nr == prctl && args[0] == PR_SET_SECCOMP && args[3] == MARKER  -> SECCOMP_RET_ALLOW
 *      arch == native && nr == exit_group && args[0] == MARKER                         -> SECCOMP_RET_TRAP
 *      anything else                                                                    -> SECCOMP_RET_ERRNO | ENOSYS
 *   (arguments compared in all 64 bits; prctl ignores args[3] for PR_SET_SECCOMP, so the first line lets the
 *   child install F, whatever F says about prctl, once G is in place)
 *
 * Linux runs every filter of the stack on every call (no short-circuit) and takes the most severe verdict, so
 * F runs for each replayed call, and no replayed call executes: ERRNO outranks every verdict but KILL and TRAP,
 * which the caller leaves out of the call lists (a workload could not have made such a call under F). The
 * action cache of a stack is the intersection of its filters' caches; G allows nothing cacheable, so F runs for
 * every call (the cache-aware figure is worked out by the caller from which calls F's cache would answer).
 * After installing F the child makes no system call but the replayed ones: the clock is read through the
 * vDSO (checked: a clock read that needed a system call would fail with ENOSYS, and the child reports that),
 * results go to memory shared with the parent, and the child ends with exit_group(MARKER), which G traps:
 * SIGSYS kills it (not dumpable, so no core dump; TRAP is not logged). No argument of any replayed call may be
 * MARKER (checked when the lists are read), so G denies every replayed call. The same lists timed under G alone
 * give the baseline the caller subtracts: F's cost per call, including the kernel's walk to one more filter.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#define NATIVE_ARCH 0
#endif

#define MARKER 0x5eccd0e5c0ffee01ULL
#define MAX_JOBS 256
#define MAX_ROUNDS 64

struct call {
	uint64_t nr, args[6];
};

struct job {
	struct sock_filter *filter;
	unsigned short filter_len;
	struct call *calls;
	size_t ncalls;
};

/* Written by the children, read by the parent after each child ends. */
struct shared {
	double best[MAX_JOBS][MAX_ROUNDS];
	int error;
	char message[256];
};

static struct job jobs[MAX_JOBS];
static unsigned njobs;
static struct shared *shared;

static void die(const char *msg, const char *what) {
	fprintf(stderr, "replay-cost: %s%s%s\n", msg, what ? ": " : "", what ? what : "");
	exit(2);
}

static void *read_file(const char *path, size_t unit, size_t *count) {
	FILE *f = fopen(path, "rb");
	if (!f) die("cannot open", path);
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (!buf) die("out of memory reading", path);
	if (len % unit != 0) die("size is not a whole number of records", path);
	*count = len / unit;
	return buf;
}

/* G, the stacked filter: see the comment at the top. */
#define WORD(field) (offsetof(struct seccomp_data, field))
#define ARG_LO(i) (WORD(args[i]) + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 4))
#define ARG_HI(i) (WORD(args[i]) + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 4 : 0))
#define LD(offset) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (offset))
#define JNE(value, to_deny) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (value), 0, (to_deny))
static struct sock_filter deny_all[] = {
	/*  0 */ LD(WORD(arch)),
	/*  1 */ JNE(NATIVE_ARCH, 17),
	/*  2 */ LD(WORD(nr)),
	/*  3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 9),
	/*  4 */ LD(ARG_LO(0)),
	/*  5 */ JNE(PR_SET_SECCOMP, 13),
	/*  6 */ LD(ARG_HI(0)),
	/*  7 */ JNE(0, 11),
	/*  8 */ LD(ARG_LO(3)),
	/*  9 */ JNE((uint32_t)MARKER, 9),
	/* 10 */ LD(ARG_HI(3)),
	/* 11 */ JNE((uint32_t)(MARKER >> 32), 7),
	/* 12 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	/* 13 */ JNE(SYS_exit_group, 5),
	/* 14 */ LD(ARG_LO(0)),
	/* 15 */ JNE((uint32_t)MARKER, 3),
	/* 16 */ LD(ARG_HI(0)),
	/* 17 */ JNE((uint32_t)(MARKER >> 32), 1),
	/* 18 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	/* 19 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
};

static double now_ns(void) {
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return -1;
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void replay(const struct call *c, size_t n) {
	for (size_t i = 0; i < n; i++)
		syscall((long)c[i].nr, c[i].args[0], c[i].args[1], c[i].args[2], c[i].args[3], c[i].args[4], c[i].args[5]);
}

static void child_fail(const char *msg) {
	shared->error = 1;
	snprintf(shared->message, sizeof shared->message, "%s (errno %d)", msg, errno);
	syscall(SYS_exit_group, MARKER);
	for (;;) __builtin_trap();
}

/* In the child: install G then F, time PASSES passes over the calls after one unmeasured pass. */
static void measure(unsigned j, unsigned round, int passes) {
	struct job *job = &jobs[j];
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail("prctl");
	struct sock_fprog g = { .len = sizeof deny_all / sizeof deny_all[0], .filter = deny_all };
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &g) != 0) child_fail("loading the deny-all filter");
	if (job->filter) {
		struct sock_fprog f = { .len = job->filter_len, .filter = job->filter };
		if (syscall(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &f, MARKER, 0) != 0) child_fail("loading the filter under test");
	}
	if (now_ns() < 0) child_fail("the clock needs a system call here (no vDSO clock)");
	replay(job->calls, job->ncalls);
	double best = 1e300;
	for (int p = 0; p < passes; p++) {
		double t0 = now_ns();
		replay(job->calls, job->ncalls);
		double t = (now_ns() - t0) / job->ncalls;
		if (t < best) best = t;
	}
	shared->best[j][round] = best;
	syscall(SYS_exit_group, MARKER);
	for (;;) __builtin_trap();
}

static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
	if (argc < 4) die("usage: replay-cost ROUNDS PASSES FILTER|-,CALLS...", NULL);
	if (NATIVE_ARCH == 0) die("no replay on this architecture", NULL);
	int rounds = atoi(argv[1]), passes = atoi(argv[2]);
	if (rounds < 1 || rounds > MAX_ROUNDS || passes < 1) die("ROUNDS is 1..64 and PASSES at least 1", NULL);
	if (argc - 3 > MAX_JOBS) die("too many jobs", NULL);
	for (int a = 3; a < argc; a++) {
		struct job *job = &jobs[njobs++];
		char *comma = strchr(argv[a], ',');
		if (!comma) die("a job is FILTER,CALLS", argv[a]);
		*comma = 0;
		if (strcmp(argv[a], "-") != 0) {
			size_t n;
			job->filter = read_file(argv[a], sizeof(struct sock_filter), &n);
			if (n == 0 || n > BPF_MAXINSNS) die("a filter has 1..4096 instructions", argv[a]);
			job->filter_len = (unsigned short)n;
		}
		job->calls = read_file(comma + 1, sizeof(struct call), &job->ncalls);
		if (job->ncalls == 0) die("no calls in", comma + 1);
		for (size_t i = 0; i < job->ncalls; i++)
			for (int k = 0; k < 6; k++)
				if (job->calls[i].args[k] == MARKER) die("a replayed call carries the marker value", comma + 1);
	}
	shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) die("mmap", strerror(errno));
	fflush(stdout);
	/* Rounds outermost, so that load on the machine weighs on every job alike. */
	for (int r = 0; r < rounds; r++) {
		for (unsigned j = 0; j < njobs; j++) {
			shared->best[j][r] = -1;
			pid_t pid = fork();
			if (pid < 0) die("fork", strerror(errno));
			if (pid == 0) measure(j, r, passes);
			int status;
			if (waitpid(pid, &status, 0) != pid) die("waitpid", strerror(errno));
			if (shared->error) die("child", shared->message);
			if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS || shared->best[j][r] < 0) die("a child ended without a result", argv[3 + j]);
		}
	}
	printf("{\"jobs\":[");
	for (unsigned j = 0; j < njobs; j++) {
		qsort(shared->best[j], rounds, sizeof(double), cmp);
		printf("%s{\"bestNs\":%.3f,\"medianNs\":%.3f}", j ? "," : "", shared->best[j][0], shared->best[j][rounds / 2]);
	}
	printf("]}\n");
	return 0;
}
