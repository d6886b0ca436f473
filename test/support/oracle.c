/*
 * Asks the running kernel about seccomp filters. Built by the tests with `cc` into a temporary folder.
 *
 *   oracle check   stdin: a sequence of programs, each a little-endian u32 instruction count followed by
 *                  count * 8 bytes of struct sock_filter. For each, loads it in a forked child
 *                  (PR_SET_NO_NEW_PRIVS, then seccomp(SECCOMP_SET_MODE_FILTER)) and prints one line:
 *                  "accepted" or "errno N".
 *
 *   oracle probe   stdin: a sequence of jobs, each a program (as for `check`) followed by a little-endian u32
 *                  probe count and, per probe, u32 abi (0: `syscall`, 1: `int $0x80`), u32 nr and six u64
 *                  arguments. First prints "ip X Y": the instruction pointers the filter sees for a `syscall`
 *                  and for an `int $0x80` probe (the address after each instruction). Then, per job, loads the
 *                  program in a forked child, issues every probe there and prints one line: "ok R1 R2 ..." with
 *                  each probe's raw return value (signed, decimal) or "killed" for a probe the filter killed (the
 *                  child then goes on from the next probe in a new child), or "refused errno N" when the kernel
 *                  refuses the program. The caller makes sure every return of the program is an ERRNO, so
 *                  that no probed syscall ever runs.
 *
 *   oracle stack   as `probe`, but each job starts with a little-endian u32 filter count and holds that many
 *                  programs, loaded in order (the last one is the newest). Programs return only actions
 *                  that skip the syscall: KILL (the probe prints "killed"), TRAP (a SIGSYS handler records
 *                  the data: "trap:D"), ERRNO (-errno) and TRACE or USER_NOTIF, which without a tracer or a
 *                  listener return -ENOSYS. Each filter must let through the seccomp() calls that load
 *                  the next ones: x86_64 seccomp(SECCOMP_SET_MODE_FILTER, ...) with args[3] 0x5ecc0ca7 and
 *                  args[4] 0x0ac1e5ed (a prefix the caller adds).
 *
 * The child cannot report through a syscall once a filter is loaded (the filter may refuse it), so it writes
 * its answer to a shared mapping and ends itself with a deliberate fault.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
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

/*
 * probe_syscall(nr, args) and probe_int80(nr, args): load every argument register in full (64 bits, so that
 * the upper halves seen by an i386 filter can be observed), then enter the kernel. No libc, no stack use
 * besides saved registers: nothing else may run a syscall once the filter is loaded.
 */
long probe_syscall(uint64_t nr, const uint64_t *args);
long probe_int80(uint64_t nr, const uint64_t *args);
extern char probe_syscall_after[];
extern char probe_int80_after[];
__asm__(
    ".text\n"
    ".globl probe_syscall\n"
    ".type probe_syscall, @function\n"
    "probe_syscall:\n"
    "  mov %rdi, %rax\n"
    "  mov %rsi, %r11\n"
    "  mov 0(%r11), %rdi\n"
    "  mov 8(%r11), %rsi\n"
    "  mov 16(%r11), %rdx\n"
    "  mov 24(%r11), %r10\n"
    "  mov 32(%r11), %r8\n"
    "  mov 40(%r11), %r9\n"
    "  syscall\n"
    ".globl probe_syscall_after\n"
    "probe_syscall_after:\n"
    "  ret\n"
    ".globl probe_int80\n"
    ".type probe_int80, @function\n"
    "probe_int80:\n"
    "  push %rbx\n"
    "  push %rbp\n"
    "  push %r12\n"
    "  push %r13\n"
    "  push %r14\n"
    "  push %r15\n"
    "  mov %rdi, %rax\n"
    "  mov %rsi, %r11\n"
    "  mov 0(%r11), %rbx\n"
    "  mov 8(%r11), %rcx\n"
    "  mov 16(%r11), %rdx\n"
    "  mov 24(%r11), %rsi\n"
    "  mov 32(%r11), %rdi\n"
    "  mov 40(%r11), %rbp\n"
    "  int $0x80\n"
    ".globl probe_int80_after\n"
    "probe_int80_after:\n"
    "  pop %r15\n"
    "  pop %r14\n"
    "  pop %r13\n"
    "  pop %r12\n"
    "  pop %rbp\n"
    "  pop %rbx\n"
    "  ret\n");

#define MAX_PROBES 65536

struct probe {
  uint32_t abi;
  uint32_t nr;
  uint64_t args[6];
};

struct probe_results {
  volatile int32_t loaded;
  volatile int32_t err;
  volatile int32_t done;
  /* Index of the probe in flight: when the filter kills the child, that probe is the one it killed. */
  volatile int32_t next;
  volatile int64_t ret[MAX_PROBES];
  volatile char trapped[MAX_PROBES];
};

#define MAX_STACK 32
/* The values of args[3] and args[4] of the seccomp() calls that load a stack (see the `stack` mode). */
#define STACK_MARK_3 0x5ecc0ca7u
#define STACK_MARK_4 0x0ac1e5edu

/* Stack mode: a TRAP verdict raises SIGSYS; the handler records its data and jumps back to the probe loop. */
static sigjmp_buf trap_return;
static struct probe_results *trap_results;
static volatile uint32_t trap_index;

static void on_sigsys(int sig, siginfo_t *info, void *context) {
  (void)sig;
  (void)context;
  trap_results->trapped[trap_index] = 1;
  trap_results->ret[trap_index] = info->si_errno;
  siglongjmp(trap_return, 1);
}

