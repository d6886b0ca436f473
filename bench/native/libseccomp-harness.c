/*
 * Compiles a rule list with libseccomp at optimization level 1 (linear) and 2 (binary tree), writes both
 * filters as raw `struct sock_filter` arrays, and reports the in-process compile time of each (warm: the
 * median of REPEAT builds after one unmeasured build).
 *
 * usage: libseccomp-harness RULES OUT_PREFIX REPEAT
 * RULES, one directive per line (numbers in hex):
 *   default ACTION | badarch ACTION | arch NAME (libseccomp's: x86_64, x86, x32, aarch64, s390x, mipsel64, ...)
 *   rule ACTION NAME COUNT [ARG OP DATUM_A DATUM_B]...   (OP is libseccomp's enum scmp_compare)
 * Output (stdout): one JSON object; rules libseccomp refuses are counted, not fatal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_RULES 65536
#define MAX_ARGS 6

struct rule {
	uint32_t action;
	char name[64];
	unsigned count;
	struct scmp_arg_cmp args[MAX_ARGS];
};

static struct rule rules[MAX_RULES];
static unsigned nrules;
static uint32_t def_action = SCMP_ACT_KILL_PROCESS, bad_action = SCMP_ACT_KILL_PROCESS;
#define MAX_ARCHES 8
static uint32_t arches[MAX_ARCHES];
static unsigned narches;

static void die(const char *msg) {
	fprintf(stderr, "libseccomp-harness: %s\n", msg);
	exit(2);
}

static void parse(const char *path) {
	FILE *f = fopen(path, "r");
	if (!f) die("cannot open rules");
	char line[4096];
	while (fgets(line, sizeof line, f)) {
		char *tok = strtok(line, " \t\n");
		if (!tok || tok[0] == '#') continue;
		if (!strcmp(tok, "default")) def_action = strtoul(strtok(NULL, " \t\n"), NULL, 16);
		else if (!strcmp(tok, "badarch")) bad_action = strtoul(strtok(NULL, " \t\n"), NULL, 16);
		else if (!strcmp(tok, "arch")) {
			const char *a = strtok(NULL, " \t\n");
			if (narches == MAX_ARCHES || !a) die("bad arch line");
			uint32_t token = seccomp_arch_resolve_name(a);
			if (token == 0) die("unknown arch");
			arches[narches++] = token;
		} else if (!strcmp(tok, "rule")) {
			if (nrules == MAX_RULES) die("too many rules");
			struct rule *r = &rules[nrules++];
			r->action = strtoul(strtok(NULL, " \t\n"), NULL, 16);
			snprintf(r->name, sizeof r->name, "%s", strtok(NULL, " \t\n"));
			r->count = strtoul(strtok(NULL, " \t\n"), NULL, 10);
			if (r->count > MAX_ARGS) die("too many conditions");
			for (unsigned i = 0; i < r->count; i++) {
				r->args[i].arg = strtoul(strtok(NULL, " \t\n"), NULL, 10);
				r->args[i].op = strtoul(strtok(NULL, " \t\n"), NULL, 10);
				r->args[i].datum_a = strtoull(strtok(NULL, " \t\n"), NULL, 16);
				r->args[i].datum_b = strtoull(strtok(NULL, " \t\n"), NULL, 16);
			}
		} else die("unknown directive");
	}
	fclose(f);
}

static unsigned refused;

/* Builds the filter at `level` and exports it to `fd`; returns 0 on success. */
static int build(int level, int fd) {
	scmp_filter_ctx ctx = seccomp_init(def_action);
	if (!ctx) return -1;
	int native_wanted = 0;
	uint32_t native = seccomp_arch_native();
	for (unsigned i = 0; i < narches; i++) native_wanted |= arches[i] == native;
	if (!native_wanted && seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE) != 0) return -1;
	for (unsigned i = 0; i < narches; i++) {
		if (arches[i] == native) continue;
		if (seccomp_arch_add(ctx, arches[i]) != 0) return -1;
	}
	seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, bad_action);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (level == 2 && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) != 0) return -1;
	refused = 0;
	for (unsigned i = 0; i < nrules; i++) {
		struct rule *r = &rules[i];
		int nr = seccomp_syscall_resolve_name(r->name);
		if (nr == __NR_SCMP_ERROR) { refused++; continue; }
		if (seccomp_rule_add_array(ctx, r->action, nr, r->count, r->args) != 0) refused++;
	}
	int rc = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	return rc;
}

static double now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
	if (argc != 4 && argc != 5) die("usage: libseccomp-harness RULES OUT_PREFIX REPEAT [BUDGET_MS]");
	parse(argv[1]);
	int repeat = atoi(argv[3]);
	if (repeat < 1) repeat = 1;
	/* With a budget, timing stops after 3 builds once the builds of a level have taken that long. */
	double budget_ns = argc == 5 ? atof(argv[4]) * 1e6 : 1e300;
	double *t = calloc(repeat, sizeof *t);
	int devnull = open("/dev/null", O_WRONLY);
	printf("{");
	for (int level = 1; level <= 2; level++) {
		char path[4096];
		snprintf(path, sizeof path, "%s.l%d.bpf", argv[2], level);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		/* The build that writes the filter is the first timed one. */
		double t0 = now_ns();
		if (fd < 0 || build(level, fd) != 0) die("libseccomp failed to build the filter");
		t[0] = now_ns() - t0;
		close(fd);
		double spent = t[0];
		int n = 1;
		while (n < repeat && (n < 3 || spent < budget_ns)) {
			t0 = now_ns();
			if (build(level, devnull) != 0) die("libseccomp failed to rebuild the filter");
			t[n] = now_ns() - t0;
			spent += t[n++];
		}
		qsort(t, n, sizeof *t, cmp);
		printf("%s\"level%d\":{\"file\":\"%s\",\"compileNs\":%.0f,\"minNs\":%.0f,\"builds\":%d,\"refusedRules\":%u}",
		       level == 1 ? "" : ",", level, path, t[n / 2], t[0], n, refused);
	}
	printf(",\"version\":\"%u.%u.%u\"}\n", seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro);
	return 0;
}
