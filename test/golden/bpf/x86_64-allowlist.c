#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

struct sock_filter filter[] = {
	/* 0000 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), /* A = arch */
	/* 0001 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 14), /* if (A != ARCH_X86_64) goto 0016 */
	/* 0002 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)), /* A = sys_number */
	/* 0003 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 12, 0), /* if (A >= 0x40000000) goto 0016 */
	/* 0004 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 9, 0), /* if (A == read) goto 0014 */
	/* 0005 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 8, 0), /* if (A == write) goto 0014 */
	/* 0006 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 231, 7, 0), /* if (A == exit_group) goto 0014 */
	/* 0007 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 79, 7, 0), /* if (A == getcwd) goto 0015 */
	/* 0008 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 257, 1, 0), /* if (A == openat) goto 0010 */
	/* 0009 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 38), /* return ERRNO(ENOSYS) */
	/* 0010 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2]) + 4), /* A = args[2] >> 32 */
	/* 0011 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3), /* if (A != 0) goto 0015 */
	/* 0012 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])), /* A = args[2] */
	/* 0013 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 3, 1, 0), /* if (A & 0x3) goto 0015 */
	/* 0014 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), /* return ALLOW */
	/* 0015 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1), /* return ERRNO(EPERM) */
	/* 0016 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS), /* return KILL_PROCESS */
};
