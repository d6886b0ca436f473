/**
 * The limit a filter interpreter is measured against: the filter translated to C, one statement per
 * instruction with gotos (what a JIT or a hand-written filter would be), compiled with `cc -O2` and run on the
 * same seccomp_data inputs. Its checksum of returned values must equal the JS executor's.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Instruction, Program } from '../src/bpf/instructions.js';
import { runHelper } from './native.js';

const ALU: Readonly<Record<string, string>> = { add: '+', sub: '-', mul: '*', div: '/', mod: '%', and: '&', or: '|', xor: '^', lsh: '<<', rsh: '>>' };
const JMP: Readonly<Record<string, string>> = { jeq: '==', jgt: '>', jge: '>=' };

/** One C statement for one instruction (labels L<index>; the kernel's 0 for a division by a zero X). */
function statement(insn: Instruction, i: number): string {
  const at = (offset: number): string => `goto L${i + 1 + offset};`;
  switch (insn.kind) {
    case 'ld_abs': return `a = d[${insn.offset / 4}];`;
    case 'ld_len': return `${insn.dst === 'A' ? 'a' : 'x'} = 64;`;
    case 'ld_imm': return `${insn.dst === 'A' ? 'a' : 'x'} = ${insn.value >>> 0}u;`;
    case 'ld_mem': return `${insn.dst === 'A' ? 'a' : 'x'} = m[${insn.slot}];`;
    case 'st': return `m[${insn.slot}] = ${insn.src === 'A' ? 'a' : 'x'};`;
    case 'alu': {
      const v = insn.src === 'X' ? 'x' : `${insn.value >>> 0}u`;
      const shift = insn.op === 'lsh' || insn.op === 'rsh';
      const guard = insn.src === 'X' && (insn.op === 'div' || insn.op === 'mod') ? 'if (!x) return 0; ' : '';
      return `${guard}a = a ${ALU[insn.op]} ${shift && insn.src === 'X' ? '(x & 31)' : v};`;
    }
    case 'neg': return 'a = -a;';
    case 'tax': return 'x = a;';
    case 'txa': return 'a = x;';
    case 'ja': return at(insn.offset);
    case 'jmp': {
      const v = insn.src === 'X' ? 'x' : `${insn.value >>> 0}u`;
      const cond = insn.cond === 'jset' ? `(a & ${v})` : `a ${JMP[insn.cond]} ${v}`;
      return `if (${cond}) ${at(insn.jt)} else ${at(insn.jf)}`;
    }
    case 'ret': return insn.src === 'A' ? 'return a;' : `return ${insn.value >>> 0}u;`;
    default: throw new Error(`straight-line C: instruction ${i} (${insn.kind}) is not a seccomp instruction`);
  }
}

/** The program as a C function `run(const uint32_t *d)`. */
export function straightLineC(program: Program): string {
  const body = program.map((insn, i) => `L${i}: ${statement(insn, i)}`).join('\n  ');
  return `static uint32_t run(const uint32_t *d) {\n  uint32_t a = 0, x = 0, m[16];\n  (void)x; (void)m;\n  ${body}\n  return 0;\n}\n`;
}

const MAIN = `
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
RUN
static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec * 1e9 + ts.tv_nsec; }
int main(int argc, char **argv) {
  FILE *f = fopen(argv[1], "rb"); if (!f) return 2;
  fseek(f, 0, SEEK_END); long len = ftell(f); fseek(f, 0, SEEK_SET);
  uint32_t *in = malloc(len ? len : 1); if (fread(in, 1, len, f) != (size_t)len) return 2; fclose(f);
  size_t n = len / 64; long rounds = atol(argv[2]);
  unsigned long long check = 0, sink = 0; double best = 1e300;
  for (size_t i = 0; i < n; i++) check += run(in + 16 * i);
  for (int pass = 0; pass < 5; pass++) {
    double t0 = now();
    for (long r = 0; r < rounds; r++) for (size_t i = 0; i < n; i++) sink += run(in + 16 * i);
    double t = now() - t0; if (t < best) best = t;
  }
  printf("{\\"straightNsPerEval\\":%.3f,\\"checksum\\":%llu,\\"sink\\":%llu}\\n", best / ((double)rounds * n), check, sink & 1);
  return 0;
}
`;

/** Compiles the straight-line translation of `program` (cc -O2); returns the path of the program that times it. */
export function buildStraightLine(program: Program, dir: string, tag: string): string {
  const src = join(dir, `${tag}.straight.c`);
  const bin = join(dir, `${tag}.straight`);
  writeFileSync(src, MAIN.replace('RUN', straightLineC(program)));
  execFileSync('cc', ['-O2', '-w', '-o', bin, src], { stdio: 'inherit', timeout: 120_000 });
  return bin;
}

/** Times a program built by `buildStraightLine` on `inputFile` (64-byte records): the fastest of its 5 passes. */
export function runStraightLine(bin: string, inputFile: string, rounds: number): { straightNsPerEval: number; checksum: number } {
  return runHelper<{ straightNsPerEval: number; checksum: number }>(bin, [inputFile, String(rounds)], 120_000);
}
