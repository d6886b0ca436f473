/**
 * What each instruction of a program can rely on, by forward data flow over its jumps: which `seccomp_data`
 * word A (and X, and each scratch slot) holds, and which architecture every path reaching it has checked.
 * The disassembler names syscall numbers with it; the assembler runs the same analysis to read those names back.
 */
import type { Instruction, Program } from './instructions.js';
import { OFFSET_ARCH, OFFSET_NR } from './seccomp-data.js';
import { AUDIT_ARCH_LE, type Endian } from '../syscalls/arch.js';

/** What a register or scratch slot holds. */
export type Holds = 'nr' | 'arch' | 'unknown';

/** What holds at each instruction of a program (values of A and X known on every path). */
export interface FlowFacts {
  /** False when no path from the first instruction reaches this one. */
  readonly reachable: boolean;
  readonly a: Holds;
  readonly x: Holds;
  /** `seccomp_data.arch` as established by a `JEQ` on every path reaching here, or undefined. */
  readonly arch: number | undefined;
  /**
   * The byte order of `seccomp_data` on every path reaching here, from the architectures they checked (a body
   * shared by s390 and s390x is big-endian though its architecture is not one value), or undefined.
   */
  readonly endian: Endian | undefined;
}

interface State {
  a: Holds;
  x: Holds;
  mem: Holds[];
  arch: number | undefined;
  endian: Endian | undefined;
}

const UNREACHABLE: FlowFacts = { reachable: false, a: 'unknown', x: 'unknown', arch: undefined, endian: undefined };

/** The byte order an audit arch value announces (`__AUDIT_ARCH_LE`). */
export const endianOfAuditArch = (auditArch: number): Endian => ((auditArch & AUDIT_ARCH_LE) !== 0 ? 'little' : 'big');

function join(s: State | undefined, t: State): State {
  if (s === undefined) return { ...t, mem: [...t.mem] };
  return {
    a: s.a === t.a ? s.a : 'unknown',
    x: s.x === t.x ? s.x : 'unknown',
    mem: s.mem.map((m, i) => (m === t.mem[i] ? m : 'unknown')),
    arch: s.arch === t.arch ? s.arch : undefined,
    endian: s.endian === t.endian ? s.endian : undefined,
  };
}

function loaded(insn: Instruction): Holds {
  if (insn.kind !== 'ld_abs' || insn.size !== 4) return 'unknown';
  return insn.offset === OFFSET_NR ? 'nr' : insn.offset === OFFSET_ARCH ? 'arch' : 'unknown';
}

/** Facts for every instruction, in order. Edges that leave the program are ignored, so any program works. */
export function analyzeFlow(program: Program): FlowFacts[] {
  const n = program.length;
  const incoming: (State | undefined)[] = new Array<State | undefined>(n);
  if (n > 0) incoming[0] = { a: 'unknown', x: 'unknown', mem: new Array<Holds>(16).fill('unknown'), arch: undefined, endian: undefined };
  const facts: FlowFacts[] = [];
  const flow = (to: number, s: State): void => {
    if (to < n) incoming[to] = join(incoming[to], s);
  };
  for (let i = 0; i < n; i++) {
    const s = incoming[i];
    const insn = program[i] as Instruction;
    if (s === undefined) {
      facts.push(UNREACHABLE);
      continue;
    }
    facts.push({ reachable: true, a: s.a, x: s.x, arch: s.arch, endian: s.endian });
    const next: State = { ...s, mem: [...s.mem] };
    switch (insn.kind) {
      case 'ret':
        continue;
      case 'ja':
        flow(i + 1 + (insn.offset >>> 0), next);
        continue;
      case 'jmp': {
        const onTrue = insn.cond === 'jeq' && insn.src === 'K' && s.a === 'arch'
          ? { ...next, arch: insn.value >>> 0, endian: endianOfAuditArch(insn.value) }
          : next;
        flow(i + 1 + insn.jt, onTrue);
        flow(i + 1 + insn.jf, next);
        continue;
      }
      case 'ld_abs': next.a = loaded(insn); break;
      case 'tax': next.x = s.a; break;
      case 'txa': next.a = s.x; break;
      case 'st': if (insn.slot < 16) next.mem[insn.slot] = insn.src === 'A' ? s.a : s.x; break;
      case 'ld_mem': {
        const held = insn.slot < 16 ? (s.mem[insn.slot] as Holds) : 'unknown';
        if (insn.dst === 'A') next.a = held;
        else next.x = held;
        break;
      }
      case 'ld_imm':
      case 'ld_len':
        if (insn.dst === 'A') next.a = 'unknown';
        else next.x = 'unknown';
        break;
      case 'ldx_msh': next.x = 'unknown'; break;
      default: next.a = 'unknown';
    }
    flow(i + 1, next);
  }
  return facts;
}