static int probe_main(int stack) {
  static struct sock_filter insns[MAX_INSNS];
  static uint32_t counts[MAX_STACK];
  static struct probe probes[MAX_PROBES];
  struct probe_results *res =
      mmap(NULL, sizeof(struct probe_results), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (res == MAP_FAILED) { perror("mmap"); return 3; }
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  printf("ip %llu %llu\n", (unsigned long long)(uintptr_t)probe_syscall_after,
         (unsigned long long)(uintptr_t)probe_int80_after);
  for (;;) {
    uint32_t nfilters = 1, total = 0, nprobes;
    if (stack) {
      if (read_exact(&nfilters, 4) != 0) break;
      if (nfilters < 1 || nfilters > MAX_STACK) { fprintf(stderr, "oracle: %u filters in a stack\n", nfilters); return 3; }
    }
    for (uint32_t f = 0; f < nfilters; f++) {
      uint32_t count;
      if (read_exact(&count, 4) != 0) {
        if (!stack && f == 0) goto end_of_input;
        fprintf(stderr, "oracle: truncated input\n");
        return 3;
      }
      if (count > MAX_INSNS - total) { fprintf(stderr, "oracle: programs of too many instructions\n"); return 3; }
      if (count > 0 && read_exact(insns + total, (size_t)count * 8) != 0) { fprintf(stderr, "oracle: truncated input\n"); return 3; }
      counts[f] = count;
      total += count;
    }
    if (read_exact(&nprobes, 4) != 0) { fprintf(stderr, "oracle: truncated input\n"); return 3; }
    if (nprobes > MAX_PROBES) { fprintf(stderr, "oracle: %u probes in one job, at most %d\n", nprobes, MAX_PROBES); return 3; }
    if (nprobes > 0 && read_exact(probes, (size_t)nprobes * sizeof(struct probe)) != 0) {
      fprintf(stderr, "oracle: truncated input\n");
      return 3;
    }
    static char killed[MAX_PROBES];
    memset(killed, 0, nprobes);
    uint32_t first = 0;
    int refused = 0;
    for (;;) {
      res->loaded = 0;
      res->err = -1;
      res->done = 0;
      res->next = (int32_t)first;
      fflush(stdout);
      pid_t pid = fork();
      if (pid < 0) { perror("fork"); return 3; }
      if (pid == 0) {
        if (stack) {
          struct sigaction sa;
          memset(&sa, 0, sizeof sa);
          sa.sa_sigaction = on_sigsys;
          sa.sa_flags = SA_SIGINFO | SA_NODEFER;
          trap_results = res;
          if (sigaction(SIGSYS, &sa, NULL) != 0) { res->err = 2000 + errno; _exit(0); }
        }
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) { res->err = 1000 + errno; _exit(0); }
        uint32_t offset = 0;
        for (uint32_t f = 0; f < nfilters; f++) {
          struct sock_fprog prog = { .len = (unsigned short)counts[f], .filter = insns + offset };
          if (counts[f] > 0xffff) { res->err = EINVAL; _exit(0); }
          /* Filters already loaded see this call: it carries the marks their prefix lets through. */
          const uint64_t load_args[6] = { SECCOMP_SET_MODE_FILTER, 0, (uint64_t)(uintptr_t)&prog, STACK_MARK_3, STACK_MARK_4, 0 };
          long r = probe_syscall(SYS_seccomp, load_args);
          if (r != 0) { res->err = (int)-r; _exit(0); }
          offset += counts[f];
        }
        res->err = 0;
        res->loaded = 1;
        for (uint32_t i = first; i < nprobes; i++) {
          const struct probe *p = &probes[i];
          res->next = (int32_t)i;
          res->trapped[i] = 0;
          trap_index = i;
          /* savemask 0: jumping back must not call sigprocmask, a syscall the filters would see. */
          if (stack && sigsetjmp(trap_return, 0) != 0) continue;
          res->ret[i] = p->abi == 1 ? probe_int80(p->nr, p->args) : probe_syscall(p->nr, p->args);
        }
        res->done = 1;
        die_quietly();
      }
      int status;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
      if (res->err > 0) { refused = res->err; break; }
      if (!res->loaded) { fprintf(stderr, "oracle: probing child ended before loading (status 0x%x)\n", status); return 3; }
      if (res->done) break;
      /* A filter that returns a KILL action (a division by a zero X returns 0) ends the child with SIGSYS. */
      if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS) {
        fprintf(stderr, "oracle: probing child ended at probe %d (status 0x%x)\n", res->next, status);
        return 3;
      }
      killed[res->next] = 1;
      first = (uint32_t)res->next + 1;
      if (first >= nprobes) break;
    }
    if (refused) { printf("refused errno %d\n", refused); continue; }
    printf("ok");
    for (uint32_t i = 0; i < nprobes; i++) {
      if (killed[i]) printf(" killed");
      else if (stack && res->trapped[i]) printf(" trap:%lld", (long long)res->ret[i]);
      else printf(" %lld", (long long)res->ret[i]);
    }
    printf("\n");
  }
end_of_input:
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "check") == 0) return check_main();
  if (argc >= 2 && strcmp(argv[1], "probe") == 0) return probe_main(0);
  if (argc >= 2 && strcmp(argv[1], "stack") == 0) return probe_main(1);
  fprintf(stderr, "usage: oracle check < programs | oracle probe < jobs | oracle stack < jobs\n");
  return 2;
}
