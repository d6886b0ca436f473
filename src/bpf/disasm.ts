/**
 * The disassembler: one row per instruction with its index and raw fields, as seccomp-tools prints them,
 * followed by a reading of it (`A = arch`, `if (A != ARCH_X86_64) goto 0010`, `if (A == getcwd) goto 0007`,
 * `return ERRNO(EPERM)`). Syscall numbers are named through the architecture every path to the comparison
 * has checked, and argument loads by the half they read in the byte order those architectures share (offset 16
 * is `args[0] >> 32` on s390x); the assembler reads this text back to the same bytes.
 */
import { toRaw, type Instruction, type Program } from './instructions.js';
import { analyzeFlow, type FlowFacts } from './flow.js';
import { actionName, archConstantName, syscallNameIn } from './names.js';
import { hex, instructionText, lineLabel, type NamingContext } from './text.js';
import { X32_SYSCALL_BIT } from '../syscalls/index.js';

/** How `disassemble` names syscalls and lays out its text. */
export interface DisassembleOptions {
  /** Print the index and raw-field columns and the header (default true). */
  readonly columns?: boolean;
}

/** One instruction of a disassembly: its index, text and the jump targets it names. */
export interface DisassembledLine {
  readonly index: number;
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
  readonly text: string;
}

export const DISASM_HEADER = ' line  CODE  JT   JF      K\n=================================\n';

/** A naming context for `program`, from its data flow. */
export function namingContext(program: Program, facts: readonly FlowFacts[] = analyzeFlow(program)): NamingContext {
  return {
    action: (value) => actionName(value) ?? hex(value),
    jumpConstant: (value, index) => {
      const f = facts[index];
      const insn = program[index] as Instruction;
      if (f === undefined || !f.reachable || insn.kind !== 'jmp') return undefined;
      if (f.a === 'arch') return archConstantName(value);
      if (f.a !== 'nr') return undefined;
      if (insn.cond === 'jeq' && f.arch !== undefined) {
        const name = syscallNameIn(f.arch, value);
        if (name !== undefined) return name;
      }
      return insn.cond === 'jset' || (value >>> 0) >= X32_SYSCALL_BIT ? hex(value) : String(value >>> 0);
    },
    loadEndian: (index) => (facts[index]?.reachable ? facts[index]?.endian : undefined),
  };
}

/** Every instruction with its raw fields and its text. */
export function disassembleLines(program: Program): DisassembledLine[] {
  const ctx = namingContext(program);
  return program.map((insn, index) => ({ index, ...toRaw(insn), text: instructionText(insn, index, ctx) }));
}

/** The whole program as text, seccomp-tools style. */
export function disassemble(program: Program, options: DisassembleOptions = {}): string {
  const lines = disassembleLines(program);
  if (options.columns === false) return lines.map((l) => `${l.text}\n`).join('');
  const rows = lines.map((l) =>
    ` ${lineLabel(l.index)}: ${hex(l.code, 2)} ${hex(l.jt, 2)} ${hex(l.jf, 2)} ${hex(l.k, 8)}  ${l.text}\n`);
  return DISASM_HEADER + rows.join('');
}

