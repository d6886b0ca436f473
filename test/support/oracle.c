/*
 * Asks the running kernel about seccomp filters. Built by the tests with `cc` into a temporary folder.
 *
 *   oracle check   stdin: a sequence of programs, each a little-endian u32 instruction count followed by
 *                  count * 8 bytes of struct sock_filter. For each, loads it in a forked child
 *                  (PR_SET_NO_NEW_PRIVS, then seccomp(SECCOMP_SET_MODE_FILTER)) and prints one line:
 *                  "accepted" or "errno N".
 *
 * The child cannot report through a syscall once a filter is loaded (the filter may refuse it), so it writes
 * its answer to a shared mapping and ends itself with a deliberate fault.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_INSNS 65536

struct shared_result {
  volatile int32_t done;
  volatile int32_t err;
};

static int read_exact(void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(0, (char *)buf + got, n - got);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

static void die_quietly(void) {
  /* A fault needs no syscall, so it ends the child whatever the filter allows. */
  *(volatile int *)0 = 0;
  for (;;) {}
}

static int check_main(void) {
  static struct sock_filter insns[MAX_INSNS];
  struct shared_result *res = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (res == MAP_FAILED) { perror("mmap"); return 3; }
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  for (;;) {
    uint32_t count;
    if (read_exact(&count, 4) != 0) break;
    if (count > MAX_INSNS) { fprintf(stderr, "oracle: program of %u instructions is too large\n", count); return 3; }
    if (count > 0 && read_exact(insns, (size_t)count * 8) != 0) { fprintf(stderr, "oracle: truncated input\n"); return 3; }
    res->done = 0;
    res->err = -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 3; }
    if (pid == 0) {
      struct sock_fprog prog = { .len = (unsigned short)count, .filter = insns };
      if (count > 0xffff) { res->err = EINVAL; res->done = 1; _exit(0); }
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) { res->err = 1000 + errno; res->done = 1; _exit(0); }
      long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
      res->err = r == 0 ? 0 : errno;
      res->done = 1;
      die_quietly();
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!res->done) { fprintf(stderr, "oracle: child ended without an answer\n"); return 3; }
    if (res->err == 0) printf("accepted\n"); else printf("errno %d\n", res->err);
  }
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "check") == 0) return check_main();
  fprintf(stderr, "usage: oracle check < programs\n");
  return 2;
}
