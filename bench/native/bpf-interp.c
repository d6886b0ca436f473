/*
 * Native classic-BPF baselines: a small switch-dispatch interpreter of the seccomp instruction set, and
 * libpcap's bpf_filter (which loads words big-endian, so it is given a word-swapped copy of each input).
 * Both run the same filter over the same seccomp_data inputs; their results are checked against each other.
 *
 * usage: bpf-interp FILTER INPUTS ROUNDS
 *   FILTER: raw struct sock_filter array; INPUTS: concatenated 64-byte seccomp_data records.
 * Output (stdout): JSON with ns per evaluation for each interpreter (best of 5 timed passes of ROUNDS rounds
 * over all inputs) and a checksum of the returned values.
 */
#include <sys/types.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct insn { uint16_t code; uint8_t jt, jf; uint32_t k; };

static void *slurp(const char *path, size_t *len) {
	FILE *f = fopen(path, "rb");
	if (!f) { fprintf(stderr, "bpf-interp: cannot open %s\n", path); exit(2); }
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	fseek(f, 0, SEEK_SET);
	void *buf = malloc(*len ? *len : 1);
	if (fread(buf, 1, *len, f) != *len) exit(2);
	fclose(f);
	return buf;
}

/* The seccomp subset of classic BPF; data is 16 little-endian words, as the kernel presents seccomp_data. */
static uint32_t run(const struct insn *p, const uint32_t *data) {
	uint32_t a = 0, x = 0, mem[16];
	for (;; p++) {
		switch (p->code) {
		case BPF_LD | BPF_W | BPF_ABS: a = data[p->k >> 2]; break;
		case BPF_LD | BPF_W | BPF_LEN: a = 64; break;
		case BPF_LDX | BPF_W | BPF_LEN: x = 64; break;
		case BPF_LD | BPF_IMM: a = p->k; break;
		case BPF_LDX | BPF_IMM: x = p->k; break;
		case BPF_LD | BPF_MEM: a = mem[p->k]; break;
		case BPF_LDX | BPF_MEM: x = mem[p->k]; break;
		case BPF_ST: mem[p->k] = a; break;
		case BPF_STX: mem[p->k] = x; break;
		case BPF_ALU | BPF_ADD | BPF_K: a += p->k; break;
		case BPF_ALU | BPF_SUB | BPF_K: a -= p->k; break;
		case BPF_ALU | BPF_MUL | BPF_K: a *= p->k; break;
		case BPF_ALU | BPF_DIV | BPF_K: a /= p->k; break;
		case BPF_ALU | BPF_AND | BPF_K: a &= p->k; break;
		case BPF_ALU | BPF_OR | BPF_K: a |= p->k; break;
		case BPF_ALU | BPF_XOR | BPF_K: a ^= p->k; break;
		case BPF_ALU | BPF_LSH | BPF_K: a <<= p->k; break;
		case BPF_ALU | BPF_RSH | BPF_K: a >>= p->k; break;
		case BPF_ALU | BPF_ADD | BPF_X: a += x; break;
		case BPF_ALU | BPF_SUB | BPF_X: a -= x; break;
		case BPF_ALU | BPF_MUL | BPF_X: a *= x; break;
		case BPF_ALU | BPF_DIV | BPF_X: if (!x) return 0; a /= x; break;
		case BPF_ALU | BPF_AND | BPF_X: a &= x; break;
		case BPF_ALU | BPF_OR | BPF_X: a |= x; break;
		case BPF_ALU | BPF_XOR | BPF_X: a ^= x; break;
		case BPF_ALU | BPF_LSH | BPF_X: a = x < 32 ? a << x : 0; break;
		case BPF_ALU | BPF_RSH | BPF_X: a = x < 32 ? a >> x : 0; break;
		case BPF_ALU | BPF_NEG: a = -a; break;
		case BPF_JMP | BPF_JA: p += p->k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: p += a == p->k ? p->jt : p->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: p += a > p->k ? p->jt : p->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: p += a >= p->k ? p->jt : p->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: p += a & p->k ? p->jt : p->jf; break;
		case BPF_JMP | BPF_JEQ | BPF_X: p += a == x ? p->jt : p->jf; break;
		case BPF_JMP | BPF_JGT | BPF_X: p += a > x ? p->jt : p->jf; break;
		case BPF_JMP | BPF_JGE | BPF_X: p += a >= x ? p->jt : p->jf; break;
		case BPF_JMP | BPF_JSET | BPF_X: p += a & x ? p->jt : p->jf; break;
		case BPF_RET | BPF_K: return p->k;
		case BPF_RET | BPF_A: return a;
		case BPF_MISC | BPF_TAX: x = a; break;
		case BPF_MISC | BPF_TXA: a = x; break;
		default: return 0;
		}
	}
}

static double now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
	if (argc != 4) { fprintf(stderr, "usage: bpf-interp FILTER INPUTS ROUNDS\n"); return 2; }
	size_t flen, dlen;
	struct insn *prog = slurp(argv[1], &flen);
	uint32_t *data = slurp(argv[2], &dlen);
	long rounds = atol(argv[3]);
	size_t n = dlen / 64;
	if (n == 0 || flen % 8) { fprintf(stderr, "bpf-interp: bad input sizes\n"); return 2; }
	uint32_t *swapped = malloc(dlen);
	for (size_t i = 0; i < dlen / 4; i++) swapped[i] = __builtin_bswap32(data[i]);
	struct bpf_insn *pcap = (struct bpf_insn *)prog; /* same layout as struct sock_filter */

	uint64_t sum_own = 0, sum_pcap = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t r1 = run(prog, data + 16 * i);
		uint32_t r2 = bpf_filter(pcap, (const u_char *)(swapped + 16 * i), 64, 64);
		if (r1 != r2) { fprintf(stderr, "bpf-interp: interpreters disagree on input %zu: %#x vs %#x\n", i, r1, r2); return 1; }
		sum_own += r1;
	}
	double best_own = 1e300, best_pcap = 1e300;
	volatile uint32_t sink = 0;
	for (int pass = 0; pass < 5; pass++) {
		double t0 = now_ns();
		for (long r = 0; r < rounds; r++)
			for (size_t i = 0; i < n; i++) sink += run(prog, data + 16 * i);
		double t1 = now_ns();
		for (long r = 0; r < rounds; r++)
			for (size_t i = 0; i < n; i++) sink += bpf_filter(pcap, (const u_char *)(swapped + 16 * i), 64, 64);
		double t2 = now_ns();
		if (t1 - t0 < best_own) best_own = t1 - t0;
		if (t2 - t1 < best_pcap) best_pcap = t2 - t1;
	}
	for (size_t i = 0; i < n; i++) sum_pcap += bpf_filter(pcap, (const u_char *)(swapped + 16 * i), 64, 64);
	double evals = (double)rounds * n;
	printf("{\"inputs\":%zu,\"rounds\":%ld,\"switchNsPerEval\":%.3f,\"pcapNsPerEval\":%.3f,\"checksum\":%llu,\"agree\":%s}\n",
	       n, rounds, best_own / evals, best_pcap / evals, (unsigned long long)sum_own, sum_own == sum_pcap ? "true" : "false");
	return 0;
}
